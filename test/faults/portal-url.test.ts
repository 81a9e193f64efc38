// The portal URL Polar returns is where users are sent: anything but https on Polar's own front
// end (or the fake's, for a loopback base URL) is refused as a malformed answer, 502, and
// nothing is cached. Through the portal route of Express 5 and Koa 3, over real HTTP.
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { APP_HOST, asciiJson, type TestApp } from '../support/apps.js'
import { useE2E } from '../support/e2e.js'

const e2e = useE2E()

function portal(app: TestApp) {
  return request(app.server)
    .get('/portal')
    .set('host', APP_HOST)
    .set('x-identity', asciiJson({ externalCustomerId: 'usr_1' }))
}

/** A fetch that swaps the portal URL of the next 201 from Polar for `url(original)`. */
function portalUrlFrom(url: (original: URL) => string): typeof fetch {
  let left = 1
  return async (input, init) => {
    const response = await fetch(input, init)
    if (response.status !== 201 || left === 0) return response
    left--
    const body = (await response.json()) as { customer_portal_url: string }
    const replaced = { ...body, customer_portal_url: url(new URL(body.customer_portal_url)) }
    return new Response(JSON.stringify(replaced), { status: 201, headers: { 'content-type': 'application/json' } })
  }
}

const HOSTILE: Array<[string, (original: URL) => string]> = [
  ['plain http on Polar', (u) => `http://polar.sh${u.pathname}${u.search}`],
  ['a foreign host', (u) => `https://evil.example${u.pathname}${u.search}`],
  ['a look-alike host', (u) => `https://polar.sh.evil.example${u.pathname}${u.search}`],
  ['userinfo in front of a foreign host', (u) => `https://polar.sh@evil.example${u.pathname}${u.search}`],
  ['userinfo on the real host', (u) => `https://user:pass@polar.sh${u.pathname}${u.search}`],
  ['CR/LF in the query', (u) => `https://polar.sh${u.pathname}${u.search}\r\nSet-Cookie: a=b`],
  ['a javascript: URL', () => 'javascript:alert(document.cookie)'],
  ['a relative path', (u) => `${u.pathname}${u.search}`],
]

describe.each(['express 5', 'koa 3'] as const)('portal URLs from Polar on %s', (framework) => {
  it.each(HOSTILE)('%s: 502 polar_unavailable, no Location, nothing cached', async (_name, swap) => {
    const app = await e2e.app(framework, e2e.polar({ fetch: portalUrlFrom(swap) }))
    const res = await portal(app)
    expect(res.status).toBe(502)
    expect(res.headers['location']).toBeUndefined()
    expect(app.lastCode()).toBe('polar_unavailable')
    // Nothing was cached: the next visit asks Polar again and gets a good URL.
    const next = await portal(app)
    expect(next.status).toBe(303)
    expect(new URL(next.headers['location']!).origin).toBe(e2e.fake.url)
    expect(e2e.posts()).toBe(2)
    // Logged without the URL (the query holds the token and the email); the origin is fine to show.
    const lines = JSON.stringify(e2e.logs())
    expect(lines).not.toContain('customer_session_token')
  })

  it('a custom portalOrigins list is what counts', async () => {
    const app = await e2e.app(framework, e2e.polar({ portalOrigins: ['https://billing.example.com'] }))
    const res = await portal(app) // the fake's own http://127.0.0.1 portal is not on the list
    expect(res.status).toBe(502)
    expect(e2e.posts()).toBe(1)
  })
})
