// Koa 3 in plain ESM JavaScript, from the packed tarballs: serves real HTTP requests against the
// fake Polar of @polar-session/testing and prints what it saw as one JSON line. The error middleware
// is the one in packages/koa/README.md (the test writes it to readme-error-handler-koa.js).
import { once } from 'node:events'
import { createPolarSessions } from '@polar-session/core'
import { polarPortal, polarSession } from '@polar-session/koa'
import { startFakePolar } from '@polar-session/testing'
import Koa from 'koa'
import { useReadmeErrorHandler } from './readme-error-handler-koa.js'

const fake = await startFakePolar({ seed: [{ externalId: 'usr_omar', email: 'omar@example.com', name: 'Omar' }] })
const polar = createPolarSessions({
  accessToken: fake.accessToken,
  baseUrl: fake.url,
  identify: (ctx) => {
    const user = ctx.get('x-user')
    return user ? { externalCustomerId: user } : null
  },
})

const app = new Koa()
useReadmeErrorHandler(app)
const portal = polarPortal(polar)
app.use(polarSession(polar))
app.use(async (ctx, next) => {
  if (ctx.path === '/billing') return portal(ctx, next)
  const session = await ctx.state.getPolarSession()
  ctx.body = { customerId: session?.customerId ?? null, error: ctx.state.polarSessionError?.code ?? null }
})

const server = app.listen(0, '127.0.0.1')
await once(server, 'listening')
const base = `http://127.0.0.1:${server.address().port}`

const billing = await fetch(`${base}/billing`, { headers: { 'x-user': 'usr_omar' }, redirect: 'manual' })
const account = await fetch(`${base}/account`, { headers: { 'x-user': 'usr_omar' } })
const anonymous = await fetch(`${base}/billing`, { redirect: 'manual' })

console.log(
  JSON.stringify({
    fakeUrl: fake.url,
    portal: { status: billing.status, location: billing.headers.get('location') },
    account: { status: account.status, body: await account.json() },
    anonymous: { status: anonymous.status, body: await anonymous.json() },
    sessionsCreated: fake.stats.sessionsCreated,
    customerId: fake.customers()[0]?.id,
  }),
)

server.closeAllConnections()
server.close()
await polar.close()
await fake.close()
