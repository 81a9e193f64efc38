// Express 5 + TypeScript, from the packed tarballs: compiled once with "module": "nodenext" and once
// with "moduleResolution": "bundler" (strict, skipLibCheck: false), then run. It serves real HTTP
// requests against the fake Polar of @polar-session/testing and prints what it saw as one JSON line.
// The error handler is the typed one in packages/express/README.md (the test writes it to
// readme-error-handler.ts), so that snippet must compile under strict.
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { createPolarSessions, type PolarSession } from '@polar-session/core'
import { polarPortal, polarSession } from '@polar-session/express'
import { startFakePolar } from '@polar-session/testing'
import express, { type Request } from 'express'
import { useReadmeErrorHandler } from './readme-error-handler.js'

const fake = await startFakePolar({ seed: [{ externalId: 'usr_jane', email: 'jane@example.com', name: 'Jane' }] })
const polar = createPolarSessions({
  accessToken: fake.accessToken,
  baseUrl: fake.url,
  identify: (req: Request) => {
    const user = req.get('x-user')
    return user ? { externalCustomerId: user } : null
  },
  returnUrl: 'https://app.example.com/account',
})

const app = express()
app.use(polarSession(polar))
app.get('/account', async (req, res) => {
  // Lazy attach: the session is cached by /billing below, or created here.
  const session: PolarSession | null = (await req.getPolarSession?.()) ?? null
  res.json({ customerId: session?.customerId ?? null, error: req.polarSessionError?.code ?? null })
})
app.get('/billing', polarPortal(polar))
useReadmeErrorHandler(app)

const server = app.listen(0, '127.0.0.1')
await once(server, 'listening')
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

const portal = await fetch(`${base}/billing`, { headers: { 'x-user': 'usr_jane' }, redirect: 'manual' })
const account = await fetch(`${base}/account`, { headers: { 'x-user': 'usr_jane' } })
const anonymous = await fetch(`${base}/billing`, { redirect: 'manual' })

console.log(
  JSON.stringify({
    fakeUrl: fake.url,
    portal: { status: portal.status, location: portal.headers.get('location') },
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
