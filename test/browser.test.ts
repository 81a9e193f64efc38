// The demo in a real browser: headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core) opens the Express demo app running against the embedded fake Polar,
// signs in as Jane, clicks "Manage billing" and must land on the fake portal page for Jane.
import { existsSync } from 'node:fs'
import type { FakeCustomer } from '@polar-session/testing'
import { chromium, type Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { captureLogger, loadExample, startDemoFake, type PolarBackend } from './support/examples.js'

const CHROMIUM = '/usr/bin/chromium'
const hasChromium = existsSync(CHROMIUM)

if (!hasChromium) {
  if (process.env.CI) {
    // On CI a missing browser is a broken machine setup, never a silent pass.
    describe('browser demo', () => {
      it(`needs Chromium at ${CHROMIUM} (apt-get install -y chromium)`, () => {
        expect.fail(`Chromium is not installed at ${CHROMIUM}; CI must install it (apt-get install -y chromium).`)
      })
    })
  } else {
    console.warn(
      `\n[browser.test] SKIPPED: no Chromium at ${CHROMIUM}. Install it with \`apt-get update && apt-get install -y chromium\` to run the browser test.\n`,
    )
  }
}

describe.skipIf(!hasChromium)('browser demo (headless Chromium)', () => {
  let backend: PolarBackend & { fake: NonNullable<PolarBackend['fake']> }
  let app: { url: string; close(): Promise<void> }
  let browser: Browser | undefined
  let jane: FakeCustomer

  beforeAll(async () => {
    backend = await startDemoFake()
    jane = backend.fake.customers().find((c) => c.externalId === 'usr_jane')!
    const { startDemoServer } = await loadExample('express')
    const { logger } = await captureLogger('browser-demo')
    app = await startDemoServer({ polar: backend.polar, port: 0, host: '127.0.0.1', logger })
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    })
  })

  afterAll(async () => {
    await browser?.close()
    await app?.close()
    await backend?.close()
  })

  it('signs in as Jane, clicks "Manage billing" and lands on the portal page for Jane', async () => {
    const context = await browser!.newContext()
    try {
      const page = await context.newPage()
      await page.goto(app.url)
      await expect.poll(() => page.title()).toContain('Sign in')

      await page.getByRole('button', { name: 'Sign in as Jane' }).click()
      await page.waitForURL(`${app.url}/account`)
      expect(await page.locator('#session-customer-id').textContent()).toBe(jane.id)
      const shown = (await page.locator('#session-json').textContent()) ?? ''
      expect(shown).toContain('[redacted]')
      for (const { token } of backend.fake.sessions()) expect(shown).not.toContain(token)

      await page.getByRole('link', { name: 'Manage billing' }).click()
      await page.waitForURL((url) => url.href.startsWith(`${backend.fake.url}/demo/portal?`))
      expect(await page.locator('#customer-id').textContent()).toBe(jane.id)
      expect(await page.locator('#customer-email').textContent()).toBe('jane@example.com')

      // The portal's back link returns to the app, still signed in.
      await page.locator('#return-link').click()
      await page.waitForURL(`${app.url}/account`)
      expect(await page.locator('#session-customer-id').textContent()).toBe(jane.id)
      // Two page views and one portal visit: one session created at Polar.
      expect(backend.fake.stats.sessionsCreated).toBe(1)
    } finally {
      await context.close()
    }
  })
})
