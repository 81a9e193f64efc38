/**
 * `firstOf`: try several resolvers in order.
 *
 * @module
 */
import type { Identify, IdentifyResult } from '../types.js'
import type { IdentityResolver } from './resolver.js'

/**
 * Combines resolvers: each is awaited in order and the first identity wins. When every one
 * answers `null` or `undefined`, the request is anonymous (`null`).
 *
 * A resolver that throws stops the chain with its error: a forged or expired token is not the
 * same as no token, and must not fall through to a weaker resolver.
 *
 * @example A bearer token for API clients, the Passport session for the browser
 * ```ts
 * identify: firstOf(
 *   fromJwt({ jwksUrl, algorithms: ['RS256'], issuer }),
 *   fromUser(),
 * )
 * ```
 *
 * @throws {TypeError} At construction, when no resolver is given or one is not a function.
 */
export function firstOf<Req>(...resolvers: ReadonlyArray<Identify<Req>>): IdentityResolver<Req> {
  if (resolvers.length === 0) throw new TypeError('firstOf: pass at least one resolver')
  resolvers.forEach((resolver: unknown, index) => {
    if (typeof resolver !== 'function') {
      throw new TypeError(
        `firstOf: resolver ${index + 1} is ${resolver === null ? 'null' : `a ${typeof resolver}`}, not a function`,
      )
    }
  })
  const chain = [...resolvers]
  return async function identifyFromFirst(request: Req): Promise<IdentifyResult> {
    for (const resolver of chain) {
      const identity = await resolver(request)
      if (identity !== null && identity !== undefined) return identity
    }
    return null
  }
}
