import type { ResolveOptions } from '../call-options.js'
import type { PolarSessionError } from '../errors.js'
import type { PolarSession } from '../types.js'

/**
 * What the adapter plumbing needs from an instance beyond its public methods. Kept off the
 * public object (a registry keyed by it), so `createPolarSessions()` returns only what app
 * authors call.
 */
export interface PolarSessionsInternals {
  /** Logs an error that attach mode swallowed: throttled, at a level that fits its code. */
  reportAttachError(error: PolarSessionError): void
  /**
   * `resolve`, but a synchronous `identify` and a ready cache hit give the result as is, with no
   * promise: the adapters' hot path. Failures are always a rejected promise, never a throw.
   */
  resolveNow(request: unknown, options?: ResolveOptions): PolarSession | null | Promise<PolarSession | null>
}

const registry = new WeakMap<object, PolarSessionsInternals>()

export function registerInternals(polar: object, internals: PolarSessionsInternals): void {
  registry.set(polar, internals)
}

/** The instance's internals; undefined for an object this copy of the core did not create. */
export function internalsOf(polar: object): PolarSessionsInternals | undefined {
  return registry.get(polar)
}
