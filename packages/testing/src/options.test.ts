import { describe, expect, it } from 'vitest'
import { closestName } from './options.js'
import { startFakePolar } from './server.js'

// A misspelt option would otherwise be ignored, and a test relying on it (a rate limit, a
// latency) would pass for the wrong reason.
describe('startFakePolar() option keys', () => {
  it('rejects an unknown key with a TypeError suggesting the closest valid name', async () => {
    const attempt = startFakePolar({ rateLimt: { limit: 5 } } as never)
    await expect(attempt).rejects.toThrow(TypeError)
    await expect(startFakePolar({ rateLimt: { limit: 5 } } as never)).rejects.toThrow(
      'unknown option "rateLimt" (did you mean rateLimit?)',
    )
    await expect(startFakePolar({ seeds: [] } as never)).rejects.toThrow('(did you mean seed?)')
    await expect(startFakePolar({ latency: 5 } as never)).rejects.toThrow('(did you mean latencyMs?)')
    await expect(startFakePolar({ MemberModel: false } as never)).rejects.toThrow('(did you mean memberModel?)')
  })

  it('lists the valid options when nothing is close', async () => {
    await expect(startFakePolar({ verbose: true } as never)).rejects.toThrow(
      'startFakePolar(): unknown option "verbose"; valid options: port, accessToken, organizationSlug, organizationId, portalBaseUrl, sessionTtlMs, memberModel, latencyMs, clockOffsetMs, rateLimit, seed',
    )
  })

  it('checks the keys of rateLimit too', async () => {
    await expect(startFakePolar({ rateLimit: { limit: 5, window: 1_000 } } as never)).rejects.toThrow(
      'unknown rateLimit option "window" (did you mean windowMs?)',
    )
    await expect(startFakePolar({ rateLimit: { limit: 5, pendingAuth: false } } as never)).rejects.toThrow(
      '(did you mean pendingAuthLimit?)',
    )
  })

  it('accepts every documented key, undefined values included', async () => {
    const fake = await startFakePolar({
      port: 0,
      latencyMs: undefined,
      rateLimit: { limit: 5, windowMs: 60_000, pendingAuthLimit: false },
      seed: [],
    })
    await fake.close()
  })

  it('closestName: typos, swaps and case, but not unrelated words', () => {
    const names = ['rateLimit', 'seed', 'latencyMs', 'clockOffsetMs']
    expect(closestName('ratelimit', names)).toBe('rateLimit')
    expect(closestName('raetLimit', names)).toBe('rateLimit')
    expect(closestName('clockOffset', names)).toBe('clockOffsetMs')
    expect(closestName('ttl', names)).toBeUndefined()
  })
})
