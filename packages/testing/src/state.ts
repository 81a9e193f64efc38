// The fake organization's data: customers, members, sessions and access
// tokens, with the lifecycle rules Polar applies to them:
// - deleting a customer is a soft delete that kills every session of it and
//   frees its external id and email for a new customer;
// - deleting a member kills that member's sessions;
// - an individual customer always has an owner member (re-created on demand,
//   as Polar's _resolve_owner_member does), a team customer has the members it
//   was given;
// - a session is valid while the fake's clock is before expires_at and its
//   customer (and member) exist. Expired sessions are forgotten eventually,
//   which answers the same as keeping them (401 either way).

import { randomUUID } from 'node:crypto'
import type { FakeClock } from './clock.js'
import { TOKEN_PREFIXES, generatePolarToken } from './token.js'
import type { FakeCustomerInput } from './types.js'
import { parseUuid } from './validation.js'

export type MemberRole = 'owner' | 'billing_manager' | 'member'

export interface MemberRecord {
  id: string
  customerId: string
  externalId: string | null
  email: string | null
  name: string | null
  role: MemberRole
  createdAtUs: number
  deleted: boolean
}

export interface CustomerRecord {
  id: string
  externalId: string | null
  email: string | null
  name: string | null
  type: 'individual' | 'team'
  metadata: Record<string, string | number | boolean>
  createdAtUs: number
  deletedAtUs: number | null
  members: MemberRecord[]
}

export interface SessionRecord {
  id: string
  token: string
  kind: 'customer' | 'member'
  customerId: string
  memberId: string | null
  createdAtUs: number
  expiresAtUs: number
  returnUrl: string | null
}

export interface AccessTokenRecord {
  token: string
  kind: 'organization' | 'personal'
  scopes: ReadonlySet<string>
}

export interface MemberInput {
  id?: string
  externalId?: string | null
  email?: string | null
  name?: string | null
}

/** Thrown by the programmatic API (addCustomer, addMember, …) for bad input. */
export class FakeInputError extends Error {
  override name = 'FakeInputError'
}

export const DEFAULT_SCOPES = ['customer_sessions:write', 'customers:write', 'customers:read'] as const

const PURGE_EVERY = 5_000

export class FakeOrganization {
  /** The user behind every personal token (the developer): their rate-limit bucket is this user's. */
  readonly userId = randomUUID()
  /** External ids that also exist in several other organizations of that user (see addAmbiguousExternalId). */
  readonly ambiguousExternalIds = new Set<string>()
  readonly customersById = new Map<string, CustomerRecord>()
  /** Live (not deleted) customers only. */
  private readonly byExternalId = new Map<string, CustomerRecord>()
  private readonly byEmail = new Map<string, CustomerRecord>()
  private readonly sessionsByToken = new Map<string, SessionRecord>()
  private readonly accessTokens = new Map<string, AccessTokenRecord>()
  private readonly memberIds = new Set<string>()
  private createdSinceSweep = 0

  constructor(
    readonly id: string,
    readonly slug: string,
    readonly memberModel: boolean,
    public sessionTtlMs: number,
    readonly clock: FakeClock,
  ) {}

  // ------------------------------------------------------------ access tokens

  addAccessToken(kind: 'organization' | 'personal', scopes: Iterable<string>, token?: string): string {
    const value =
      token ?? generatePolarToken(kind === 'personal' ? TOKEN_PREFIXES.personal : TOKEN_PREFIXES.organization)
    this.accessTokens.set(value, { token: value, kind, scopes: new Set(scopes) })
    return value
  }

  revokeAccessToken(token: string): boolean {
    return this.accessTokens.delete(token)
  }

  accessToken(token: string): AccessTokenRecord | undefined {
    return this.accessTokens.get(token)
  }

  // ------------------------------------------------------------ customers

  customerByExternalId(externalId: string): CustomerRecord | undefined {
    return this.byExternalId.get(externalId)
  }

  customerByEmail(email: string): CustomerRecord | undefined {
    return this.byEmail.get(email.toLowerCase())
  }

  /** A live customer by its canonical id. */
  liveCustomer(id: string): CustomerRecord | undefined {
    const customer = this.customersById.get(id)
    return customer && customer.deletedAtUs === null ? customer : undefined
  }

  addCustomer(
    input: Omit<FakeCustomerInput, 'email'> & {
      email: string | null
      metadata?: Record<string, string | number | boolean>
    },
    options: { ownerFromCustomer: boolean } = { ownerFromCustomer: false },
  ): CustomerRecord {
    const type = input.type ?? 'individual'
    if (type !== 'individual' && type !== 'team') throw new FakeInputError(`unknown customer type ${String(type)}`)
    const id = this.newId(input.id, 'customer id')
    if (this.customersById.has(id)) throw new FakeInputError(`a customer with id ${id} already exists`)
    const externalId = input.externalId ?? null
    if (externalId !== null && this.byExternalId.has(externalId)) {
      throw new FakeInputError('a customer with this external id already exists')
    }
    const email = input.email
    if (type === 'individual' && (typeof email !== 'string' || email === '')) {
      throw new FakeInputError('an individual customer needs an email')
    }
    if (email !== null && this.byEmail.has(email.toLowerCase())) {
      throw new FakeInputError('a customer with this email already exists')
    }
    const now = this.clock.nowMicros()
    const customer: CustomerRecord = {
      id,
      externalId,
      email,
      name: input.name ?? null,
      type,
      metadata: { ...(input.metadata ?? {}) },
      createdAtUs: now,
      deletedAtUs: null,
      members: [],
    }
    const given = input.members ?? []
    // Check member ids before anything is stored, so a bad input leaves no trace.
    for (const member of given) if (member.id !== undefined) this.newId(member.id, 'member id')
    if (type === 'individual' || options.ownerFromCustomer) {
      const first = given[0] ?? {}
      customer.members.push(
        this.newMember(
          customer,
          {
            id: first.id,
            externalId: first.externalId ?? customer.externalId,
            email: first.email ?? customer.email,
            name: first.name ?? customer.name,
          },
          'owner',
        ),
      )
      for (const extra of given.slice(1)) customer.members.push(this.newMember(customer, extra, 'member'))
    } else {
      given.forEach((m, i) => customer.members.push(this.newMember(customer, m, i === 0 ? 'owner' : 'member')))
    }
    this.customersById.set(id, customer)
    for (const member of customer.members) this.memberIds.add(member.id)
    if (externalId !== null) this.byExternalId.set(externalId, customer)
    if (email !== null) this.byEmail.set(email.toLowerCase(), customer)
    return customer
  }

  /** Soft delete. False when unknown or already deleted. */
  deleteCustomer(customer: CustomerRecord | undefined): boolean {
    if (!customer || customer.deletedAtUs !== null) return false
    customer.deletedAtUs = this.clock.nowMicros()
    if (customer.externalId !== null && this.byExternalId.get(customer.externalId) === customer) {
      this.byExternalId.delete(customer.externalId)
    }
    if (customer.email !== null && this.byEmail.get(customer.email.toLowerCase()) === customer) {
      this.byEmail.delete(customer.email.toLowerCase())
    }
    for (const [token, session] of this.sessionsByToken) {
      if (session.customerId === customer.id) this.sessionsByToken.delete(token)
    }
    return true
  }

  // ------------------------------------------------------------ members

  addMember(customer: CustomerRecord, input: MemberInput): MemberRecord {
    if (customer.deletedAtUs !== null) throw new FakeInputError('the customer is deleted')
    const member = this.newMember(customer, input, 'member')
    customer.members.push(member)
    this.memberIds.add(member.id)
    return member
  }

  deleteMember(customer: CustomerRecord, memberId: string): boolean {
    const canonical = canonicalId(memberId)
    const member = customer.members.find((m) => m.id === canonical && !m.deleted)
    if (!member) return false
    member.deleted = true
    for (const [token, session] of this.sessionsByToken) {
      if (session.memberId === member.id) this.sessionsByToken.delete(token)
    }
    return true
  }

  liveMembers(customer: CustomerRecord): MemberRecord[] {
    return customer.members.filter((m) => !m.deleted)
  }

  /** The owner member of an individual customer, re-created if it was deleted. */
  ownerMember(customer: CustomerRecord): MemberRecord {
    const owner = customer.members.find((m) => m.role === 'owner' && !m.deleted)
    if (owner) return owner
    const created = this.newMember(
      customer,
      { externalId: customer.externalId, email: customer.email, name: customer.name },
      'owner',
    )
    customer.members.push(created)
    this.memberIds.add(created.id)
    return created
  }

  private newMember(customer: CustomerRecord, input: MemberInput, role: MemberRole): MemberRecord {
    const id = this.newId(input.id, 'member id')
    if (this.memberIds.has(id) || customer.members.some((m) => m.id === id)) {
      throw new FakeInputError(`a member with id ${id} already exists`)
    }
    const externalId = input.externalId ?? null
    if (externalId !== null && customer.members.some((m) => !m.deleted && m.externalId === externalId)) {
      throw new FakeInputError('a member with this external id already exists for this customer')
    }
    return {
      id,
      customerId: customer.id,
      externalId,
      email: input.email ?? null,
      name: input.name ?? null,
      role,
      createdAtUs: this.clock.nowMicros(),
      deleted: false,
    }
  }

  // ------------------------------------------------------------ sessions

  createSession(
    customer: CustomerRecord,
    member: MemberRecord | null,
    returnUrl: string | null,
    expired = false,
  ): SessionRecord {
    const kind = this.memberModel ? 'member' : 'customer'
    const createdAtUs = this.clock.nowMicros()
    const session: SessionRecord = {
      id: randomUUID(),
      token: generatePolarToken(kind === 'member' ? TOKEN_PREFIXES.memberSession : TOKEN_PREFIXES.customerSession),
      kind,
      customerId: customer.id,
      memberId: kind === 'member' && member ? member.id : null,
      createdAtUs,
      // The 'expired' fault: already over, before it was even created.
      expiresAtUs: expired ? createdAtUs - 60_000_000 : createdAtUs + Math.round(this.sessionTtlMs * 1000),
      returnUrl,
    }
    this.sessionsByToken.set(session.token, session)
    if (++this.createdSinceSweep >= PURGE_EVERY) this.purgeExpired()
    return session
  }

  /** The session behind a token, if it is still usable right now. */
  validSession(
    token: string,
  ): { session: SessionRecord; customer: CustomerRecord; member: MemberRecord | null } | null {
    const session = this.sessionsByToken.get(token)
    if (!session) return null
    if (session.expiresAtUs <= this.clock.nowMicros()) return null
    const customer = this.liveCustomer(session.customerId)
    if (!customer) return null
    let member: MemberRecord | null = null
    if (session.memberId !== null) {
      member = customer.members.find((m) => m.id === session.memberId && !m.deleted) ?? null
      if (!member) return null
    }
    return { session, customer, member }
  }

  sessions(): SessionRecord[] {
    return [...this.sessionsByToken.values()]
  }

  private purgeExpired(): void {
    this.createdSinceSweep = 0
    const now = this.clock.nowMicros()
    for (const [token, session] of this.sessionsByToken) {
      if (session.expiresAtUs <= now) this.sessionsByToken.delete(token)
    }
  }

  private newId(given: string | undefined, what: string): string {
    if (given === undefined) return randomUUID()
    const parsed = parseUuid(given)
    if (typeof parsed !== 'string') throw new FakeInputError(`${what} must be a uuid: ${parsed.error}`)
    return parsed
  }
}

/** Canonical uuid form when `id` is a uuid, else `id` unchanged (it then matches nothing). */
export function canonicalId(id: string): string {
  const parsed = parseUuid(id)
  return typeof parsed === 'string' ? parsed : id
}
