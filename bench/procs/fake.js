// The fake Polar API in its own process, so its work (50 ms timers, JSON, sessions) does not
// share an event loop with the app under test. Argv: a JSON options object:
// { latencyMs, rateLimit, users: ['u0', …] }. Each user becomes a customer with that external id.
// Reports { url, accessToken, customers: { externalId: polarCustomerUuid } } when ready.

import { startFakePolar } from '@polar-session/testing'
import { ready, serveParent } from '../lib/child.js'

const options = JSON.parse(process.argv[2] ?? '{}')
const fake = await startFakePolar({
  latencyMs: options.latencyMs ?? 0,
  rateLimit: options.rateLimit ?? false,
})
const customers = {}
for (const externalId of options.users ?? []) {
  const c = fake.addCustomer({ externalId, email: `${externalId}@example.com`, name: `User ${externalId}` })
  customers[externalId] = c.id
}
const byId = new Map(Object.entries(customers).map(([externalId, id]) => [id, externalId]))

const snapshot = () => ({
  requests: { ...fake.stats.requests },
  total: fake.stats.total,
  sessionsCreated: fake.stats.sessionsCreated,
  rateLimited: fake.stats.rateLimited,
  // Sessions issued per customer external id, for "what did one user cost".
  sessionsByUser: fake.sessions().reduce((by, s) => {
    const user = byId.get(s.customerId) ?? 'unknown'
    by[user] = (by[user] ?? 0) + 1
    return by
  }, {}),
})

serveParent({
  stats: snapshot,
  reset() {
    fake.stats.reset()
    return snapshot()
  },
  setLatency(ms) {
    fake.setLatency(ms)
  },
  async close() {
    await fake.close()
  },
})
ready({ url: fake.url, accessToken: fake.accessToken, customers })
