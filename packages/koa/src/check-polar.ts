import type { PolarSessions } from '@polar-session/core'

/** A mount-time check that the first argument is what `createPolarSessions()` returns. */
export function checkPolar(where: string, polar: PolarSessions<any>): void {
  if (typeof polar !== 'object' || polar === null || typeof polar.resolve !== 'function' || typeof polar.checkReturnUrl !== 'function') {
    throw new TypeError(`${where}: the first argument must be the object createPolarSessions() returns.`)
  }
}
