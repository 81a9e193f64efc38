// The endpoints. Each follows Polar's order inside an endpoint: JSON parse →
// auth subject and scope → schema → lookups, so a client sees the same error
// Polar would give for the same mistake.

import {
  bodyParseError,
  empty,
  insufficientScope,
  internalError,
  json,
  jsonInvalid,
  resourceNotFound,
  polarValidationError,
  requestValidationError,
  unauthorized,
} from './answers.js'
import type { Answer } from './answers.js'
import type { RequestInfo, RouterDeps, Subject } from './request.js'
import { decodeBody } from './json-body.js'
import { customerJson, introspectJson, portalCustomerJson, portalUserJson, sessionJson } from './serialize.js'
import type { CustomerRecord, MemberRecord } from './state.js'
import { validateCustomerCreate, validateSessionCreate } from './schemas.js'
import { checkUuid4 } from './validation.js'
import type { ErrorItem } from './validation.js'

type Body = { ok: true; value: unknown; undecodable?: true } | { ok: false; answer: Answer }

/** FastAPI reads and parses the body before it resolves the auth dependency. */
function readJson(req: RequestInfo): Body {
  const decoded = decodeBody(req.body, req.headers['content-type'])
  if (decoded.kind === 'json_invalid') return { ok: false, answer: jsonInvalid(decoded.pos, decoded.msg) }
  if (decoded.kind === 'unparseable') return { ok: false, answer: bodyParseError() }
  // Not parsed, so no error yet: the schema fails it after the auth checks, and writing that 422 fails.
  if (decoded.kind === 'undecodable') return { ok: true, value: null, undecodable: true }
  return { ok: true, value: decoded.kind === 'none' ? null : decoded.value }
}

/** An organization (or personal) token holding one of `scopes` (Polar's Authenticator). */
function requireToken(subject: Subject, ...scopes: string[]): Answer | null {
  if (subject.kind !== 'token') return unauthorized()
  if (!scopes.some((s) => subject.token.scopes.has(s))) return insufficientScope(scopes)
  return null
}

/**
 * A personal token sees every organization of its user: when an external id matches customers in
 * several, the repository's get_one_or_none() raises and nothing handles it (a plain 500).
 */
function ambiguousLookup(deps: RouterDeps, subject: Subject, externalId: string): Answer | null {
  if (subject.kind !== 'token' || subject.token.kind !== 'personal') return null
  return deps.org.ambiguousExternalIds.has(externalId) ? internalError() : null
}

// ------------------------------------------------------------ customer sessions

export function createSession(deps: RouterDeps, req: RequestInfo, subject: Subject): Answer {
  const body = readJson(req)
  if (!body.ok) return body.answer
  const denied = requireToken(subject, 'customer_sessions:write')
  if (denied) return denied
  if (body.undecodable) return internalError()
  const input = validateSessionCreate(body.value)
  if (!input.ok) return requestValidationError(input.errors)
  const { org } = deps
  const value = input.value
  const ambiguous = value.by === 'external' ? ambiguousLookup(deps, subject, value.externalCustomerId) : null
  if (ambiguous) return ambiguous

  const customer =
    value.by === 'id' ? org.liveCustomer(value.customerId) : org.customerByExternalId(value.externalCustomerId)
  if (!customer) {
    return polarValidationError([
      {
        loc: ['body', value.by === 'id' ? 'customer_id' : 'external_customer_id'],
        msg: 'Customer does not exist.',
        input: value.by === 'id' ? value.customerId : value.externalCustomerId,
      },
    ])
  }

  let member: MemberRecord | null = null
  if (org.memberModel) {
    const live = org.liveMembers(customer)
    if (value.memberId !== null) {
      member = live.find((m) => m.id === value.memberId) ?? null
      if (!member) {
        return polarValidationError([
          { loc: ['body', 'member_id'], msg: 'Member does not exist for this customer.', input: value.memberId },
        ])
      }
    } else if (value.externalMemberId !== null) {
      member = live.find((m) => m.externalId === value.externalMemberId) ?? null
      if (!member) {
        return polarValidationError([
          {
            loc: ['body', 'external_member_id'],
            msg: 'Member does not exist for this customer.',
            input: value.externalMemberId,
          },
        ])
      }
    } else if (customer.type === 'team') {
      return polarValidationError([
        { loc: ['body', 'member_id'], msg: 'member_id is required for team customers.', input: null },
      ])
    } else if (req.payloadFault?.kind === 'no-owner-member') {
      return polarValidationError([
        { loc: ['body', 'customer_id'], msg: 'No owner member found for this customer.', input: customer.id },
      ])
    } else {
      member = org.ownerMember(customer)
    }
  }

  const fault = req.payloadFault
  const session = org.createSession(customer, member, value.returnUrl, fault?.kind === 'expired')
  deps.stats.countSession()
  const payload = sessionJson(org, deps.portalBaseUrl(), session, customer, member)
  if (fault?.kind === 'missing-fields') {
    delete payload.token
    delete payload.expires_at
  }
  return json(201, payload)
}

// ------------------------------------------------------------ customers

export function createCustomer(deps: RouterDeps, req: RequestInfo, subject: Subject): Answer {
  const body = readJson(req)
  if (!body.ok) return body.answer
  const denied = requireToken(subject, 'customers:write')
  if (denied) return denied
  if (body.undecodable) return internalError()
  const input = validateCustomerCreate(body.value)
  if (!input.ok) return requestValidationError(input.errors)
  const { org } = deps
  const value = input.value

  // Polar's CustomerService.create: both checks run, errors listed together.
  const conflicts: Array<{ loc: string[]; msg: string; input: unknown }> = []
  if (value.email !== null && org.customerByEmail(value.email)) {
    conflicts.push({
      loc: ['body', 'email'],
      msg: 'A customer with this email address already exists.',
      input: value.email,
    })
  }
  if (value.externalId !== null && org.customerByExternalId(value.externalId)) {
    conflicts.push({
      loc: ['body', 'external_id'],
      msg: 'A customer with this external ID already exists.',
      input: value.externalId,
    })
  }
  if (conflicts.length > 0) return polarValidationError(conflicts)

  const customer = org.addCustomer(
    {
      email: value.email,
      externalId: value.externalId,
      name: value.name,
      type: value.type,
      metadata: value.metadata,
      members: value.owner ? [value.owner] : [],
    },
    { ownerFromCustomer: true },
  )
  deps.stats.countCustomer()
  return json(201, customerJson(org, customer))
}

export function getCustomerByExternalId(deps: RouterDeps, req: RequestInfo, subject: Subject): Answer {
  const denied = requireToken(subject, 'customers:read', 'customers:write')
  if (denied) return denied
  const ambiguous = ambiguousLookup(deps, subject, req.params.external_id as string)
  if (ambiguous) return ambiguous
  const customer = deps.org.customerByExternalId(req.params.external_id as string)
  return customer ? json(200, customerJson(deps.org, customer)) : resourceNotFound()
}

export function deleteCustomerByExternalId(deps: RouterDeps, req: RequestInfo, subject: Subject): Answer {
  const denied = requireToken(subject, 'customers:write')
  if (denied) return denied
  const ambiguous = ambiguousLookup(deps, subject, req.params.external_id as string)
  if (ambiguous) return ambiguous
  const customer = deps.org.customerByExternalId(req.params.external_id as string)
  return deps.org.deleteCustomer(customer) ? empty(204) : resourceNotFound()
}

function customerFromPath(deps: RouterDeps, req: RequestInfo): { customer: CustomerRecord | undefined } | Answer {
  const id = checkUuid4(req.params.id, ['path', 'id'])
  if (!id.ok) return requestValidationError([id.error])
  return { customer: deps.org.liveCustomer(id.value) }
}

export function getCustomer(deps: RouterDeps, req: RequestInfo, subject: Subject): Answer {
  const denied = requireToken(subject, 'customers:read', 'customers:write')
  if (denied) return denied
  const found = customerFromPath(deps, req)
  if ('status' in found) return found
  return found.customer ? json(200, customerJson(deps.org, found.customer)) : resourceNotFound()
}

export function deleteCustomer(deps: RouterDeps, req: RequestInfo, subject: Subject): Answer {
  const denied = requireToken(subject, 'customers:write')
  if (denied) return denied
  const found = customerFromPath(deps, req)
  if ('status' in found) return found
  return deps.org.deleteCustomer(found.customer) ? empty(204) : resourceNotFound()
}

/** GET /v1/customers/: page, limit (at most 100) and an exact, case-insensitive email filter. */
export function listCustomers(deps: RouterDeps, req: RequestInfo, subject: Subject): Answer {
  const denied = requireToken(subject, 'customers:read', 'customers:write')
  if (denied) return denied
  const errors: ErrorItem[] = []
  const positive = (name: string, fallback: number): number => {
    const raw = req.query.get(name)
    if (raw === null) return fallback
    const n = /^\s*[-+]?\d+\s*$/.test(raw) ? Number(raw) : NaN
    if (!Number.isSafeInteger(n)) {
      errors.push({
        type: 'int_parsing',
        loc: ['query', name],
        msg: 'Input should be a valid integer, unable to parse string as an integer',
        input: raw,
      })
    } else if (n <= 0) {
      errors.push({
        type: 'greater_than',
        loc: ['query', name],
        msg: 'Input should be greater than 0',
        input: raw,
        ctx: { gt: 0 },
      })
    }
    return n
  }
  const page = positive('page', 1)
  const limit = Math.min(positive('limit', 10), 100)
  if (errors.length > 0) return requestValidationError(errors)
  const email = req.query.get('email')?.toLowerCase() ?? null
  const all = [...deps.org.customersById.values()]
    .filter((c) => c.deletedAtUs === null && (email === null || c.email?.toLowerCase() === email))
    .sort((a, b) => b.createdAtUs - a.createdAtUs)
  const items = all.slice((page - 1) * limit, page * limit).map((c) => customerJson(deps.org, c))
  return json(200, { items, pagination: { total_count: all.length, max_page: Math.ceil(all.length / limit) } })
}

// ------------------------------------------------------------ customer portal API

function requireSession(subject: Subject): Extract<Subject, { kind: 'session' }> | null {
  return subject.kind === 'session' ? subject : null
}

export function portalMe(_deps: RouterDeps, _req: RequestInfo, subject: Subject): Answer {
  const s = requireSession(subject)
  return s ? json(200, portalCustomerJson(s.customer)) : unauthorized()
}

export function portalIntrospect(_deps: RouterDeps, _req: RequestInfo, subject: Subject): Answer {
  const s = requireSession(subject)
  return s ? json(200, introspectJson(s.session)) : unauthorized()
}

export function portalUser(_deps: RouterDeps, _req: RequestInfo, subject: Subject): Answer {
  const s = requireSession(subject)
  return s ? json(200, portalUserJson(s.customer, s.member)) : unauthorized()
}
