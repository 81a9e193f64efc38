import { describe, expect, it } from 'vitest'
import { createPolarSessions } from './create-polar-sessions.js'
import { memoryStore } from './store/memory.js'
import { redisStore } from './store/redis.js'

const base = { accessToken: 'polar_oat_test', baseUrl: 'http://127.0.0.1:9' }

describe('unknown option keys', () => {
  it("environment: 'sandbox' is refused, naming server, instead of quietly talking to production", () => {
    expect(() => createPolarSessions({ ...base, environment: 'sandbox' } as never)).toThrow(TypeError)
    expect(() => createPolarSessions({ ...base, environment: 'sandbox' } as never)).toThrow(
      'createPolarSessions: unknown option "environment"; did you mean server?',
    )
  })

  it.each([
    ['idenitfy', 'identify'],
    ['refreshMarginMS', 'refreshMarginMs'],
    ['acessToken', 'accessToken'],
    ['maxCreationPerMinute', 'maxCreationsPerMinute'],
    ['getCustomerId', 'identify'],
  ])('%s suggests %s', (typo, meant) => {
    expect(() => createPolarSessions({ ...base, [typo]: 1 } as never)).toThrow(`did you mean ${meant}?`)
  })

  it('a key like nothing known is refused without a guess', () => {
    expect(() => createPolarSessions({ ...base, zzzzzzzz: 1 } as never)).toThrow(/unknown option "zzzzzzzz"$/)
  })

  it('the stores and the breaker refuse theirs too', () => {
    expect(() => memoryStore({ maxSize: 5 } as never)).toThrow(
      'memoryStore: unknown option "maxSize"; did you mean max?',
    )
    expect(() => redisStore({ client: {} as never, keyPrefix: 'x' } as never)).toThrow('did you mean prefix?')
    expect(() => createPolarSessions({ ...base, circuitBreaker: { threshold: 3 } } as never)).toThrow(
      'circuitBreaker: unknown option "threshold"; did you mean failureThreshold?',
    )
  })
})
