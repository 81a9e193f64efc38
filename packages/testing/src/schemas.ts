// Request schemas, validated the way pydantic validates Polar's models.
//
// Customer session creation takes a plain union of two models, so when
// neither fits, FastAPI lists both variants' errors, each loc naming its
// variant: ["body","CustomerSessionCustomerIDCreate","customer_id"]. Inside a
// variant, fields are checked in declaration order (member_id,
// external_member_id, return_url, then the customer id). If both variants fit
// (both ids sent), the external id wins, as on Polar.
//
// Every field of these Polar Schemas is also checked for NUL characters once its
// own validation passed (kit/schemas.py).
//
// Customer creation is a union tagged by `type` (default "individual"), so its
// schema errors carry the tag: ["body","individual","email"].

import { checkDeliverableEmail } from './email.js'
import {
  checkHttpUrl,
  checkString,
  checkStringMax,
  checkUuid4,
  isPlainObject,
  missing,
  modelType,
  nulCharacterError,
  valueError,
} from './validation.js'
import type { Checked, ErrorItem, Loc } from './validation.js'

type Result<T> = { ok: true; value: T } | { ok: false; errors: ErrorItem[] }

export type SessionCreate = {
  memberId: string | null
  externalMemberId: string | null
  returnUrl: string | null
} & ({ by: 'id'; customerId: string } | { by: 'external'; externalCustomerId: string })

const ID_VARIANT = 'CustomerSessionCustomerIDCreate'
const EXTERNAL_VARIANT = 'CustomerSessionCustomerExternalIDCreate'

const has = (o: Record<string, unknown>, key: string): boolean => Object.hasOwn(o, key)

/** A field of a Polar Schema: its own check, then the NUL check every such field gets. */
function field<T>(
  value: unknown,
  loc: Loc,
  check: (value: unknown, loc: Loc) => Checked<T>,
  errors: ErrorItem[],
): T | null {
  const checked = check(value, loc)
  if (!checked.ok) {
    errors.push(checked.error)
    return null
  }
  const nul = nulCharacterError(checked.value, loc, value)
  if (nul) {
    errors.push(nul)
    return null
  }
  return checked.value
}

/** An optional, nullable field: absent or null gives null, otherwise the check decides. */
function optional<T>(
  o: Record<string, unknown>,
  key: string,
  loc: Loc,
  check: (value: unknown, loc: Loc) => Checked<T>,
  errors: ErrorItem[],
): T | null {
  if (!has(o, key) || o[key] === null) return null
  return field(o[key], [...loc, key], check, errors)
}

export function validateSessionCreate(body: unknown): Result<SessionCreate> {
  if (body === null) return { ok: false, errors: [missing(['body'], null)] }
  if (!isPlainObject(body)) {
    return { ok: false, errors: [modelType(['body', ID_VARIANT], body), modelType(['body', EXTERNAL_VARIANT], body)] }
  }
  const shared = (variant: string, errors: ErrorItem[]) => ({
    memberId: optional(body, 'member_id', ['body', variant], checkUuid4, errors),
    externalMemberId: optional(body, 'external_member_id', ['body', variant], checkString, errors),
    returnUrl: optional(body, 'return_url', ['body', variant], checkHttpUrl, errors),
  })

  const idErrors: ErrorItem[] = []
  const idShared = shared(ID_VARIANT, idErrors)
  let customerId: string | null = null
  if (!has(body, 'customer_id')) idErrors.push(missing(['body', ID_VARIANT, 'customer_id'], body))
  else customerId = field(body.customer_id, ['body', ID_VARIANT, 'customer_id'], checkUuid4, idErrors)

  const extErrors: ErrorItem[] = []
  const extShared = shared(EXTERNAL_VARIANT, extErrors)
  let externalCustomerId: string | null = null
  // validation_alias=AliasChoices("external_customer_id", "customer_external_id")
  const key = ['external_customer_id', 'customer_external_id'].find((k) => has(body, k))
  if (key === undefined) extErrors.push(missing(['body', EXTERNAL_VARIANT, 'external_customer_id'], body))
  else externalCustomerId = field(body[key], ['body', EXTERNAL_VARIANT, key], checkString, extErrors)

  if (extErrors.length === 0 && externalCustomerId !== null) {
    return { ok: true, value: { by: 'external', externalCustomerId, ...extShared } }
  }
  if (idErrors.length === 0 && customerId !== null) {
    return { ok: true, value: { by: 'id', customerId, ...idShared } }
  }
  return { ok: false, errors: [...idErrors, ...extErrors] }
}

export interface OwnerCreate {
  email: string
  name?: string
  externalId?: string
}

export interface CustomerCreate {
  type: 'individual' | 'team'
  email: string | null
  externalId: string | null
  name: string | null
  metadata: Record<string, string | number | boolean>
  owner: OwnerCreate | null
}

export function validateCustomerCreate(body: unknown): Result<CustomerCreate> {
  if (body === null) return { ok: false, errors: [missing(['body'], null)] }
  // _customer_create_type() reads a non-dict's `type` attribute, defaulting to "individual".
  if (!isPlainObject(body)) return { ok: false, errors: [modelType(['body', 'individual'], body)] }
  // The union's discriminator is a function, _customer_create_type(): str(body.get("type", "individual")).
  const tag = has(body, 'type') ? pythonStr(body.type) : 'individual'
  if (tag !== 'individual' && tag !== 'team') {
    return {
      ok: false,
      errors: [
        {
          type: 'union_tag_invalid',
          loc: ['body'],
          msg: `Input tag '${tag}' found using _customer_create_type() does not match any of the expected tags: 'individual', 'team'`,
          input: body,
          ctx: { discriminator: '_customer_create_type()', tag, expected_tags: "'individual', 'team'" },
        },
      ],
    }
  }
  const loc: Loc = ['body', tag]
  const errors: ErrorItem[] = []
  const maxName = (value: unknown, l: Loc) => checkStringMax(value, l, 256)

  const metadata = checkMetadata(body, loc, errors)
  const externalId = optional(body, 'external_id', loc, checkString, errors)
  const name = optional(body, 'name', loc, maxName, errors)

  let owner: OwnerCreate | null = null
  if (has(body, 'owner') && body.owner !== null) {
    const raw = body.owner
    const ownerLoc: Loc = [...loc, 'owner']
    if (!isPlainObject(raw)) errors.push(modelType(ownerLoc, raw))
    else {
      const before = errors.length
      let email: string | null = null
      if (!has(raw, 'email')) errors.push(missing([...ownerLoc, 'email'], raw))
      else email = field(raw.email, [...ownerLoc, 'email'], checkDeliverableEmail, errors)
      const ownerName = optional(raw, 'name', ownerLoc, maxName, errors)
      const ownerExternalId = optional(raw, 'external_id', ownerLoc, checkString, errors)
      if (errors.length === before && email !== null) {
        owner = { email }
        if (ownerName !== null) owner.name = ownerName
        if (ownerExternalId !== null) owner.externalId = ownerExternalId
      }
    }
  }

  let email: string | null = null
  if (tag === 'individual' && !has(body, 'email')) errors.push(missing([...loc, 'email'], body))
  else if (tag === 'individual') email = field(body.email, [...loc, 'email'], checkDeliverableEmail, errors)
  else email = optional(body, 'email', loc, checkDeliverableEmail, errors)

  if (errors.length > 0) return { ok: false, errors }
  // CustomerTeamCreate's model validator (mode="after": only once every field passed).
  if (tag === 'team' && email === null && owner === null) {
    return {
      ok: false,
      errors: [
        valueError(
          loc,
          'An owner with an email address is required when creating a team customer without an email.',
          body,
        ),
      ],
    }
  }
  return { ok: true, value: { type: tag, email, externalId, name, metadata, owner } }
}

/** Python's str() of a JSON value, for the scalars a tag can plausibly be. */
function pythonStr(value: unknown): string {
  if (value === null) return 'None'
  if (value === true) return 'True'
  if (value === false) return 'False'
  return typeof value === 'string' ? value : JSON.stringify(value)
}

function checkMetadata(
  body: Record<string, unknown>,
  loc: Loc,
  errors: ErrorItem[],
): Record<string, string | number | boolean> {
  if (!has(body, 'metadata')) return {}
  const raw = body.metadata
  if (!isPlainObject(raw)) {
    errors.push({ type: 'dict_type', loc: [...loc, 'metadata'], msg: 'Input should be a valid dictionary', input: raw })
    return {}
  }
  const out: Record<string, string | number | boolean> = {}
  const before = errors.length
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') out[key] = value
    else
      errors.push({
        type: 'string_type',
        loc: [...loc, 'metadata', key, 'str'],
        msg: 'Input should be a valid string',
        input: value,
      })
  }
  const nul = errors.length === before ? nulCharacterError(out, [...loc, 'metadata'], raw) : null
  if (nul) errors.push(nul)
  return out
}
