// One return-URL policy: every way a return URL enters goes through the same check against
// allowedReturnOrigins, and nothing reaches Polar when it fails.
import { startFakePolar, type FakePolar } from '@polar-session/testing'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createPolarSessions, type PolarSessions } from './create-polar-sessions.js'
import { PolarSessionError } from './errors.js'
import type { PolarSessionsOptions } from './options.js'

const APP = 'https://app.example.com'
const HOSTILE = [
  'https://evil.example/phish',
  'http://app.example.com/', // another scheme is another origin
  'https://app.example.com.evil.example/',
  'https://app.example.com@evil.example/',
  'https://user:pass@app.example.com/',
  '//evil.example/',
  'https:evil.example',
  '/\\evil.example',
  'javascript:alert(1)',
  'data:text/html,hi',
  'https://app.example.com/\r\nSet-Cookie: x=1',
  `https://app.example.com/${'a'.repeat(2100)}`,
  '',
]

type Request = { returnTo?: string }
type EntryPoint = (polar: PolarSessions<Request>, url: string) => Promise<unknown>

/** Every way a return URL can come in, each as a call that sends `url`. */
const ENTRY_POINTS: Record<string, { setup: Partial<PolarSessionsOptions<Request>>; call: EntryPoint }> = {
  'getSession({ returnUrl })': {
    setup: {},
    call: (polar, url) => polar.getSession({ externalCustomerId: 'ret_user' }, { returnUrl: url }),
  },
  'resolve(req, { returnUrl })': { setup: {}, call: (polar, url) => polar.resolve({}, { returnUrl: url }) },
  'a function returnUrl option': {
    setup: { returnUrl: (req) => req.returnTo },
    call: (polar, url) => polar.resolve({ returnTo: url }),
  },
  "checkReturnUrl (the adapters' returnToParam)": {
    setup: {},
    call: async (polar, url) => polar.checkReturnUrl(url, APP),
  },
}

let fake: FakePolar
const opened: PolarSessions<Request>[] = []

function sessions(options: Partial<PolarSessionsOptions<Request>>): PolarSessions<Request> {
  const polar = createPolarSessions<Request>({
    accessToken: fake.accessToken,
    baseUrl: fake.url,
    identify: () => ({ externalCustomerId: 'ret_user' }),
    ...options,
  })
  opened.push(polar)
  return polar
}

async function refusal(promise: Promise<unknown>): Promise<PolarSessionError> {
  const error = await promise.then(
    () => new Error('accepted'),
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(PolarSessionError)
  return error as PolarSessionError
}

beforeAll(async () => {
  fake = await startFakePolar()
  fake.addCustomer({ externalId: 'ret_user', email: 'ret@example.com' })
})

afterEach(async () => {
  fake.stats.reset()
  await Promise.all(opened.splice(0).map((p) => p.close()))
})

afterAll(async () => {
  await fake.close()
})

describe.each(Object.entries(ENTRY_POINTS))('%s', (_name, { setup, call }) => {
  const configs: Record<string, Partial<PolarSessionsOptions<Request>>> = {
    'allowedReturnOrigins: [app]': { allowedReturnOrigins: [APP] },
    'a static returnUrl on app': {
      returnUrl: `${APP}/account`,
      allowedReturnOrigins: setup.returnUrl ? [APP] : undefined,
    },
  }

  it.each(Object.entries(configs))(
    'with %s: refuses every hostile value with 400 and calls nobody',
    async (_config, options) => {
      const polar = sessions({ ...options, ...setup })
      for (const hostile of HOSTILE) {
        const error = await refusal(call(polar, hostile))
        expect(error, hostile).toMatchObject({ code: 'invalid_return_url', status: 400 })
      }
      expect(fake.stats.total).toBe(0)
    },
  )

  it.each(Object.entries(configs))('with %s: accepts a URL on the app', async (_config, options) => {
    const polar = sessions({ ...options, ...setup })
    await expect(call(polar, `${APP}/billing?tab=plan`)).resolves.toBeDefined()
  })
})

describe('with no allowed origins at all (no allowedReturnOrigins, no static returnUrl)', () => {
  it.each(['getSession({ returnUrl })', 'resolve(req, { returnUrl })', "checkReturnUrl (the adapters' returnToParam)"])(
    '%s refuses even a URL on the app: no path accepts "any origin"',
    async (name) => {
      const polar = sessions({})
      const error = await refusal(ENTRY_POINTS[name]!.call(polar, `${APP}/account`))
      expect(error).toMatchObject({ code: 'invalid_return_url', status: 400 })
      expect(error.message).toContain('allowedReturnOrigins')
      expect(fake.stats.total).toBe(0)
    },
  )

  it('a function returnUrl without allowedReturnOrigins is refused at construction', () => {
    expect(() => sessions({ returnUrl: () => `${APP}/account` })).toThrow(
      /function returnUrl needs allowedReturnOrigins/,
    )
  })
})
