// The warning a failing store call logs: a custom store's error message could carry a stored
// value (a token, a portal URL), so only this library's own messages are logged as they are.
import { describe, expect, it } from 'vitest'
import { captureLogs, findLeak } from '../test-support/log-capture.js'
import type { SessionStore } from '../types.js'
import { SharedEntryStore } from './shared-entry-store.js'

const SECRET = 'polar_cst_a-token-a-custom-store-put-in-its-error'

/** The fields of the one warning a failed read logs over `store`. */
async function warningOver(store: SessionStore): Promise<{ fields: Record<string, unknown>; text: string }> {
  const logs = captureLogs()
  const shared = new SharedEntryStore(store, {
    logger: logs.logger,
    opTimeoutMs: 20,
    nearCacheTtlMs: 5_000,
    nearCacheMax: 100,
  })
  await shared.read('s:key', ['g:key'], { failed: false })
  await shared.close()
  expect(logs.lines).toHaveLength(1)
  return { fields: JSON.parse(logs.lines[0]!) as Record<string, unknown>, text: logs.text() }
}

/** A store whose reads fail with `fail()`. */
function failingStore(fail: () => Promise<never>): SessionStore {
  return { get: fail, set: () => {}, delete: () => {} }
}

describe('SharedEntryStore: the warning of a failed store call', () => {
  it("names a custom store's error by its class only, never its message", async () => {
    class CustomStoreError extends Error {
      override readonly name = 'CustomStoreError'
    }
    const { fields, text } = await warningOver(
      failingStore(() => Promise.reject(new CustomStoreError(`could not read ${SECRET}`))),
    )
    expect(fields).toMatchObject({ operation: 'get', errName: 'CustomStoreError' })
    expect(fields).not.toHaveProperty('err')
    expect(findLeak(text, [SECRET])).toBeUndefined()
  })

  it('logs no thrown value that is not an Error', async () => {
    const { fields, text } = await warningOver(failingStore(() => Promise.reject(SECRET)))
    expect(fields).toMatchObject({ operation: 'get', errName: 'string' })
    expect(findLeak(text, [SECRET])).toBeUndefined()
  })

  it("logs the library's own errors with their message: a timeout, a redisStore failure", async () => {
    const timedOut = await warningOver(failingStore(() => new Promise<never>(() => {})))
    expect(timedOut.fields).toMatchObject({ operation: 'get', err: 'store get took longer than 20 ms' })
    const redis = await warningOver(failingStore(() => Promise.reject(new Error('redisStore: GET failed'))))
    expect(redis.fields).toMatchObject({ operation: 'get', err: 'redisStore: GET failed' })
  })
})
