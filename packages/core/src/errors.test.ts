import { describe, expect, it } from 'vitest'
import { asPolarSessionError, isPolarSessionError, PolarSessionError } from './errors.js'

describe('isPolarSessionError', () => {
  it('recognises an error made by another copy of @polar-session/core, which instanceof does not', async () => {
    // A query string makes Node load the built module a second time: a second class, as when an
    // app ends up with two copies of the package.
    const copy = (await import(
      new URL(`../dist/errors.js?second-copy=${Date.now()}`, import.meta.url).href
    )) as typeof import('./errors.js')
    expect(copy.PolarSessionError).not.toBe(PolarSessionError)
    const foreign = new copy.PolarSessionError('rate_limited', 'Slow down.', { status: 503, retryAfter: 2 })
    expect(foreign instanceof PolarSessionError).toBe(false)
    expect(isPolarSessionError(foreign)).toBe(true)
    expect(isPolarSessionError(foreign, 'rate_limited')).toBe(true)
    expect(isPolarSessionError(foreign, 'customer_not_found')).toBe(false)
    expect(copy.isPolarSessionError(new PolarSessionError('invalid_identity', 'no', { status: 400 }))).toBe(true)
    expect(asPolarSessionError(foreign)).toBe(foreign)
  })

  it('is false for look-alikes: a plain error with a code, an object, null', () => {
    expect(isPolarSessionError(Object.assign(new Error('x'), { code: 'rate_limited', status: 503 }))).toBe(false)
    expect(isPolarSessionError({ name: 'PolarSessionError', code: 'rate_limited' })).toBe(false)
    expect(isPolarSessionError(null)).toBe(false)
  })

  it('every 503 has a Retry-After, 5 s unless given', () => {
    expect(new PolarSessionError('polar_unavailable', 'down', { status: 503 }).headers['Retry-After']).toBe('5')
    expect(new PolarSessionError('polar_unavailable', 'bad', { status: 502 }).headers['Retry-After']).toBeUndefined()
  })
})
