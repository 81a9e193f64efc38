import { describe, expect, it } from 'vitest'
import { validateIdentity } from '../validate-identity.js'
import { webhookInvalidations } from './invalidations.js'

const CUSTOMER_ID = '3b8a7c6e-1f2d-4e5a-9b8c-7d6e5f4a3b2c'
const MEMBER_ID = '5c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f'

/** A Customer as in the webhook payloads (only the fields that matter here, plus noise). */
const customer = (externalId: string | null) => ({
  id: CUSTOMER_ID,
  external_id: externalId,
  email: 'jane@example.com',
  type: 'individual',
  deleted_at: null,
})

/** A Member as in WebhookMemberDeletedPayload. */
const member = (externalId: string | null) => ({
  id: MEMBER_ID,
  created_at: '2026-01-01T00:00:00Z',
  modified_at: null,
  customer_id: CUSTOMER_ID,
  email: 'member@example.com',
  name: null,
  external_id: externalId,
  role: 'member',
})

describe('webhookInvalidations', () => {
  it('customer.deleted and customer.updated: the Polar id and the external id', () => {
    for (const type of ['customer.deleted', 'customer.updated']) {
      expect(webhookInvalidations({ type, data: customer('usr_1337') })).toEqual([
        { customerId: CUSTOMER_ID },
        { externalCustomerId: 'usr_1337' },
      ])
      expect(webhookInvalidations({ type, data: customer(null) })).toEqual([{ customerId: CUSTOMER_ID }])
    }
  })

  it("member.updated (a member's email change sends nothing else): that member's sessions, like member.deleted", () => {
    expect(webhookInvalidations({ type: 'member.updated', data: member('mem_42') })).toEqual([
      { customerId: CUSTOMER_ID, memberId: MEMBER_ID },
      { customerId: CUSTOMER_ID, externalMemberId: 'mem_42' },
    ])
  })

  it('member.deleted: the member under its customer, by Polar id and by external id', () => {
    expect(webhookInvalidations({ type: 'member.deleted', data: member('mem_42') })).toEqual([
      { customerId: CUSTOMER_ID, memberId: MEMBER_ID },
      { customerId: CUSTOMER_ID, externalMemberId: 'mem_42' },
    ])
    expect(webhookInvalidations({ type: 'member.deleted', data: member(null) })).toEqual([
      { customerId: CUSTOMER_ID, memberId: MEMBER_ID },
    ])
  })

  it('other events: nothing', () => {
    for (const type of ['customer.created', 'customer.state_changed', 'member.created', 'order.paid']) {
      expect(webhookInvalidations({ type, data: customer('usr_1337') })).toEqual([])
    }
  })

  it('odd payloads: skips fields of the wrong type, never throws', () => {
    expect(webhookInvalidations({ type: 'customer.deleted', data: null })).toEqual([])
    expect(webhookInvalidations({ type: 'customer.deleted', data: 'x' })).toEqual([])
    expect(webhookInvalidations({ type: 'customer.deleted', data: { id: 42, external_id: '' } })).toEqual([])
    expect(webhookInvalidations({ type: 'member.deleted', data: { id: MEMBER_ID } })).toEqual([])
    expect(
      webhookInvalidations({ type: 'member.deleted', data: { customer_id: CUSTOMER_ID, external_id: 'mem_42' } }),
    ).toEqual([{ customerId: CUSTOMER_ID, externalMemberId: 'mem_42' }])
  })

  it('every identity it returns passes the core’s identity validation', () => {
    const events = [
      { type: 'customer.deleted', data: customer('usr_1337') },
      { type: 'member.deleted', data: member('mem_42') },
      { type: 'member.updated', data: member('mem_42') },
    ]
    for (const event of events) {
      for (const identity of webhookInvalidations(event)) {
        expect(() => validateIdentity(identity)).not.toThrow()
      }
    }
  })
})
