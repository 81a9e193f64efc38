// Hostile return URLs (`?return_to=`), through Express 5 and 4, Koa 3 and 2 and Fastify 5 and 4. The app's origin
// is http://app.example.com (the Host header), the only allowed one. Anything that could leave it
// is a 400 invalid_return_url with no Location and no call to Polar; same-origin URLs, encoded
// slashes included, are accepted and the session's return URL stays on the origin.
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { APP_HOST, APP_ORIGIN, asciiJson, FRAMEWORKS, type SessionSummary, type TestApp } from '../support/apps.js'
import { useE2E } from '../support/e2e.js'

const e2e = useE2E()

const REFUSED = [
  'https://evil.example/',
  'http://evil.example/account',
  'http://app.example.com.evil.example/',
  'https://app.example.com/', // another scheme: another origin
  'http://app.example.com:8080/',
  '//evil.example',
  '//evil.example/%2F..',
  '///evil.example',
  'https:evil.example',
  'http:evil.example',
  'http:/evil.example',
  'javascript:alert(1)',
  'JavaScript:alert(document.cookie)',
  'data:text/html,<script>alert(1)</script>',
  'vbscript:msgbox(1)',
  'http://app.example.com@evil.example',
  'http://app.example.com:80@evil.example/',
  'http://user:pass@app.example.com/',
  '/\\evil.example',
  '\\\\evil.example',
  '/\\/evil.example',
  'http://app.example.com\\@evil.example',
  '\\/evil.example',
  '/\t/evil.example',
  ' //evil.example',
  '/account\r\nLocation: https://evil.example',
  '%2F%2Fevil.example', // neither an absolute URL nor a path from the root
  'evil.example',
  `http://app.example.com/${'a'.repeat(2100)}`,
  `/${'a'.repeat(2083)}`,
]

const ACCEPTED: Array<[string, string]> = [
  ['/account', `${APP_ORIGIN}/account`],
  ['/%2F%2Fevil.example', `${APP_ORIGIN}/%2F%2Fevil.example`],
  ['/%2f%2fevil.example/', `${APP_ORIGIN}/%2f%2fevil.example/`],
  ['/%5Cevil.example', `${APP_ORIGIN}/%5Cevil.example`],
  ['/..%2F..%2Fevil.example', `${APP_ORIGIN}/..%2F..%2Fevil.example`],
  ['/a/../../evil.example', `${APP_ORIGIN}/evil.example`],
  ['/?next=https://evil.example', `${APP_ORIGIN}/?next=https://evil.example`],
  ['http://app.example.com/%2F%2Fevil.example', `${APP_ORIGIN}/%2F%2Fevil.example`],
  ['http://APP.EXAMPLE.COM/Account', `${APP_ORIGIN}/Account`],
  ['http://app.example.com:80/x', `${APP_ORIGIN}/x`],
]

const identity = asciiJson({ externalCustomerId: 'usr_1' })
const withReturnTo = (path: string, value: string) => `${path}?${new URLSearchParams({ return_to: value })}`

function get(app: TestApp, url: string) {
  return request(app.server).get(url).set('host', APP_HOST).set('x-identity', identity).redirects(0)
}

describe.each(FRAMEWORKS)('%s', (framework) => {
  it.each(REFUSED)('refuses %j: 400 invalid_return_url, no Location, no call to Polar', async (value) => {
    const app = await e2e.app(framework)
    for (const path of ['/portal', '/me']) {
      const res = await get(app, withReturnTo(path, value))
      expect(res.status).toBe(400)
      expect(app.lastCode()).toBe('invalid_return_url')
      expect(res.headers['location']).toBeUndefined()
    }
    expect(e2e.fake.stats.total).toBe(0)
  })

  it.each(ACCEPTED)('accepts the same-origin %j: the session returns to %s', async (value, expected) => {
    const app = await e2e.app(framework)
    const res = await get(app, withReturnTo('/me', value))
    expect(res.status).toBe(200)
    const { returnUrl, sessionId } = res.body as SessionSummary
    expect(returnUrl).toBe(expected)
    expect(new URL(returnUrl!).origin).toBe(APP_ORIGIN)
    // What Polar stored (and its portal's Back link will use) is on the origin too.
    const stored = e2e.fake.sessions().find((session) => session.id === sessionId)!
    expect(new URL(stored.returnUrl!).origin).toBe(APP_ORIGIN)
  })

  it('a portal redirect with an accepted return URL goes to the portal, and only there', async () => {
    const app = await e2e.app(framework)
    const res = await get(app, withReturnTo('/portal', '/%2F%2Fevil.example'))
    expect(res.status).toBe(303)
    const location = new URL(res.headers['location'] as string)
    expect(location.origin).toBe(e2e.fake.url)
    expect(location.pathname).toBe(`/${e2e.fake.organizationSlug}/portal`)
  })

  it('refuses return_to given twice, without calling Polar', async () => {
    const app = await e2e.app(framework)
    const res = await get(app, '/portal?return_to=%2Fa&return_to=https%3A%2F%2Fevil.example')
    expect(res.status).toBe(400)
    expect(app.lastCode()).toBe('invalid_return_url')
    expect(e2e.fake.stats.total).toBe(0)
  })

  it('a bracketed return_to[...] is refused or ignored, never followed', async () => {
    const app = await e2e.app(framework)
    const res = await get(app, '/me?return_to[href]=https%3A%2F%2Fevil.example&return_to[0]=%2F%2Fevil.example')
    if (res.status === 400) {
      expect(app.lastCode()).toBe('invalid_return_url') // Express 4's extended parser: an object
    } else {
      expect(res.status).toBe(200)
      expect((res.body as SessionSummary).returnUrl).toBeNull() // a parameter of another name
    }
  })
})
