import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { PolarSessionError } from '../errors.js'
import { createPolarClient } from './index.js'
import { parseSessionBody } from './parse-session.js'
import {
  customerJson,
  errorText,
  EXTERNAL_ID,
  rejection,
  SECRETS,
  sessionJson,
  startServer,
  testOptions,
  type ScriptedServer,
} from '../test-support/polar-test-server.js'

const FIELDS = [
  'created_at',
  'modified_at',
  'id',
  'token',
  'expires_at',
  'return_url',
  'customer_portal_url',
  'customer_id',
  'customer',
] as const

function without(key: string, body: Record<string, unknown> = sessionJson()): Record<string, unknown> {
  const copy = { ...body }
  delete copy[key]
  return copy
}

/** [case name, raw body, text the message must contain] */
const MALFORMED: Array<[string, string, string]> = [
  ['not JSON', '<html>bad gateway</html>', 'not JSON'],
  ['empty body', '', 'not JSON'],
  ['a JSON array', '[]', 'not a JSON object'],
  ['JSON null', 'null', 'not a JSON object'],
  ...FIELDS.map((field): [string, string, string] => [
    `missing ${field}`,
    JSON.stringify(without(field)),
    `\`${field}\` is missing`,
  ]),
  [
    'created_at a number',
    JSON.stringify(sessionJson({ created_at: 1_787_392_800 })),
    '`created_at` is not an ISO-8601',
  ],
  [
    'created_at unparseable',
    JSON.stringify(sessionJson({ created_at: 'yesterday' })),
    '`created_at` is not a valid ISO-8601',
  ],
  [
    'created_at 30 February',
    JSON.stringify(sessionJson({ created_at: '2026-02-30T10:00:00Z' })),
    '`created_at` is not a valid',
  ],
  [
    'created_at without offset',
    JSON.stringify(sessionJson({ created_at: '2026-08-22T10:00:00' })),
    '`created_at` is not a valid',
  ],
  ['modified_at garbage', JSON.stringify(sessionJson({ modified_at: 'soon' })), '`modified_at` is not a valid'],
  [
    'expires_at unparseable',
    JSON.stringify(sessionJson({ expires_at: '2026-13-01T00:00:00Z' })),
    '`expires_at` is not a valid',
  ],
  [
    'expires_at equal to created_at',
    JSON.stringify(sessionJson({ expires_at: '2026-08-22T10:00:00.123456Z' })),
    '`expires_at` is not after `created_at`',
  ],
  [
    'expires_at before created_at',
    JSON.stringify(sessionJson({ expires_at: '2026-08-22T09:00:00Z' })),
    '`expires_at` is not after `created_at`',
  ],
  ['id a number', JSON.stringify(sessionJson({ id: 42 })), '`id` is not a string'],
  ['id empty', JSON.stringify(sessionJson({ id: '' })), '`id` is an empty string'],
  ['token null', JSON.stringify(sessionJson({ token: null })), '`token` is not a string'],
  [
    'token without polar_ prefix',
    JSON.stringify(sessionJson({ token: 'cst_abcdef0123456789' })),
    '`token` does not look like',
  ],
  ['token only the prefix', JSON.stringify(sessionJson({ token: 'polar_' })), '`token` does not look like'],
  ['token with a space', JSON.stringify(sessionJson({ token: 'polar_cst_abc def' })), '`token` does not look like'],
  ['return_url a number', JSON.stringify(sessionJson({ return_url: 7 })), '`return_url` is not a string or null'],
  [
    'customer_portal_url null',
    JSON.stringify(sessionJson({ customer_portal_url: null })),
    '`customer_portal_url` is not a string',
  ],
  [
    'customer_portal_url not a URL',
    JSON.stringify(sessionJson({ customer_portal_url: 'portal' })),
    '`customer_portal_url` is not a URL',
  ],
  ['customer_id an object', JSON.stringify(sessionJson({ customer_id: {} })), '`customer_id` is not a string'],
  ['customer a string', JSON.stringify(sessionJson({ customer: 'jane' })), '`customer` is not an object'],
  [
    'customer.type unknown',
    JSON.stringify(sessionJson({ customer: customerJson({ type: 'company' }) })),
    '`customer.type` is not',
  ],
  [
    'customer.type missing',
    JSON.stringify(sessionJson({ customer: without('type', customerJson()) })),
    '`customer.type` is missing',
  ],
  [
    'customer.email null for an individual',
    JSON.stringify(sessionJson({ customer: customerJson({ email: null }) })),
    '`customer.email` is not a string',
  ],
  [
    'customer.email_verified a string',
    JSON.stringify(sessionJson({ customer: customerJson({ email_verified: 'true' }) })),
    '`customer.email_verified` is not a boolean',
  ],
  [
    'customer.name missing',
    JSON.stringify(sessionJson({ customer: without('name', customerJson()) })),
    '`customer.name` is missing',
  ],
  [
    'customer.external_id a number',
    JSON.stringify(sessionJson({ customer: customerJson({ external_id: 1337 }) })),
    '`customer.external_id` is not a string or null',
  ],
  [
    'customer.organization_id missing',
    JSON.stringify(sessionJson({ customer: without('organization_id', customerJson()) })),
    '`customer.organization_id` is missing',
  ],
  [
    'customer.metadata an array',
    JSON.stringify(sessionJson({ customer: customerJson({ metadata: [] }) })),
    '`customer.metadata` is not an object',
  ],
  [
    'customer.metadata nested value',
    JSON.stringify(sessionJson({ customer: customerJson({ metadata: { a: { b: 1 } } }) })),
    '`customer.metadata` has a value',
  ],
  [
    'customer.created_at unparseable',
    JSON.stringify(sessionJson({ customer: customerJson({ created_at: 'x' }) })),
    '`customer.created_at` is not a valid',
  ],
  [
    'customer.id missing',
    JSON.stringify(sessionJson({ customer: without('id', customerJson()) })),
    '`customer.id` is missing',
  ],
]

describe('malformed 201 bodies over HTTP', () => {
  let server: ScriptedServer
  beforeAll(async () => {
    server = await startServer()
  })
  afterAll(async () => {
    await server.close()
  })
  beforeEach(() => {
    server.requests.length = 0
  })

  it.each(MALFORMED)(
    '%s → polar_unavailable 502, not retried, field named, no secret',
    async (_name, body, expected) => {
      server.enqueue((_req, res) => {
        res.writeHead(201, { 'content-type': 'application/json' }).end(body)
      })
      const options = testOptions(server)
      const client = createPolarClient(options)
      const error = await rejection(client.createCustomerSession({ externalCustomerId: EXTERNAL_ID }))
      expect(error).toBeInstanceOf(PolarSessionError)
      expect(error).toMatchObject({ code: 'polar_unavailable', status: 502, expose: false })
      expect((error as Error).message).toContain(expected)
      expect(server.requests).toHaveLength(1)
      expect(options.sleeps).toEqual([])
      const text = errorText(error) + JSON.stringify(options.logger.records)
      for (const secret of SECRETS) expect(text).not.toContain(secret)
    },
  )

  it('rejects a 201 body over 1 MB without retrying', async () => {
    const huge = JSON.stringify(sessionJson({ padding: 'x'.repeat(1_100_000) }))
    server.enqueue((_req, res) => {
      res.writeHead(201, { 'content-type': 'application/json' }).end(huge)
    })
    const error = await rejection(
      createPolarClient(testOptions(server)).createCustomerSession({ externalCustomerId: EXTERNAL_ID }),
    )
    expect(error).toMatchObject({ code: 'polar_unavailable', status: 502 })
    expect((error as Error).message).toContain('larger than 1048576 bytes')
    expect(server.requests).toHaveLength(1)
  })

  it('rejects an oversized chunked 201 body (no content-length) too', async () => {
    server.enqueue((_req, res) => {
      res.writeHead(201, { 'content-type': 'application/json' })
      for (let i = 0; i < 20; i++) res.write('x'.repeat(64 * 1024))
      res.end()
    })
    const error = await rejection(
      createPolarClient(testOptions(server)).createCustomerSession({ externalCustomerId: EXTERNAL_ID }),
    )
    expect(error).toMatchObject({ code: 'polar_unavailable', status: 502 })
    expect((error as Error).message).toContain('larger than')
  })
})

/** Polar's production portal, and https only. */
const POLICY = { origins: new Set(['https://polar.sh']), allowHttp: false }

describe('parseSessionBody', () => {
  it('keeps sentAt as given and truncates microseconds to milliseconds', () => {
    const session = parseSessionBody(JSON.stringify(sessionJson()), 1234, POLICY)
    expect(session.sentAt).toBe(1234)
    expect(session.createdAt.toISOString()).toBe('2026-08-22T10:00:00.123Z')
  })

  it('accepts offsets other than Z', () => {
    const session = parseSessionBody(
      JSON.stringify(sessionJson({ created_at: '2026-08-22T12:00:00+02:00', expires_at: '2026-08-22T11:00:00.5Z' })),
      0,
      POLICY,
    )
    expect(session.createdAt.toISOString()).toBe('2026-08-22T10:00:00.000Z')
    expect(session.expiresAt.toISOString()).toBe('2026-08-22T11:00:00.500Z')
  })

  it('carries the field, never the value, in the cause', () => {
    try {
      parseSessionBody(JSON.stringify(sessionJson({ token: 'nope_secret_value' })), 0, POLICY)
      expect.unreachable()
    } catch (error) {
      expect((error as Error).cause).toEqual({ field: 'token', problem: expect.any(String) })
      expect(errorText(error)).not.toContain('nope_secret_value')
    }
  })
})
