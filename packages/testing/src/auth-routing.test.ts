import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakePolar } from './server.js'
import type { FakePolar } from './types.js'
import {
  INSUFFICIENT_SCOPE_BODY,
  INVALID_TOKEN_BODY,
  INVALID_TOKEN_HEADER,
  ROUTE_NOT_FOUND_BODY,
  UNAUTHORIZED_BODY,
  call,
  createSession,
  rawRequest,
} from './test-support/http.js'
import { generatePolarToken } from './token.js'

let fake: FakePolar
let sessionToken: string

beforeAll(async () => {
  fake = await startFakePolar({ seed: [{ externalId: 'usr_1', email: 'one@example.com' }] })
  const r = await createSession(fake, { external_customer_id: 'usr_1' })
  sessionToken = (r.json as { token: string }).token
})
afterAll(() => fake.close())

describe('authentication', () => {
  it('no Authorization header: 401 Unauthorized with a bare Bearer challenge', async () => {
    const r = await createSession(fake, { external_customer_id: 'usr_1' }, { token: null })
    expect(r.status).toBe(401)
    expect(r.text).toBe(UNAUTHORIZED_BODY)
    expect(r.headers.get('www-authenticate')).toBe('Bearer realm="polar"')
    expect(r.headers.get('content-type')).toBe('application/json')
  })

  it('unknown token (e.g. a sandbox token sent to production): 401 invalid_token', async () => {
    const r = await createSession(fake, { external_customer_id: 'usr_1' }, { token: generatePolarToken('polar_oat_') })
    expect(r.status).toBe(401)
    expect(r.text).toBe(INVALID_TOKEN_BODY)
    expect(r.headers.get('www-authenticate')).toBe(INVALID_TOKEN_HEADER)
  })

  it('revoked token: 401 invalid_token', async () => {
    const token = fake.addAccessToken()
    expect((await createSession(fake, { external_customer_id: 'usr_1' }, { token })).status).toBe(201)
    expect(fake.revokeAccessToken(token)).toBe(true)
    expect((await createSession(fake, { external_customer_id: 'usr_1' }, { token })).text).toBe(INVALID_TOKEN_BODY)
  })

  it('a non-Bearer scheme counts as no token', async () => {
    const r = await call(fake, 'POST', '/v1/customer-sessions/', {
      token: null,
      headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` },
      body: { external_customer_id: 'usr_1' },
    })
    expect(r.status).toBe(401)
    expect(r.text).toBe(UNAUTHORIZED_BODY)
  })

  it('a customer session token cannot create sessions: 401 Unauthorized', async () => {
    const r = await createSession(fake, { external_customer_id: 'usr_1' }, { token: sessionToken })
    expect(r.status).toBe(401)
    expect(r.text).toBe(UNAUTHORIZED_BODY)
  })

  it('a token without customer_sessions:write: 403 insufficient_scope naming the scope, as authlib writes it', async () => {
    const token = fake.addAccessToken({ scopes: ['customers:read'] })
    const r = await createSession(fake, { external_customer_id: 'usr_1' }, { token })
    expect(r.status).toBe(403)
    expect(r.text).toBe(INSUFFICIENT_SCOPE_BODY)
    expect(r.headers.get('www-authenticate')).toBe(
      'Bearer realm="polar", scope="customer_sessions:write", error="insufficient_scope", ' +
        'error_description="The request requires higher privileges than provided by the access token."',
    )
    expect(r.headers.get('cache-control')).toBe('no-store')
    expect(r.headers.get('pragma')).toBe('no-cache')
    const read = await call(fake, 'GET', '/v1/customers/', {
      token: fake.addAccessToken({ scopes: ['customer_sessions:write'] }),
    })
    expect(read.status).toBe(403)
    expect(read.headers.get('www-authenticate')).toMatch(
      /^Bearer realm="polar", scope="customers:read customers:write", error="insufficient_scope"/,
    )
  })

  it('token errors are json.dumps output with no-store and no-cache; other answers are private, no-store', async () => {
    const invalid = await createSession(
      fake,
      { external_customer_id: 'usr_1' },
      { token: generatePolarToken('polar_oat_') },
    )
    expect(invalid.text).toBe(
      '{"error": "invalid_token", "error_description": "The access token provided is expired, revoked, malformed, or invalid for other reasons."}',
    )
    expect(invalid.headers.get('cache-control')).toBe('no-store')
    expect(invalid.headers.get('pragma')).toBe('no-cache')
    const missing = await createSession(fake, { external_customer_id: 'usr_1' }, { token: null })
    expect(missing.text).toBe(UNAUTHORIZED_BODY)
    expect(missing.headers.get('cache-control')).toBe('private, no-store')
    expect(missing.headers.get('pragma')).toBeNull()
    const created = await createSession(fake, { external_customer_id: 'usr_1' })
    expect(created.headers.get('cache-control')).toBe('private, no-store')
  })

  it('personal access tokens are accepted', async () => {
    const token = fake.addAccessToken({ kind: 'personal' })
    expect(token).toMatch(/^polar_pat_/)
    expect((await createSession(fake, { external_customer_id: 'usr_1' }, { token })).status).toBe(201)
  })

  it('a personal token whose external id exists in several organizations: plain-text 500 (no 409)', async () => {
    const shared = await startFakePolar({ seed: [{ externalId: 'usr_shared', email: 's@example.com' }] })
    try {
      shared.addAmbiguousExternalId('usr_shared')
      const personal = shared.addAccessToken({ kind: 'personal' })
      const r = await createSession(shared, { external_customer_id: 'usr_shared' }, { token: personal })
      expect(r.status).toBe(500)
      expect(r.text).toBe('Internal Server Error')
      expect(r.headers.get('content-type')).toBe('text/plain; charset=utf-8')
      expect((await call(shared, 'GET', '/v1/customers/external/usr_shared', { token: personal })).status).toBe(500)
      // By Polar's customer id there is one match; an organization token sees one organization.
      const id = shared.customers()[0]?.id
      expect((await createSession(shared, { customer_id: id }, { token: personal })).status).toBe(201)
      expect((await createSession(shared, { external_customer_id: 'usr_shared' })).status).toBe(201)
      expect(shared.stats.sessionsCreated).toBe(2)
    } finally {
      await shared.close()
    }
  })
})

describe('order: token → JSON parse → subject and scope → schema → lookup', () => {
  const badJson = '{"external_customer_id": '

  it('an invalid token is reported before invalid JSON', async () => {
    const r = await createSession(fake, badJson, { token: 'polar_oat_nope' })
    expect(r.status).toBe(401)
    expect(r.text).toBe(INVALID_TOKEN_BODY)
  })

  it('invalid JSON is reported before a missing token or scope (FastAPI parses before the auth dependency)', async () => {
    const anonymous = await createSession(fake, badJson, { token: null })
    expect(anonymous.status).toBe(422)
    expect((anonymous.json as { detail: Array<{ type: string }> }).detail[0]?.type).toBe('json_invalid')
    const noScope = await createSession(fake, badJson, { token: fake.addAccessToken({ scopes: [] }) })
    expect(noScope.status).toBe(422)
  })

  it('a missing token is reported before schema errors', async () => {
    const r = await createSession(fake, { nothing: true }, { token: null })
    expect(r.status).toBe(401)
    expect(r.text).toBe(UNAUTHORIZED_BODY)
  })

  it('a missing scope is reported before schema errors and before lookups', async () => {
    const token = fake.addAccessToken({ scopes: ['customers:write'] })
    expect((await createSession(fake, { nothing: true }, { token })).status).toBe(403)
    expect((await createSession(fake, { external_customer_id: 'nobody' }, { token })).status).toBe(403)
  })

  it('schema errors come before lookups', async () => {
    const r = await createSession(fake, { external_customer_id: 'nobody', return_url: 'ftp://x' })
    expect((r.json as { error: string }).error).toBe('RequestValidationError')
  })

  it('an expired session token is invalid_token on every path, before routing', async () => {
    const short = await startFakePolar({ sessionTtlMs: 50, seed: [{ externalId: 'u', email: 'u@example.com' }] })
    try {
      const token = ((await createSession(short, { external_customer_id: 'u' })).json as { token: string }).token
      await new Promise((r) => setTimeout(r, 80))
      for (const path of ['/v1/customer-sessions/', '/v1/nowhere', '/v1/customer-portal/customers/me']) {
        const r = await call(short, 'POST', path, { token, body: {} })
        expect(r.status, path).toBe(401)
        expect(r.text).toBe(INVALID_TOKEN_BODY)
      }
    } finally {
      await short.close()
    }
  })
})

describe('routing', () => {
  it('unknown path: token check first, then Starlette\'s 404 {"detail":"Not Found"}', async () => {
    const ok = await call(fake, 'GET', '/v1/does-not-exist')
    expect(ok.status).toBe(404)
    expect(ok.text).toBe(ROUTE_NOT_FOUND_BODY)
    expect(ok.headers.get('content-type')).toBe('application/json')
    const bad = await call(fake, 'GET', '/v1/does-not-exist', { token: 'polar_oat_bad' })
    expect(bad.status).toBe(401)
    const anonymous = await call(fake, 'GET', '/v1/does-not-exist', { token: null })
    expect(anonymous.status).toBe(404)
  })

  it('paths outside /v1 are the API host too (token-checked, 404 detail); the portal page is the frontend', async () => {
    const r = await call(fake, 'GET', '/favicon.ico', { token: null })
    expect(r.status).toBe(404)
    expect(r.text).toBe(ROUTE_NOT_FOUND_BODY)
    expect((await call(fake, 'GET', '/favicon.ico', { token: 'polar_oat_bad' })).status).toBe(401)
    const portal = await call(fake, 'GET', '/acme/portal', {
      token: 'polar_oat_bad',
      headers: { 'polar-version': 'nope' },
    })
    expect(portal.status).toBe(401)
    expect(portal.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(portal.headers.get('polar-version')).toBeNull()
  })

  it('wrong method on a known path: 405 with Allow', async () => {
    const r = await call(fake, 'GET', '/v1/customer-sessions/')
    expect(r.status).toBe(405)
    expect(r.text).toBe('{"detail":"Method Not Allowed"}')
    expect(r.headers.get('allow')).toBe('POST')
  })

  it('HEAD is served wherever GET is, without a body', async () => {
    const r = await call(fake, 'HEAD', '/v1/customers/external/usr_1')
    expect(r.status).toBe(200)
    expect(r.text).toBe('')
    expect(Number(r.headers.get('content-length'))).toBeGreaterThan(0)
  })

  it('missing trailing slash: 307 to the slashed path, as Starlette redirects', async () => {
    const r = await call(fake, 'POST', '/v1/customer-sessions?x=1', { body: { external_customer_id: 'usr_1' } })
    expect(r.status).toBe(307)
    expect(r.headers.get('location')).toBe(`${fake.url}/v1/customer-sessions/?x=1`)
    expect(r.text).toBe('')
    // fetch follows 307 with the same method and body.
    const followed = await call(fake, 'POST', '/v1/customer-sessions', {
      body: { external_customer_id: 'usr_1' },
      redirect: 'follow',
    })
    expect(followed.status).toBe(201)
  })

  it('Polar-Version: absent, empty, 2026-04 and 2026-10 pass and are echoed; anything else is 404 {"detail":"Not Found"}', async () => {
    const absent = await createSession(fake, { external_customer_id: 'usr_1' })
    expect(absent.headers.get('polar-version')).toBe('2026-04')
    for (const [version, echoed] of [
      ['2026-04', '2026-04'],
      ['2026-10', '2026-10'],
      ['', '2026-04'],
    ]) {
      const r = await createSession(
        fake,
        { external_customer_id: 'usr_1' },
        { headers: { 'polar-version': version as string } },
      )
      expect(r.status, version).toBe(201)
      expect(r.headers.get('polar-version')).toBe(echoed)
    }
    for (const version of ['2025-01', 'latest', '2026-4', '2026-04-01']) {
      const r = await createSession(fake, { external_customer_id: 'usr_1' }, { headers: { 'polar-version': version } })
      expect(r.status, version).toBe(404)
      expect(r.text).toBe(ROUTE_NOT_FOUND_BODY)
      expect(r.headers.get('polar-version')).toBeNull()
    }
  })

  it('the version is checked before the token: a bad version with a bad token is 404, not 401', async () => {
    const r = await createSession(
      fake,
      { external_customer_id: 'usr_1' },
      { token: 'polar_oat_x', headers: { 'polar-version': 'x' } },
    )
    expect(r.status).toBe(404)
    expect(r.text).toBe(ROUTE_NOT_FOUND_BODY)
    const good = await createSession(
      fake,
      { external_customer_id: 'usr_1' },
      { token: 'polar_oat_x', headers: { 'polar-version': '2026-10' } },
    )
    expect(good.status).toBe(401)
    expect(good.headers.get('polar-version')).toBe('2026-10')
  })

  it('the version is checked before the rate limit: a bad version is 404 even when the bucket is empty', async () => {
    const limited = await startFakePolar({ rateLimit: { limit: 0, pendingAuthLimit: false } })
    try {
      expect((await call(limited, 'GET', '/v1/customers/')).status).toBe(429)
      const r = await call(limited, 'GET', '/v1/customers/', { headers: { 'polar-version': '1999-01' } })
      expect(r.status).toBe(404)
      expect(r.text).toBe(ROUTE_NOT_FOUND_BODY)
      expect(limited.stats.rateLimited).toBe(1)
    } finally {
      await limited.close()
    }
  })

  it('counts requests under their route template', async () => {
    fake.stats.reset()
    await call(fake, 'GET', '/v1/customers/external/usr_1')
    await call(fake, 'GET', '/v1/customers/external/someone-else')
    await call(fake, 'GET', `/v1/customers/${fake.customers()[0]?.id}`)
    await createSession(fake, { external_customer_id: 'usr_1' }, { token: 'polar_oat_bad' })
    await call(fake, 'GET', '/v1/nope')
    expect(fake.stats.requests).toEqual({
      'GET /v1/customers/external/{external_id}': 2,
      'GET /v1/customers/{id}': 1,
      'POST /v1/customer-sessions/': 1,
      'GET /v1/nope': 1,
    })
    expect(fake.stats.total).toBe(5)
    expect(fake.stats.sessionsCreated).toBe(0)
  })

  it('answers absolute-form request targets and odd paths without crashing', async () => {
    const r = await rawRequest(fake, {
      path: `${fake.url}/v1/customers/external/usr_1`,
      headers: { authorization: `Bearer ${fake.accessToken}` },
    })
    expect(r.status).toBe(200)
    const odd = await rawRequest(fake, {
      path: '/v1/customers/external/%E0%A4%A',
      headers: { authorization: `Bearer ${fake.accessToken}` },
    })
    expect(odd.status).toBe(404)
  })
})
