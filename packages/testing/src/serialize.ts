// JSON shapes of Polar's answers, key order as Polar's schemas declare them.
// The official SDK 0.48 parses these with strict zod schemas: it rejects a
// null avatar_url or a missing `type`, so every field is always present.

import { createHash } from 'node:crypto'
import { formatMicros } from './clock.js'
import type { CustomerRecord, FakeOrganization, MemberRecord, SessionRecord } from './state.js'

function avatarUrl(customer: CustomerRecord): string {
  // Polar points at Gravatar with d=404; the seed falls back to the id for
  // team customers without an email, so the field is never null.
  const seed = (customer.email ?? customer.id).trim().toLowerCase()
  return `https://www.gravatar.com/avatar/${createHash('sha256').update(seed).digest('hex')}?d=404`
}

function nullableTime(micros: number | null): string | null {
  return micros === null ? null : formatMicros(micros)
}

/** Customer (CustomerIndividual | CustomerTeam). */
export function customerJson(org: FakeOrganization, customer: CustomerRecord): Record<string, unknown> {
  return {
    id: customer.id,
    created_at: formatMicros(customer.createdAtUs),
    modified_at: null,
    metadata: { ...customer.metadata },
    external_id: customer.externalId,
    email: customer.email,
    email_verified: false,
    type: customer.type,
    name: customer.name,
    billing_name: customer.name,
    billing_address: null,
    tax_id: null,
    locale: null,
    organization_id: org.id,
    default_payment_method_id: null,
    deleted_at: nullableTime(customer.deletedAtUs),
    first_user_event_at: null,
    avatar_url: avatarUrl(customer),
  }
}

/** CustomerPortalCustomer, what GET /v1/customer-portal/customers/me answers. */
export function portalCustomerJson(customer: CustomerRecord): Record<string, unknown> {
  return {
    created_at: formatMicros(customer.createdAtUs),
    modified_at: null,
    id: customer.id,
    email: customer.email,
    email_verified: false,
    name: customer.name,
    billing_name: customer.name,
    billing_address: null,
    tax_id: null,
    oauth_accounts: {},
    default_payment_method_id: null,
    type: customer.type,
    locale: null,
  }
}

/**
 * Python's urllib.parse.quote_plus, which builds Polar's portal query string:
 * everything but [A-Za-z0-9_.~-] is percent-encoded, spaces become '+'.
 */
export function quotePlus(value: string): string {
  return encodeURIComponent(value)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+')
}

export function portalUrl(portalBaseUrl: string, org: FakeOrganization, token: string, email: string): string {
  return `${portalBaseUrl}/${org.slug}/portal?customer_session_token=${quotePlus(token)}&email=${quotePlus(email)}`
}

/**
 * The portal URL's email: the member's for a member session (models/member_session.py), the
 * customer's for a customer session. urlencode() writes a missing one as "None" (Polar's own
 * records always have one; the fake lets tests leave it out).
 */
export function sessionEmail(customer: CustomerRecord, member: MemberRecord | null): string {
  return (member ? member.email : customer.email) ?? 'None'
}

/** CustomerSession: the nine fields of a 201 from POST /v1/customer-sessions/. */
export function sessionJson(
  org: FakeOrganization,
  portalBaseUrl: string,
  session: SessionRecord,
  customer: CustomerRecord,
  member: MemberRecord | null,
): Record<string, unknown> {
  return {
    created_at: formatMicros(session.createdAtUs),
    modified_at: null,
    id: session.id,
    token: session.token,
    expires_at: formatMicros(session.expiresAtUs),
    return_url: session.returnUrl,
    customer_portal_url: portalUrl(portalBaseUrl, org, session.token, sessionEmail(customer, member)),
    customer_id: customer.id,
    customer: customerJson(org, customer),
  }
}

/** CustomerCustomerSession, what the introspect endpoint answers. */
export function introspectJson(session: SessionRecord): Record<string, unknown> {
  return { expires_at: formatMicros(session.expiresAtUs), return_url: session.returnUrl }
}

/** PortalAuthenticatedUser, what GET /v1/customer-portal/customer-session/user answers. */
export function portalUserJson(customer: CustomerRecord, member: MemberRecord | null): Record<string, unknown> {
  return {
    type: member ? 'member' : 'customer',
    name: member ? member.name : customer.name,
    email: (member ? member.email : customer.email) ?? customer.email ?? '',
    customer_id: customer.id,
    member_id: member ? member.id : null,
    role: member ? member.role : null,
  }
}
