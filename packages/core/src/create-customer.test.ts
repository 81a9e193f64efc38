import { startFakePolar, type FakePolar } from '@polar-session/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPolarSessions } from './create-polar-sessions.js'
import { PolarSessionError } from './errors.js'

let fake: FakePolar
beforeAll(async () => {
  fake = await startFakePolar()
})
afterAll(() => fake.close())

describe('createCustomer', () => {
  it('creates a missing customer from the identity, then the session', async () => {
    const polar = createPolarSessions({ accessToken: fake.accessToken, baseUrl: fake.url, createCustomer: true })
    fake.stats.reset()
    const session = await polar.getSession({ externalCustomerId: 'new_1', email: 'new1@acme.dev', name: 'New One' })
    expect(session.customer).toMatchObject({ externalId: 'new_1', email: 'new1@acme.dev', name: 'New One' })
    expect(fake.stats.customersCreated).toBe(1)
    expect(fake.customers().filter((c) => c.externalId === 'new_1')).toHaveLength(1)
    await polar.close()
  })

  it('an email Polar refuses (a domain that accepts no mail) is 400 invalid_identity, not a missing customer', async () => {
    const polar = createPolarSessions({ accessToken: fake.accessToken, baseUrl: fake.url, createCustomer: true })
    fake.stats.reset()
    const error = await polar.getSession({ externalCustomerId: 'new_bad_mail', email: 'someone@example.com' }).then(
      () => new Error('accepted'),
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(PolarSessionError)
    expect(error).toMatchObject({ code: 'invalid_identity', status: 400 })
    expect((error as Error).message).not.toContain('someone@example.com')
    expect(fake.stats.customersCreated).toBe(0)
    expect(fake.stats.requests['POST /v1/customer-sessions/']).toBe(1)
    await polar.close()
  })

  it('two concurrent first requests (different return URLs, so two flights) leave exactly one customer', async () => {
    const polar = createPolarSessions({
      accessToken: fake.accessToken,
      baseUrl: fake.url,
      createCustomer: true,
      allowedReturnOrigins: ['https://app.example.com'],
    })
    fake.setLatency(30)
    try {
      const identity = { externalCustomerId: 'new_2', email: 'new2@acme.dev' }
      const [a, b] = await Promise.all([
        polar.getSession(identity, { returnUrl: 'https://app.example.com/a' }),
        polar.getSession(identity, { returnUrl: 'https://app.example.com/b' }),
      ])
      expect(a.customerId).toBe(b.customerId)
      expect(fake.customers().filter((c) => c.externalId === 'new_2')).toHaveLength(1)
    } finally {
      fake.setLatency(0)
      await polar.close()
    }
  })

  it('two processes (instances) racing for the same new user: one customer, both get a session', async () => {
    const first = createPolarSessions({ accessToken: fake.accessToken, baseUrl: fake.url, createCustomer: true })
    const second = createPolarSessions({ accessToken: fake.accessToken, baseUrl: fake.url, createCustomer: true })
    fake.setLatency(30)
    try {
      const identity = { externalCustomerId: 'new_3', email: 'new3@acme.dev' }
      const sessions = await Promise.all([
        first.getSession(identity),
        second.getSession(identity),
        first.getSession(identity),
      ])
      expect(new Set(sessions.map((s) => s.customerId)).size).toBe(1)
      expect(fake.customers().filter((c) => c.externalId === 'new_3')).toHaveLength(1)
    } finally {
      fake.setLatency(0)
      await Promise.all([first.close(), second.close()])
    }
  })

  it('without the option, or without an email, a missing customer stays customer_not_found', async () => {
    const off = createPolarSessions({ accessToken: fake.accessToken, baseUrl: fake.url })
    const noEmail = createPolarSessions({ accessToken: fake.accessToken, baseUrl: fake.url, createCustomer: true })
    fake.stats.reset()
    for (const attempt of [
      off.getSession({ externalCustomerId: 'new_4', email: 'new4@acme.dev' }),
      noEmail.getSession({ externalCustomerId: 'new_5' }),
    ]) {
      const error = await attempt.then(
        () => null,
        (e: unknown) => e,
      )
      expect(error).toBeInstanceOf(PolarSessionError)
      expect((error as PolarSessionError).code).toBe('customer_not_found')
    }
    expect(fake.stats.customersCreated).toBe(0)
    await Promise.all([off.close(), noEmail.close()])
  })

  it('an email already used by another customer is reported, not retried into a second customer', async () => {
    fake.addCustomer({ externalId: 'taken', email: 'taken@acme.dev' })
    const polar = createPolarSessions({ accessToken: fake.accessToken, baseUrl: fake.url, createCustomer: true })
    const error = await polar.getSession({ externalCustomerId: 'new_6', email: 'taken@acme.dev' }).then(
      () => null,
      (e: unknown) => e,
    )
    expect((error as PolarSessionError).code).toBe('customer_not_found')
    expect(fake.customers().filter((c) => c.email === 'taken@acme.dev')).toHaveLength(1)
    await polar.close()
  })
})
