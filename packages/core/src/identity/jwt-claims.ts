import type { JWTPayload } from 'jose'
import { invalidToken } from './jwt-errors.js'
import type { ClaimName, ClaimReader } from './jwt-options.js'

function claimLabel(name: ClaimName): string {
  return typeof name === 'string' ? name : name.join('.')
}

function readClaim(payload: JWTPayload, name: ClaimName): unknown {
  const path = typeof name === 'string' ? [name] : name
  if (path.length === 0 || path.some((segment) => typeof segment !== 'string' || segment.length === 0)) {
    throw new TypeError('fromJwt: a claim name must be a non-empty string or a non-empty array of non-empty strings')
  }
  let value: unknown = payload
  for (const segment of path) {
    if (value === null || typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(value, segment)) {
      return undefined
    }
    value = (value as Record<string, unknown>)[segment]
  }
  return value
}

export function claimReader(payload: JWTPayload): ClaimReader {
  const optionalClaim = (name: ClaimName): string | undefined => {
    const value = readClaim(payload, name)
    if (value === undefined || value === null) return undefined
    if (typeof value !== 'string') throw invalidToken(`The bearer token's "${claimLabel(name)}" claim is not a string.`)
    return value
  }
  return {
    optionalClaim,
    claim: (name) => {
      const value = optionalClaim(name)
      if (value === undefined) throw invalidToken(`The bearer token has no "${claimLabel(name)}" claim.`)
      return value
    },
  }
}
