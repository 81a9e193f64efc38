// A `fetch` for createPolarSessions({ fetch }) that answers POST /v1/customer-sessions/ with a
// canned 201 of realistic size, without a network round trip. The body is a real answer of the
// fake Polar (@polar-session/testing) taken once as a template; each call gets a fresh id,
// token, customer id and timestamps, and the customer's external id and email follow the
// request. Used where the network would only slow the measurement down (memory, micro).

import { randomUUID } from 'node:crypto'
import { generatePolarToken, startFakePolar } from '@polar-session/testing'

/** One real 201 body from the fake, to copy shapes and sizes from. */
export async function fetchTemplate() {
  const fake = await startFakePolar()
  try {
    fake.addCustomer({ externalId: 'usr_template', email: 'usr_template@example.com', name: 'Template User' })
    const res = await fetch(`${fake.url}/v1/customer-sessions/`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fake.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ external_customer_id: 'usr_template' }),
    })
    if (res.status !== 201) throw new Error(`template: fake answered ${res.status}`)
    return { body: await res.json(), accessToken: fake.accessToken, portalOrigin: fake.url }
  } finally {
    await fake.close()
  }
}

const micros = (ms) => new Date(ms).toISOString().replace('Z', '000Z')

/** Returns { fetch, calls() }. */
export function cannedFetch(template, { lifetimeMs = 3_600_000 } = {}) {
  let calls = 0
  const t = template.body
  async function fetchCanned(url, init) {
    calls++
    const req = JSON.parse(init.body)
    const ext = req.external_customer_id ?? null
    const email = `${ext ?? 'someone'}@example.com`
    const token = generatePolarToken('polar_mst_')
    const now = Date.now()
    const customerId = req.customer_id ?? randomUUID()
    const body = {
      ...t,
      created_at: micros(now),
      modified_at: null,
      id: randomUUID(),
      token,
      expires_at: micros(now + lifetimeMs),
      return_url: req.return_url ?? null,
      customer_portal_url: `${template.portalOrigin}/acme/portal?customer_session_token=${token}&email=${encodeURIComponent(email)}`,
      customer_id: customerId,
      customer: {
        ...t.customer,
        id: customerId,
        external_id: ext,
        email,
        name: `User ${ext}`,
        created_at: micros(now),
      },
    }
    return new Response(JSON.stringify(body), { status: 201, headers: { 'content-type': 'application/json' } })
  }
  return { fetch: fetchCanned, calls: () => calls }
}
