// Polar's token format (server/polar/kit/crypto.py): prefix + 37 random
// characters from string.ascii_letters + string.digits + the CRC32 of those 37
// characters in base62 (digits, upper, lower), zero-padded to 6. 53 characters
// with a 10-character prefix. The checksum covers the random part only, not the
// prefix. Polar never checks it server-side (it looks up a hash of the whole
// token); secret scanners do, so the fake's tokens must carry a correct one.

import { randomBytes } from 'node:crypto'
import { crc32 as zlibCrc32 } from 'node:zlib'

export const TOKEN_PREFIXES = {
  organization: 'polar_oat_',
  personal: 'polar_pat_',
  customerSession: 'polar_cst_',
  memberSession: 'polar_mst_',
} as const

const RANDOM_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
const RANDOM_LENGTH = 37
const CHECKSUM_LENGTH = 6

/** CRC-32 of the UTF-8 bytes of `text`, as Python's zlib.crc32 (Node's zlib.crc32, Node ≥ 20.15). */
export function crc32(text: string): number {
  return zlibCrc32(text) >>> 0
}

/** Polar's _crc32_to_base62: most significant digit first, zfill(6). */
export function base62Checksum(value: number): string {
  let n = value
  let out = ''
  while (n > 0) {
    out = BASE62[n % 62] + out
    n = Math.floor(n / 62)
  }
  return out.padStart(CHECKSUM_LENGTH, '0')
}

/** 37 uniformly random [A-Za-z0-9] (rejection sampling: 248 = 4 × 62). */
function randomPart(): string {
  let out = ''
  while (out.length < RANDOM_LENGTH) {
    for (const byte of randomBytes(48)) {
      if (byte < 248) out += RANDOM_ALPHABET[byte % 62]
      if (out.length === RANDOM_LENGTH) break
    }
  }
  return out
}

/** A new token in Polar's format, e.g. generatePolarToken('polar_cst_'). */
export function generatePolarToken(prefix: string): string {
  const random = randomPart()
  return prefix + random + base62Checksum(crc32(random))
}

export interface ParsedPolarToken {
  prefix: string
  random: string
  checksum: string
  /** True when the checksum matches the random part. */
  checksumValid: boolean
}

const TOKEN_SHAPE = /^(polar_[a-z]{2,4}_)([A-Za-z0-9]{37})([0-9A-Za-z]{6})$/

/** Splits a token of Polar's shape (`polar_xxx_` + 37 + 6); null for anything else. */
export function parsePolarToken(token: string): ParsedPolarToken | null {
  const match = TOKEN_SHAPE.exec(token)
  if (!match) return null
  const [, prefix = '', random = '', checksum = ''] = match
  return { prefix, random, checksum, checksumValid: base62Checksum(crc32(random)) === checksum }
}

/** True for a well-formed Polar token with a correct checksum (any prefix, or the given one). */
export function isValidPolarToken(token: string, prefix?: string): boolean {
  const parsed = parsePolarToken(token)
  if (!parsed?.checksumValid) return false
  return prefix === undefined || parsed.prefix === prefix
}
