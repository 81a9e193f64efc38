// The secret watch must be able to fail: every kind of secret, in every form, in every place it
// captures, is found; redacted forms are not.
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createPolarSessions, PolarSessionError } from '@polar-session/core'
import { startFakePolar, type FakePolar } from '@polar-session/testing'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SecretWatch } from './secret-watch.js'

let fake: FakePolar
let token: string
let portalUrl: string
const email = 'leaky+test@example.com'

beforeAll(async () => {
  fake = await startFakePolar()
  fake.addCustomer({ externalId: 'usr_leak', email })
  const polar = createPolarSessions({ accessToken: fake.accessToken, baseUrl: fake.url })
  const session = await polar.getSession({ externalCustomerId: 'usr_leak' })
  token = session.token
  portalUrl = session.customerPortalUrl
  await polar.close()
})
afterAll(() => fake.close())

function watching(): SecretWatch {
  const watch = new SecretWatch()
  watch.fake(fake)
  return watch
}

async function serve(watch: SecretWatch, body: string): Promise<{ server: Server; url: string }> {
  const server = createServer(watch.listener((_req, res) => res.end(body)))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` }
}

describe('the secret watch', () => {
  it('is quiet for redacted sessions, ids and ordinary errors', () => {
    const watch = watching()
    const polar = createPolarSessions({ accessToken: fake.accessToken, baseUrl: fake.url, logger: watch.logger })
    watch.logger.info({ session: { token: '[redacted]' } }, 'fine')
    watch.text('body', JSON.stringify({ customer: 'j…@example.com', portal: `${fake.url}/acme/portal?[redacted]` }))
    watch.error('error', new PolarSessionError('invalid_identity', 'externalCustomerId must be …', { status: 400 }))
    expect(watch.leaks()).toEqual([])
    return polar.close()
  })

  it.each([
    ['the access token', () => fake.accessToken, /the access token/],
    ['a session token', () => token, /a session token/],
    ['a portal URL', () => portalUrl, /a session token|a portal URL/],
    ['a customer email', () => email, /a customer email/],
  ])('finds %s raw, URL-encoded and JSON-escaped in a log line', (_name, secret, kind) => {
    for (const form of [secret(), encodeURIComponent(secret()), JSON.stringify(secret()).slice(1, -1)]) {
      const watch = watching()
      watch.logger.warn({ detail: `x${form}x` }, 'oops')
      expect(watch.leaks()).toEqual([expect.stringMatching(kind)])
      expect(() => watch.assertClean()).toThrow(/secrets leaked in 1 place/)
    }
  })

  it('never repeats the secret in its report', () => {
    const watch = watching()
    watch.text('somewhere', token)
    expect(watch.leaks().join('\n')).not.toContain(token)
  })

  it('finds one in an error message, cause or stack', () => {
    const watch = watching()
    watch.error('handler', new Error('boom', { cause: { email } }))
    expect(watch.leaks()).toEqual([expect.stringMatching(/handler: error: a customer email/)])
  })

  it('finds one in a response body or header sent through a wrapped listener', async () => {
    const watch = watching()
    const { server, url } = await serve(watch, `{"url":"${portalUrl}"}`)
    await (await fetch(url)).text()
    server.close()
    expect(watch.leaks()).toEqual([expect.stringMatching(/^response 200 to GET \/: a session token/)])
  })

  it('finds tokens and tokened portal URLs by shape, even from elsewhere', () => {
    const watch = new SecretWatch()
    watch.text('a', 'polar_mst_' + 'A'.repeat(43))
    watch.text('b', 'https://polar.sh/acme/portal?customer_session_token=abc')
    expect(watch.leaks()).toEqual([
      expect.stringMatching(/^a: a Polar token/),
      expect.stringMatching(/^b: a portal URL/),
    ])
  })
})

/** The `paths: [...]` of the pino example in docs/faults.md (or another page of docs/). */
function documentedRedactPaths(page = 'faults.md'): string[] {
  const doc = readFileSync(new URL(`../../docs/${page}`, import.meta.url), 'utf8')
  const block = /paths: \[\n([\s\S]*?)\n\s*\]/.exec(doc)?.[1] ?? ''
  return [...block.matchAll(/^\s*'([^']+)',$/gm)].map((match) => match[1]!)
}

describe('the redact paths recommended in docs/faults.md', () => {
  function logRequest(watch: SecretWatch, redact: string[] | undefined): void {
    const logger = pino(
      { base: null, ...(redact ? { redact: { paths: redact, censor: '[redacted]' } } : {}) },
      {
        write: (line: string) => void watch.logLines.push(line),
      },
    )
    const session = { token, customerPortalUrl: portalUrl }
    logger.info(
      {
        req: {
          method: 'GET',
          url: '/portal',
          headers: { authorization: `Bearer ${token}`, cookie: `sid=${token}`, 'x-api-key': fake.accessToken },
        },
        res: {
          statusCode: 303,
          headers: { location: portalUrl, 'set-cookie': `portal=${encodeURIComponent(portalUrl)}` },
        },
      },
      'request completed',
    )
    logger.info({ polarSession: session }, 'session attached')
    logger.info({ ctx: { polarSession: session } }, 'koa state')
  }

  it('hide every secret a request log carries', () => {
    const paths = documentedRedactPaths()
    expect(paths).toEqual(
      expect.arrayContaining(['req.headers.authorization', 'req.headers.cookie', 'res.headers.location']),
    )
    const watch = watching()
    logRequest(watch, paths)
    expect(watch.leaks()).toEqual([])
    expect(watch.logLines.join('')).toContain('[redacted]')
  })

  it('are the ones docs/observability.md recommends too', () => {
    expect(documentedRedactPaths('observability.md')).toEqual(documentedRedactPaths())
  })

  it('are needed: without them the same log leaks', () => {
    const watch = watching()
    logRequest(watch, undefined)
    expect(watch.leaks()).toHaveLength(3)
  })
})
