// Cross-customer isolation, as a property: random interleavings of many identities (external
// ids with unicode, Polar ids, team members by external id and by id) and return URLs, sent
// ~50 at a time over real HTTP (a kept-alive agent) to the Express 5, Fastify 5 and Fastify 4
// apps, with invalidations and fake latency mixed in. Every answer's session must be its own
// identity's: customer, external id, member and return URL, checked against what the fake
// issued, token included (by fingerprint). 34 runs of 100 requests per app: over 10,000
// requests in all, zero leaks.
import { Agent, request as httpRequest } from 'node:http'
import type { PolarIdentity } from '@polar-session/core'
import type { FakeCustomer, FakeSession } from '@polar-session/testing'
import fc from 'fast-check'
import { afterAll, beforeAll, expect, it } from 'vitest'
import {
  APP_HOST,
  APP_ORIGIN,
  asciiJson,
  fingerprint,
  type Framework,
  type SessionSummary,
  type TestApp,
} from '../support/apps.js'
import { useE2E } from '../support/e2e.js'

const PREFIXES = ['usr_iso_', 'ü_iso_', '日本_iso_', '🎉_iso_', 'Ωmega iso ', 'ǅ_iso_']
const INDIVIDUAL_IDS = Array.from({ length: 24 }, (_, i) => `${PREFIXES[i % PREFIXES.length]}${i}`)
const TEAMS = Array.from({ length: 4 }, (_, t) => ({
  externalId: `team_iso_${t}`,
  members: ['a', 'b', 'ç'].map((m) => `member_${t}_${m}`),
}))

const e2e = useE2E({
  seed: [
    ...INDIVIDUAL_IDS.map((externalId, i) => ({ externalId, email: `iso${i}@example.com`, name: `Iso ${i}` })),
    ...TEAMS.map((team, t) => ({
      externalId: team.externalId,
      type: 'team' as const,
      email: `team${t}@example.com`,
      members: team.members.map((externalId, m) => ({ externalId, email: `member${t}.${m}@example.com` })),
    })),
  ],
})

/** One identity the app may be asked for, and whose session it must get. */
interface Target {
  identity: PolarIdentity
  customer: FakeCustomer
  /** The member the session must be for: the named one, or an individual's owner. */
  memberId: string
}

const RETURN_URLS: Array<[string | undefined, string]> = [
  [undefined, `${APP_ORIGIN}/account`],
  ['/billing', `${APP_ORIGIN}/billing`],
  ['/settings?tab=plan', `${APP_ORIGIN}/settings?tab=plan`],
  ['/ü/%2Fx', `${APP_ORIGIN}/%C3%BC/%2Fx`],
  [`${APP_ORIGIN}/back#top`, `${APP_ORIGIN}/back#top`],
]

const targets: Target[] = []
let app: TestApp
const agent = new Agent({ keepAlive: true, maxSockets: 50 })

beforeAll(async () => {
  const customers = new Map(e2e.fake.customers().map((customer) => [customer.externalId, customer]))
  for (const externalId of INDIVIDUAL_IDS) {
    const customer = customers.get(externalId)!
    targets.push({ identity: { externalCustomerId: externalId }, customer, memberId: customer.members[0]!.id })
    targets.push({ identity: { customerId: customer.id }, customer, memberId: customer.members[0]!.id })
  }
  for (const team of TEAMS) {
    const customer = customers.get(team.externalId)!
    for (const member of customer.members) {
      targets.push({
        identity: { externalCustomerId: team.externalId, externalMemberId: member.externalId! },
        customer,
        memberId: member.id,
      })
      targets.push({ identity: { customerId: customer.id, memberId: member.id }, customer, memberId: member.id })
    }
  }
})
afterAll(() => agent.destroy())

function get(path: string, identity: PolarIdentity): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: app.port,
        path,
        agent,
        headers: { host: APP_HOST, 'x-identity': asciiJson(identity) },
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }))
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end()
  })
}

interface Step {
  target: number
  returnUrl: number
  /** Invalidate the identity's sessions just before this request (in-process, like a webhook). */
  invalidate: boolean
}

const FRAMEWORKS: Framework[] = ['express 5', 'fastify 5', 'fastify 4']
const RUNS = 34
const REQUESTS_PER_RUN = 100
const CONCURRENCY = 50

it.each(FRAMEWORKS)(
  `%s: every answer belongs to its own identity: ${RUNS * REQUESTS_PER_RUN} requests, zero leaks`,
  async (framework) => {
    // Four per-request return URLs per identity (the cap is 3 by default) and hundreds of creations
    // a minute (past the default budget): this checks isolation, not those limits.
    const polar = e2e.polar({
      returnUrl: `${APP_ORIGIN}/account`,
      maxReturnUrlsPerCustomer: 4,
      maxCreationsPerMinute: Infinity,
    })
    app = await e2e.app(framework, polar)
    let sent = 0
    const leaks: string[] = []
    const step = fc.record<Step>({
      target: fc.nat({ max: targets.length - 1 }),
      returnUrl: fc.nat({ max: RETURN_URLS.length - 1 }),
      invalidate: fc.nat({ max: 49 }).map((n) => n === 0), // 2%
    })

    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: REQUESTS_PER_RUN, maxLength: REQUESTS_PER_RUN }),
        fc.nat({ max: 5 }),
        async (steps, latencyMs) => {
          e2e.fake.setLatency(latencyMs)
          for (let start = 0; start < steps.length; start += CONCURRENCY) {
            const batch = steps.slice(start, start + CONCURRENCY)
            const answers = await Promise.all(
              batch.map(async ({ target, returnUrl, invalidate }) => {
                const { identity } = targets[target]!
                if (invalidate) await polar.invalidate(identity)
                const [param] = RETURN_URLS[returnUrl]!
                const path = param === undefined ? '/me' : `/me?${new URLSearchParams({ return_to: param })}`
                sent++
                return get(path, identity)
              }),
            )
            const issued = new Map<string, FakeSession>(e2e.fake.sessions().map((session) => [session.id, session]))
            batch.forEach(({ target, returnUrl }, i) => {
              const problem = check(targets[target]!, RETURN_URLS[returnUrl]![1], answers[i]!, issued)
              if (problem !== null) leaks.push(`${asciiJson(targets[target]!.identity)}: ${problem}`)
            })
          }
          return leaks.length === 0
        },
      ),
      { numRuns: RUNS, endOnFailure: true },
    )
    expect(leaks).toEqual([])
    expect(sent).toBeGreaterThanOrEqual(RUNS * REQUESTS_PER_RUN)
    // Reuse really happened: far fewer creations than requests, so the cache was what answered.
    expect(e2e.posts()).toBeLessThan(sent / 3)
  },
  120_000,
)

function check(
  target: Target,
  returnUrl: string,
  answer: { status: number; body: string },
  issued: Map<string, FakeSession>,
): string | null {
  if (answer.status !== 200) return `status ${answer.status}`
  const summary = JSON.parse(answer.body) as SessionSummary
  const session = issued.get(summary.sessionId)
  if (session === undefined) return 'a session the fake never issued'
  if (summary.customerId !== target.customer.id || session.customerId !== target.customer.id)
    return "another customer's session"
  if (summary.externalId !== target.customer.externalId) return 'another external id'
  if (session.memberId !== target.memberId) return "another member's session"
  if (summary.returnUrl !== returnUrl || session.returnUrl !== returnUrl)
    return `return URL ${summary.returnUrl} instead of ${returnUrl}`
  if (summary.tokenHash !== fingerprint(session.token)) return 'the token of another session'
  if (summary.portalTokenHash !== fingerprint(session.token)) return 'a portal URL of another session'
  return null
}
