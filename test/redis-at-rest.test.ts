// What an operator (or an attacker with a Redis dump) sees: hashed keys, sealed values. Key
// rotation keeps old values readable; a value moved under another key does not open.
import { execFile } from 'node:child_process'
import { randomBytes, randomUUID } from 'node:crypto'
import { promisify } from 'node:util'
import {
  createPolarSessions,
  type PolarSession,
  type PolarSessions,
  type PolarSessionsOptions,
} from '@polar-session/core'
import { redisStore } from '@polar-session/core/redis'
import { startFakePolar, type FakePolar } from '@polar-session/testing'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { KeyDeriver } from '../packages/core/src/reuse/keys.js'
import { describeRedis, REDIS_HOST, REDIS_PORT } from '../packages/core/src/test-support/redis.js'
import { validateIdentity } from '../packages/core/src/validate-identity.js'
import { deleteUnder, openAdmin, type Admin } from './support/redis-admin.js'

const PREFIX = `polar-session-test:at-rest:${randomUUID()}:`
const KEY_OLD = randomBytes(32).toString('base64')
const KEY_NEW = randomBytes(32).toString('base64')
const USERS = ['ext-user-xyz-123', 'ext-user-abc-456', 'ext-user-rotated-789']
const APP = 'https://app.example.com'

/** The real redis-cli binary, as an operator would run it. */
async function redisCli(...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)('redis-cli', ['-h', REDIS_HOST, '-p', String(REDIS_PORT), ...args])
  return stdout
}

describeRedis('Redis at rest (redisStore + encryptionKey)', () => {
  let fake: FakePolar
  let admin: Admin
  const opened: PolarSessions[] = []
  const handedOut: PolarSession[] = []

  function polar(options: Partial<PolarSessionsOptions> = {}, prefix = PREFIX): PolarSessions {
    const instance = createPolarSessions({
      accessToken: fake.accessToken,
      baseUrl: fake.url,
      store: redisStore({ client: admin, prefix }),
      encryptionKey: KEY_OLD,
      allowedReturnOrigins: [APP],
      ...options,
    })
    opened.push(instance)
    return instance
  }

  async function get(p: PolarSessions, user: string, returnUrl?: string): Promise<PolarSession> {
    const session = await p.getSession({ externalCustomerId: user }, returnUrl === undefined ? {} : { returnUrl })
    handedOut.push(session)
    return session
  }

  /** The store key of a session, derived as the core does (scope: environment, base URL, token). */
  const sessionKey = (user: string, returnUrl: string | null = null) =>
    PREFIX +
    new KeyDeriver('custom', fake.url, fake.accessToken).keys(validateIdentity({ externalCustomerId: user }), returnUrl)
      .session

  beforeAll(async () => {
    fake = await startFakePolar()
    for (const [i, user] of USERS.entries())
      fake.addCustomer({ externalId: user, email: `rest.user${i}@example.com`, name: `Rest ${i}` })
    admin = await openAdmin()
  })

  afterAll(async () => {
    await Promise.all(opened.map((p) => p.close()))
    if (admin !== undefined) {
      await deleteUnder(admin, PREFIX)
      await admin.close()
    }
    await fake?.close()
  })

  it('keys and values (read with redis-cli) hold no token, email, portal URL, customer or external id', async () => {
    const p = polar()
    for (const user of USERS.slice(0, 2)) await get(p, user)
    await get(p, USERS[0]!, `${APP}/account`)
    expect(fake.stats.sessionsCreated).toBe(3)

    const keys = (await redisCli('--scan', '--pattern', `${PREFIX}*`)).split('\n').filter(Boolean)
    // 3 sessions + 2 customer generations + the last minute's creation count; the locks are released.
    expect(keys).toHaveLength(6)
    const counters = keys.filter((key) => /b:[\w-]+:count$/.test(key))
    expect(counters).toHaveLength(1)
    expect(keys.filter((k) => k.includes(':lock:'))).toEqual([])
    // The count is a sorted set of opaque members (process id and sequence number), one a creation.
    const values = await Promise.all(
      keys.map((key) => (counters.includes(key) ? redisCli('ZRANGE', key, '0', '-1') : redisCli('GET', key))),
    )
    const dump = [...keys, ...values].join('\n')
    // Every value is a sealed JWE (the generations too), but the creation count.
    for (const [i, value] of values.entries()) {
      if (counters.includes(keys[i]!)) {
        const members = value.trim().split('\n')
        expect(members).toHaveLength(3)
        for (const member of members) expect(member).toMatch(/^[\w-]{12}:\d+$/)
      } else expect(Object.keys(JSON.parse(value))).toEqual(['protected', 'iv', 'ciphertext', 'tag'])
    }

    const secrets = [
      'polar_',
      '@',
      'customer_session_token',
      fake.url,
      `/${fake.organizationSlug}/portal`,
      ...USERS,
      ...handedOut.flatMap((s) => [s.token, s.customerPortalUrl, s.customerId, s.customer.email ?? '', s.id]),
    ]
    for (const secret of secrets) expect(dump.includes(secret), `found ${JSON.stringify(secret)} at rest`).toBe(false)
  })

  it('a rotated key ([new, old]) still reads old values; new writes use the new key', async () => {
    const before = handedOut.slice(0, 2)
    fake.stats.reset()
    const rotated = polar({ encryptionKey: [KEY_NEW, KEY_OLD] })
    for (const [i, user] of USERS.slice(0, 2).entries()) expect((await get(rotated, user)).id).toBe(before[i]!.id)
    expect(fake.stats.sessionsCreated).toBe(0)

    // Sealed with the new key: the old key alone cannot open it; dropping the old key loses old values.
    const fresh = await get(rotated, USERS[2]!)
    expect(fake.stats.sessionsCreated).toBe(1)
    expect((await get(polar({ encryptionKey: [KEY_NEW] }), USERS[2]!)).id).toBe(fresh.id)
    expect(fake.stats.sessionsCreated).toBe(1)
    expect((await get(polar({ encryptionKey: KEY_OLD }), USERS[2]!)).id).not.toBe(fresh.id)
    expect((await get(polar({ encryptionKey: KEY_NEW }), USERS[1]!)).id).not.toBe(before[1]!.id)
    expect(fake.stats.sessionsCreated).toBe(3)
  })

  it('a value copied or renamed onto another session key is a miss (the key is authenticated)', async () => {
    // No near cache: this process must read what an attacker wrote to Redis, not its own copy.
    const p = polar({ nearCacheTtlMs: 0 })
    const user = USERS[0]!
    const plain = await get(p, user)
    const account = await get(p, user, `${APP}/account`)
    fake.stats.reset()

    // Same customer and generation, other return URL: only the sealed key binding stops it.
    await admin.sendCommand(['COPY', sessionKey(user), sessionKey(user, `${APP}/account`), 'REPLACE'])
    const moved = await get(p, user, `${APP}/account`)
    expect(moved.id).not.toBe(plain.id)
    expect(moved.id).not.toBe(account.id)
    expect(moved.returnUrl).toBe(`${APP}/account`)
    expect(fake.stats.sessionsCreated).toBe(1)

    // Another user's session renamed onto this one's key.
    const other = USERS[1]!
    const theirs = await get(p, other)
    fake.stats.reset()
    await admin.sendCommand(['RENAME', sessionKey(other), sessionKey(user)])
    const mine = await get(p, user)
    expect(mine.customer.externalId).toBe(user)
    expect(mine.id).not.toBe(theirs.id)
    expect(fake.stats.sessionsCreated).toBe(1)
  })

  it('control: without encryption the same copy would be served (what the seal prevents)', async () => {
    const prefix = `${PREFIX}plain:`
    const p = polar({ encryptionKey: undefined, allowPlaintextStore: true, nearCacheTtlMs: 0 }, prefix)
    const user = USERS[0]!
    const plain = await get(p, user)
    await get(p, user, `${APP}/account`)
    const key = (returnUrl: string | null) =>
      prefix +
      new KeyDeriver('custom', fake.url, fake.accessToken).keys(
        validateIdentity({ externalCustomerId: user }),
        returnUrl,
      ).session
    await admin.sendCommand(['COPY', key(null), key(`${APP}/account`), 'REPLACE'])
    expect((await get(p, user, `${APP}/account`)).id).toBe(plain.id)
  })
})
