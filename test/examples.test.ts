// Each example app (Express, Koa, Fastify, Hono, node:http) on 127.0.0.1 against the embedded fake Polar,
// driven over real HTTP like a browser: sign in → /account (session shown redacted) →
// /portal (303 to the portal) → the fake's portal page for the right customer.
import type { FakeCustomer, FakePolar } from '@polar-session/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { captureLogger, EXAMPLE_NAMES, loadExample, startDemoFake, type PolarBackend } from './support/examples.js'

/** A tiny cookie-keeping client for one app, never following redirects. */
function client(base: string) {
  let cookie = ''
  return {
    get cookie() {
      return cookie
    },
    async request(path: string, init: RequestInit = {}): Promise<Response> {
      const headers = new Headers(init.headers)
      if (cookie !== '') headers.set('cookie', cookie)
      const res = await fetch(new URL(path, base), { ...init, headers, redirect: 'manual' })
      const set = res.headers.get('set-cookie')
      if (set !== null) {
        const [pair = ''] = set.split(';')
        cookie = /=\s*$/.test(pair) || /max-age=0/i.test(set) ? '' : pair
      }
      return res
    },
    signIn(userId: string): Promise<Response> {
      return this.request('/sign-in', { method: 'POST', body: new URLSearchParams({ user: userId }) })
    },
  }
}

describe.each(EXAMPLE_NAMES)('examples/%s', (name) => {
  let backend: PolarBackend & { fake: FakePolar }
  let app: { url: string; close(): Promise<void> }
  let logLines: string[]
  let jane: FakeCustomer
  let omar: FakeCustomer

  beforeAll(async () => {
    backend = await startDemoFake()
    const example = await loadExample(name)
    const { logger, lines } = await captureLogger(`example-${name}`)
    logLines = lines
    app = await example.startDemoServer({ polar: backend.polar, port: 0, host: '127.0.0.1', logger })
    const customers = backend.fake.customers()
    jane = customers.find((c) => c.externalId === 'usr_jane')!
    omar = customers.find((c) => c.externalId === 'usr_omar')!
    expect(jane).toBeDefined()
    expect(omar).toBeDefined()
  })

  afterAll(async () => {
    await app?.close()
    await backend?.close()
  })

  /** Every token the fake issued so far, and every secret-bearing string of the demo. */
  function secrets(): string[] {
    const tokens = backend.fake.sessions().map((s) => s.token)
    return [
      backend.fake.accessToken,
      ...tokens,
      'customer_session_token',
      'jane@example.com',
      encodeURIComponent('jane@example.com'),
      'omar@example.com',
    ]
  }

  it('exports an app factory that insists on knowing its own origin', async () => {
    const example = await loadExample(name)
    expect(() => example.createDemoApp({ polar: backend.polar } as never)).toThrow(/publicUrl is required/)
    const built = example.createDemoApp({ polar: backend.polar, publicUrl: 'http://127.0.0.1:1' })
    expect(built.app).toBeTruthy()
    await built.close()
  })

  it('listens on 127.0.0.1 and offers the demo users on the home page', async () => {
    expect(app.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const res = await client(app.url).request('/')
    expect(res.status).toBe(200)
    const html = await res.text()
    for (const who of ['Jane', 'Omar', 'Ada']) expect(html).toContain(`Sign in as ${who}`)
  })

  it('signs in, shows the session redacted, 303s to the portal, which shows Jane', async () => {
    const browser = client(app.url)
    backend.fake.stats.reset()

    const signIn = await browser.signIn('usr_jane')
    expect(signIn.status).toBe(303)
    expect(new URL(signIn.headers.get('location')!, app.url).pathname).toBe('/account')
    expect(browser.cookie).toBe('demo_user=usr_jane')

    // /account: the session as polar-session prints it.
    const account = await browser.request('/account')
    expect(account.status).toBe(200)
    expect(account.headers.get('cache-control')).toBe('no-store')
    const html = await account.text()
    expect(html).toContain(jane.id)
    expect(html).toContain('Manage billing')
    expect(html).toMatch(/polar_m?st_\[redacted\]|polar_cst_\[redacted\]/)
    const janeSessions = backend.fake.sessions().filter((s) => s.customerId === jane.id)
    expect(janeSessions).toHaveLength(1)
    for (const secret of secrets()) expect(html).not.toContain(secret)

    // /portal: 303 to the portal URL of that very session (reused, not a new one).
    const portal = await browser.request('/portal')
    expect(portal.status).toBe(303)
    expect(portal.headers.get('cache-control')).toBe('no-store')
    const location = portal.headers.get('location')!
    const portalUrl = new URL(location)
    expect(portalUrl.origin).toBe(backend.fake.url)
    expect(portalUrl.pathname).toBe('/demo/portal')
    expect(portalUrl.searchParams.get('customer_session_token')).toBe(janeSessions[0]!.token)
    expect(portalUrl.searchParams.get('email')).toBe('jane@example.com')
    expect(html).not.toContain(location)
    expect(backend.fake.stats.sessionsCreated).toBe(1)

    // Following the redirect: the fake's portal page, for Jane, linking back to /account.
    const page = await fetch(location)
    expect(page.status).toBe(200)
    const portalHtml = await page.text()
    expect(portalHtml).toContain(`<p id="customer-id">${jane.id}</p>`)
    expect(portalHtml).toContain('<p id="customer-email">jane@example.com</p>')
    expect(portalHtml).toContain(`<a id="return-link" href="${app.url}/account">`)
  })

  it("gives each user their own customer's portal", async () => {
    const browser = client(app.url)
    await browser.signIn('usr_omar')
    const portal = await browser.request('/portal')
    expect(portal.status).toBe(303)
    const page = await (await fetch(portal.headers.get('location')!)).text()
    expect(page).toContain(`<p id="customer-id">${omar.id}</p>`)
    expect(page).not.toContain(jane.id)
  })

  it('sends signed-out visitors home from /account and answers 401 on /portal', async () => {
    const anonymous = client(app.url)
    backend.fake.stats.reset()
    const account = await anonymous.request('/account')
    expect(account.status).toBe(303)
    expect(new URL(account.headers.get('location')!, app.url).pathname).toBe('/')
    const portal = await anonymous.request('/portal')
    expect(portal.status).toBe(401)
    expect(portal.headers.get('location')).toBeNull()
    expect(backend.fake.stats.total).toBe(0)
  })

  it('refuses an off-site return_to with 400 and accepts a same-site one', async () => {
    const browser = client(app.url)
    await browser.signIn('usr_jane')
    for (const hostile of ['//evil.example', 'https:evil.example', 'javascript:alert(1)', '/\\evil.example']) {
      const res = await browser.request(`/portal?return_to=${encodeURIComponent(hostile)}`)
      expect(res.status, hostile).toBe(400)
      expect(res.headers.get('location'), hostile).toBeNull()
    }
    const ok = await browser.request('/portal?return_to=%2Faccount')
    expect(ok.status).toBe(303)
    const back = await (await fetch(ok.headers.get('location')!)).text()
    expect(back).toContain(`href="${app.url}/account"`)
  })

  it('signs out', async () => {
    const browser = client(app.url)
    await browser.signIn('usr_jane')
    expect(browser.cookie).not.toBe('')
    const out = await browser.request('/sign-out', { method: 'POST' })
    expect(out.status).toBe(303)
    expect(out.headers.get('set-cookie')).toMatch(/demo_user=;.*Max-Age=0/i)
    expect(browser.cookie).toBe('')
    expect((await browser.request('/portal')).status).toBe(401)
  })

  // Only the Express demo has a /stats page; registering the test for it alone keeps the run free of skips.
  if (name === 'express')
    it('/stats prints polar.stats(): numbers only, no secret, no identity', async () => {
      const browser = client(app.url)
      await browser.signIn('usr_ada') // the demo prefetches Ada's session here
      expect((await browser.request('/portal')).status).toBe(303)

      const res = await browser.request('/stats', { headers: { accept: 'application/json' } })
      expect(res.status).toBe(200)
      expect(res.headers.get('cache-control')).toBe('no-store')
      const text = await res.text()
      const stats = JSON.parse(text)
      expect(stats.creations).toBe(backend.fake.sessions().length) // every session this app asked for
      expect(stats.creations).toBeGreaterThanOrEqual(3) // Jane, Omar, Ada
      expect(stats.cache.hits).toBeGreaterThanOrEqual(1)
      expect(stats.cache.size).toBeGreaterThanOrEqual(3)
      expect(stats.prefetch.started).toBeGreaterThanOrEqual(1)
      expect(stats.upstream.requests).toBeGreaterThanOrEqual(stats.creations)
      expect(stats.breaker).toEqual({ open: false, state: 'closed' })

      const page = await browser.request('/stats')
      expect(page.headers.get('content-type')).toMatch(/text\/html/)
      const html = await page.text()
      expect(html).toContain('<pre id="stats-json">')
      const identities = ['usr_jane', 'usr_omar', 'usr_ada', jane.id, omar.id]
      for (const secret of [...secrets(), ...identities]) {
        expect(text).not.toContain(secret)
        expect(html).not.toContain(secret)
      }
    })

  it('logs every request and never a token, portal URL, email or access token', () => {
    const messages = logLines.map((line) => (JSON.parse(line) as { msg?: string }).msg)
    expect(messages).toContain('GET /portal 303')
    expect(messages).toContain('GET /account 200')
    const all = logLines.join('\n')
    for (const secret of [...secrets(), backend.fake.url + '/demo/portal']) expect(all).not.toContain(secret)
  })
})
