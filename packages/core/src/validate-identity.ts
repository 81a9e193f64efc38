import { PolarSessionError } from './errors.js'
import type { PolarIdentity } from './types.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
// C0 and C1 control characters, DEL included. Ids with them are never legitimate and break logs.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/
/** Polar's limit for external ids. */
export const MAX_EXTERNAL_ID_LENGTH = 1024
const MAX_EMAIL_LENGTH = 320
const MAX_NAME_LENGTH = 256

/** The checked, canonical form of an identity the core works with. */
export interface CheckedIdentity {
  customerId?: string
  externalCustomerId?: string
  memberId?: string
  externalMemberId?: string
  email?: string
  name?: string
  /** Canonical text of the customer part, e.g. `c:<uuid>` or `x:<external id>`. */
  customerKey: string
  /** Canonical text of the member part, or '' without a member. */
  memberKey: string
}

function invalid(message: string): PolarSessionError {
  return new PolarSessionError('invalid_identity', message, { status: 400 })
}

// Describes a rejected value without echoing it: an external id may be an email.
function describe(value: unknown): string {
  if (typeof value === 'string') return `a string of ${value.length} characters`
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return `a ${typeof value}`
}

function checkUuid(field: string, value: unknown): string {
  if (typeof value !== 'string' || !UUID.test(value)) {
    throw invalid(
      `${field} must be a UUID (Polar's own id), got ${describe(value)}. For your app's own user ids use externalCustomerId / externalMemberId.`,
    )
  }
  return value.toLowerCase()
}

function checkExternalId(field: string, value: unknown): string {
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    value.length > MAX_EXTERNAL_ID_LENGTH ||
    CONTROL.test(value) ||
    !value.isWellFormed()
  ) {
    throw invalid(
      `${field} must be a non-empty string of at most ${MAX_EXTERNAL_ID_LENGTH} characters without control characters, got ${describe(value)}.`,
    )
  }
  return value
}

function checkOptionalText(field: string, value: unknown, max: number): string | undefined {
  if (value === undefined || value === null) return undefined
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    value.length > max ||
    CONTROL.test(value) ||
    !value.isWellFormed()
  ) {
    throw invalid(
      `${field} must be a non-empty string of at most ${max} characters without control characters, got ${describe(value)}.`,
    )
  }
  return value
}

/**
 * Checks an identity before anything touches the network or a store, and returns its
 * canonical form. Throws `invalid_identity` (400) with a message that names the field and
 * the rule, never the value.
 */
export function validateIdentity(identity: PolarIdentity | unknown): CheckedIdentity {
  if (typeof identity !== 'object' || identity === null || Array.isArray(identity)) {
    throw invalid(
      `An identity must be an object such as { externalCustomerId } or { customerId }, got ${describe(identity)}.`,
    )
  }
  // Parsed JSON can carry an own `__proto__` key: never legitimate in an identity, and a sign
  // of someone probing for prototype pollution. Refused outright rather than ignored.
  if (Object.hasOwn(identity, '__proto__')) {
    throw invalid('An identity must not have a "__proto__" key.')
  }
  const customerId = own(identity, 'customerId')
  const externalCustomerId = own(identity, 'externalCustomerId')
  const memberId = own(identity, 'memberId')
  const externalMemberId = own(identity, 'externalMemberId')

  if ((customerId === undefined) === (externalCustomerId === undefined)) {
    throw invalid("An identity needs exactly one of customerId (Polar's UUID) or externalCustomerId (your user id).")
  }
  if (memberId !== undefined && externalMemberId !== undefined) {
    throw invalid('An identity takes memberId or externalMemberId, not both.')
  }
  const checkedCustomerId = customerId === undefined ? undefined : checkUuid('customerId', customerId)
  const checkedExternalId =
    externalCustomerId === undefined ? undefined : checkExternalId('externalCustomerId', externalCustomerId)
  const checkedMemberId = memberId === undefined ? undefined : checkUuid('memberId', memberId)
  const checkedExternalMemberId =
    externalMemberId === undefined ? undefined : checkExternalId('externalMemberId', externalMemberId)
  const email = checkOptionalText('email', own(identity, 'email'), MAX_EMAIL_LENGTH)
  if (email !== undefined && !email.includes('@')) throw invalid('email must be an email address.')
  const name = checkOptionalText('name', own(identity, 'name'), MAX_NAME_LENGTH)
  // One object literal with every field (absent ones undefined): every identity has the same
  // shape, which keeps the per-request hit path monomorphic.
  return {
    customerId: checkedCustomerId,
    externalCustomerId: checkedExternalId,
    memberId: checkedMemberId,
    externalMemberId: checkedExternalMemberId,
    email,
    name,
    customerKey: checkedCustomerId === undefined ? `x:${checkedExternalId}` : `c:${checkedCustomerId}`,
    memberKey:
      checkedMemberId !== undefined
        ? `m:${checkedMemberId}`
        : checkedExternalMemberId !== undefined
          ? `y:${checkedExternalMemberId}`
          : '',
  }
}

/** An own property of the identity (never one inherited from its prototype). */
function own(identity: object, key: string): unknown {
  return Object.hasOwn(identity, key) ? (identity as Record<string, unknown>)[key] : undefined
}
