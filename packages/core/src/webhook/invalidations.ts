import type { PolarIdentity } from '../types.js'

/**
 * The identities whose cached sessions a webhook event makes stale, ready for
 * `polar.invalidate(identity)`:
 *
 * | event | identities |
 * |---|---|
 * | `customer.deleted`, `customer.updated` | `{ customerId: data.id }`, plus `{ externalCustomerId: data.external_id }` when set |
 * | `member.deleted`, `member.updated` | `{ customerId: data.customer_id, memberId: data.id }`, plus `{ customerId: data.customer_id, externalMemberId: data.external_id }` when set |
 * | anything else | none |
 *
 * Both the Polar id and the external id are listed because the cache keys sessions by the
 * identity the app asked with. A member's payload does not carry its customer's external id,
 * so a member session cached under `{ externalCustomerId, memberId }` is not reached by
 * `member.*`; after `member.deleted` it dies at Polar anyway and is replaced on its next refresh.
 * `member.updated` matters because a member session's portal URL carries the member's email,
 * and a team member's email change sends only that event (no `customer.updated`). Fields of
 * the wrong type are skipped, never thrown on.
 *
 * @example
 * ```ts
 * const event = verifyWebhook(rawBody, req.headers, process.env.POLAR_WEBHOOK_SECRET!)
 * await Promise.all(webhookInvalidations(event).map((identity) => polar.invalidate(identity)))
 * ```
 */
export function webhookInvalidations(event: { readonly type: string; readonly data: unknown }): PolarIdentity[] {
  const data = event.data
  if (data === null || typeof data !== 'object') return []
  const fields = data as Record<string, unknown>
  const id = nonEmpty(fields.id)
  const externalId = nonEmpty(fields.external_id)

  switch (event.type) {
    case 'customer.deleted':
    case 'customer.updated': {
      const identities: PolarIdentity[] = []
      if (id !== undefined) identities.push({ customerId: id })
      if (externalId !== undefined) identities.push({ externalCustomerId: externalId })
      return identities
    }
    case 'member.deleted':
    case 'member.updated': {
      const customerId = nonEmpty(fields.customer_id)
      if (customerId === undefined) return []
      const identities: PolarIdentity[] = []
      if (id !== undefined) identities.push({ customerId, memberId: id })
      if (externalId !== undefined) identities.push({ customerId, externalMemberId: externalId })
      return identities
    }
    default:
      return []
  }
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}
