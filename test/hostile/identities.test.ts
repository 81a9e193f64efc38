// Hostile and odd identities, through Express 5 and 4, Koa 3 and 2 and Fastify 5 and 4: each arrives as a JSON
// `x-identity` header or a JSON body, and identify() hands it to the core as sent. Anything odd
// is a 400 invalid_identity before any call to Polar; valid unicode works.
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { APP_HOST, asciiJson, FRAMEWORKS, type SessionSummary, type TestApp } from '../support/apps.js'
import { CUSTOMERS, useE2E } from '../support/e2e.js'

const UNICODE_IDS = ['usr_日本語_ü_🎉', 'Ωmega \u202eevil', 'ﷺ‍👩‍👩‍👧', 'ǅ̶̢̧']
const e2e = useE2E({
  seed: [...CUSTOMERS, ...UNICODE_IDS.map((externalId, i) => ({ externalId, email: `unicode${i}@example.com` }))],
})

const UUID = '3b8a7c6e-1f2d-4e5a-9b8c-7d6e5f4a3b2c'

/** Identities (as parsed JSON) that must be refused, with the transports that can carry them. */
const REFUSED: Array<[string, unknown, 'header' | 'body' | 'both']> = [
  ['an empty object', {}, 'both'],
  ['an empty string', '', 'body'],
  ['an empty external id', { externalCustomerId: '' }, 'both'],
  ['a 1025-character external id', { externalCustomerId: 'x'.repeat(1025) }, 'both'],
  ['a 1 MB external id', { externalCustomerId: 'x'.repeat(1024 * 1024) }, 'body'],
  ['a NUL', { externalCustomerId: 'usr\u00001' }, 'both'],
  ['a newline (log injection)', { externalCustomerId: 'usr_1\n{"level":50}' }, 'both'],
  ["a customer's email and a newline (never echoed back)", { externalCustomerId: 'jane@example.com\n' }, 'both'],
  ['an ANSI escape', { externalCustomerId: 'usr_1\u001b[31m' }, 'both'],
  ['DEL', { externalCustomerId: 'usr_1\u007f' }, 'both'],
  ['a C1 control (NEL)', { externalCustomerId: 'usr_1\u0085' }, 'both'],
  ['a lone surrogate', { externalCustomerId: 'usr_1\ud800' }, 'both'],
  ['a number for the external id', { externalCustomerId: 1337 }, 'both'],
  ['a number for the customer id', { customerId: 1 }, 'both'],
  ['a number as the identity', 42, 'both'],
  ['a boolean', true, 'both'],
  ['an array', ['usr_1'], 'both'],
  ['an array for the external id', { externalCustomerId: ['usr_1'] }, 'both'],
  ['an object for the external id', { externalCustomerId: { toString: 'usr_1' } }, 'both'],
  ['ids under __proto__ only', JSON.parse('{"__proto__": {"externalCustomerId": "usr_1"}}'), 'both'],
  [
    'a __proto__ key beside a valid id',
    JSON.parse(`{"externalCustomerId": "usr_1", "__proto__": {"customerId": "${UUID}"}}`),
    'both',
  ],
  ['a __proto__ object as the external id', JSON.parse('{"externalCustomerId": {"__proto__": {"length": 5}}}'), 'both'],
  ['a customer id that is not a UUID', { customerId: 'cus_123' }, 'both'],
  ['a UUID without dashes', { customerId: UUID.replaceAll('-', '') }, 'both'],
  ['a UUID with a suffix', { customerId: `${UUID}x` }, 'both'],
  ['a UUID in braces', { customerId: `{${UUID}}` }, 'both'],
  ['a member id that is not a UUID', { externalCustomerId: 'usr_1', memberId: 'mem_1' }, 'both'],
  ['both customer ids', { customerId: UUID, externalCustomerId: 'usr_1' }, 'both'],
  ['both member ids', { externalCustomerId: 'usr_1', memberId: UUID, externalMemberId: 'm1' }, 'both'],
  ['an empty external member id', { externalCustomerId: 'usr_1', externalMemberId: '' }, 'both'],
  ['an email that is not one', { externalCustomerId: 'usr_1', email: 'not-an-email' }, 'both'],
]

function send(app: TestApp, transport: 'header' | 'body', identity: unknown) {
  const req = request(app.server)
  return transport === 'header'
    ? req.get('/me').set('host', APP_HOST).set('x-identity', asciiJson(identity))
    : req.post('/me').set('host', APP_HOST).send({ identity })
}

const cases = REFUSED.flatMap(([name, identity, transports]) =>
  (transports === 'both' ? (['header', 'body'] as const) : [transports]).map(
    (transport) => [name, transport, identity] as const,
  ),
)

describe.each(FRAMEWORKS)('%s', (framework) => {
  it.each(cases)(
    'refuses %s (in the %s): 400 invalid_identity, no call to Polar',
    async (_name, transport, identity) => {
      const app = await e2e.app(framework)
      const res = await send(app, transport, identity)
      expect(res.status).toBe(400)
      expect(app.lastCode()).toBe('invalid_identity')
      expect(res.headers['location']).toBeUndefined()
      expect(e2e.fake.stats.total).toBe(0)
    },
  )

  it('refuses an identity header that is not JSON, and a body that is not JSON, without calling Polar', async () => {
    const app = await e2e.app(framework)
    const header = await request(app.server).get('/me').set('host', APP_HOST).set('x-identity', 'usr_1')
    expect(header.status).toBe(400)
    expect(app.lastCode()).toBe('invalid_identity')
    const body = await request(app.server)
      .post('/me')
      .set('host', APP_HOST)
      .set('content-type', 'application/json')
      .send('{"identity":')
    expect(body.status).toBe(400)
    expect(e2e.fake.stats.total).toBe(0)
  })

  it('pollutes no prototype', async () => {
    const app = await e2e.app(framework)
    await send(app, 'body', JSON.parse('{"__proto__": {"externalCustomerId": "usr_1", "polluted": true}}'))
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined()
    expect(({} as Record<string, unknown>)['externalCustomerId']).toBeUndefined()
  })

  it.each(UNICODE_IDS)(
    'accepts the valid unicode external id %j (header and body): one creation',
    async (externalId) => {
      const app = await e2e.app(framework)
      for (const transport of ['header', 'body'] as const) {
        const res = await send(app, transport, { externalCustomerId: externalId })
        expect(res.status).toBe(200)
        expect((res.body as SessionSummary).externalId).toBe(externalId)
      }
      expect(e2e.posts()).toBe(1)
    },
  )

  it('anonymous (no identity at all) is 401 where a session is required, without calling Polar', async () => {
    const app = await e2e.app(framework)
    const res = await request(app.server).get('/me').set('host', APP_HOST)
    expect(res.status).toBe(401)
    expect(app.lastCode()).toBe('unauthenticated')
    expect(e2e.fake.stats.total).toBe(0)
  })
})
