// One app variant under test, alone in its process. Argv: a JSON config
// { variant, fakeUrl, accessToken, customers, redisUrl, redisPrefix }. Reports { port } once
// it listens on 127.0.0.1.
//
// Every variant identifies the signed-in user the same way: the `x-user-id` request header
// (standing in for the app's own auth), anonymous without it. Routes:
//   GET /health  plain 200 'ok', never identified (used to open sockets before a burst)
//   GET /        200 'ok' (express-*, koa-*, fastify-* and hono-* variants; with the middleware in front)
//   GET /portal  303 to the portal (portal-* variants)
//
// Variants:
//   express-bare | express-memory | express-redis   Express 5, polarSession() in attach mode
//   koa-bare     | koa-memory     | koa-redis       Koa 3 + @koa/router, polarSession()
//   fastify-bare | fastify-memory                  Fastify 5, the polarSession plugin (a preHandler hook)
//   hono-bare    | hono-memory                     Hono 4 on @hono/node-server, polarSession()
//   express-noop | koa-noop | hono-noop   a middleware that only calls next(): what any middleware costs
//   fastify-noop   an async preHandler hook that does nothing: what any hook costs
//   portal-bare    Express 5, a plain 303 to a fixed URL: no Polar call (the physical bound)
//   portal-ours    Express 5, polarPortal() with the memory store
//   portal-theirs  Express 5, @polar-sh/express CustomerPortal; its SDK has no base-URL option,
//                  so globalThis.fetch is wrapped in this process to rewrite only the origin
//                  https://api.polar.sh (or sandbox-api) to the fake's URL.

import { createServer } from 'node:http'
import { randomBytes } from 'node:crypto'
import { ready, serveParent } from '../lib/child.js'

const config = JSON.parse(process.argv[2])
const { variant, fakeUrl, accessToken, customers = {} } = config
const [framework, kind] = variant.split('-')

let rewrittenCalls = 0
let loggedErrors = 0
let redis = null
let polar = null

if (variant === 'portal-theirs') {
  // Route the official adapter to the fake: rewrite the origin only; method, path, headers and
  // body are passed through untouched. Installed before the adapter (and its SDK) is loaded.
  const original = globalThis.fetch
  const POLAR_ORIGIN = /^https:\/\/(sandbox-)?api\.polar\.sh(?=\/|$)/
  globalThis.fetch = async function fetchViaFake(input, init) {
    rewrittenCalls++
    if (typeof input === 'string') return original(input.replace(POLAR_ORIGIN, fakeUrl), init)
    if (input instanceof URL) return original(new URL(input.href.replace(POLAR_ORIGIN, fakeUrl)), init)
    if (!(input instanceof Request)) return original(input, init)
    // The SDK passes a Request. Copying it with new Request(url, request) would turn its body into
    // a stream, sent chunked, and Polar (like the fake) answers a POST without Content-Length with
    // 411: read the body out, so it goes as the SDK's own request would, with its length.
    const body = input.method === 'GET' || input.method === 'HEAD' ? undefined : await input.arrayBuffer()
    const { method, headers, signal, redirect } = input
    return original(input.url.replace(POLAR_ORIGIN, fakeUrl), { method, headers, body, signal, redirect, ...init })
  }
  // The adapter console.error()s every failure (e.g. each 429 in the rate-limit run): count instead.
  console.error = () => {
    loggedErrors++
  }
}

async function makePolar(identify) {
  const { createPolarSessions, memoryStore } = await import('@polar-session/core')
  // allowedReturnOrigins: the rate-limit run's flooding user sends return_to values on this origin.
  const common = { accessToken, baseUrl: fakeUrl, identify, allowedReturnOrigins: ['https://app.example.com'] }
  if (kind === 'redis' || kind === 'redisdirect') {
    const { createClient } = await import('redis')
    const { redisStore } = await import('@polar-session/core/redis')
    redis = await createClient({ url: config.redisUrl }).connect()
    const store = redisStore({ client: redis, prefix: config.redisPrefix })
    // redis: the near cache on, trusting generations for longer than the whole timed section
    // (so the timed runs measure warm hits alone; the default 5 s costs one GET per identity
    // per 5 s, see bench/README.md); redisdirect: the near cache off, every request reads Redis.
    const nearCacheTtlMs = kind === 'redis' ? 600_000 : 0
    return createPolarSessions({
      ...common,
      store,
      encryptionKey: randomBytes(32).toString('base64url'),
      nearCacheTtlMs,
    })
  }
  return createPolarSessions({ ...common, store: memoryStore() })
}

async function expressApp() {
  const express = (await import('express')).default
  const app = express()
  const identify = (req) => {
    const id = req.get('x-user-id')
    return id ? { externalCustomerId: id } : null
  }
  app.get('/health', (req, res) => {
    res.send('ok')
  })
  if (framework === 'express') {
    const expectSession = kind !== 'bare' && kind !== 'noop'
    if (kind === 'noop') {
      app.use((req, res, next) => {
        next()
      })
    }
    if (expectSession) {
      const { polarSession } = await import('@polar-session/express')
      polar = await makePolar(identify)
      app.use(polarSession(polar, { lazy: false }))
    }
    app.get('/', (req, res) => {
      // Same handler everywhere; a missing session shows up as a non-2xx in the results.
      if (expectSession && !req.polarSession) return res.status(500).send('no session')
      res.send('ok')
    })
  } else if (kind === 'bare') {
    // What any portal route must at least do: answer a 303 with a portal-sized Location.
    const location = `https://polar.sh/acme/portal?customer_session_token=polar_mst_${'x'.repeat(43)}&email=user%40example.com`
    app.get('/portal', (req, res) => {
      res.set('Cache-Control', 'no-store')
      res.redirect(303, location)
    })
  } else if (kind === 'ours') {
    const { polarPortal } = await import('@polar-session/express')
    polar = await makePolar(identify)
    app.get('/portal', polarPortal(polar, { returnToParam: 'return_to' }))
  } else if (kind === 'theirs') {
    const { CustomerPortal } = await import('@polar-sh/express')
    app.get(
      '/portal',
      CustomerPortal({
        accessToken,
        server: 'production',
        // This adapter only takes Polar's own customer id (a uuid): map the app's user to it.
        getCustomerId: (req) => customers[req.get('x-user-id')],
      }),
    )
  } else {
    throw new Error(`unknown variant ${variant}`)
  }
  return app
}

async function koaApp() {
  const Koa = (await import('koa')).default
  const Router = (await import('@koa/router')).default
  const app = new Koa()
  const router = new Router()
  const expectSession = kind !== 'bare' && kind !== 'noop'
  if (kind === 'noop') app.use((ctx, next) => next())
  if (expectSession) {
    const { polarSession } = await import('@polar-session/koa')
    polar = await makePolar((ctx) => {
      const id = ctx.get('x-user-id')
      return id ? { externalCustomerId: id } : null
    })
    app.use(polarSession(polar, { lazy: false }))
  }
  router.get('/health', (ctx) => {
    ctx.body = 'ok'
  })
  router.get('/', (ctx) => {
    if (expectSession && ctx.get('x-user-id') !== '' && !ctx.state.polarSession) {
      ctx.status = 500
      ctx.body = 'no session'
      return
    }
    ctx.body = 'ok'
  })
  app.use(router.routes())
  return app
}

/** Every variant's check of its answer: a signed-in request must have got its session. */
const sessionMissing = (userId, session) => kind !== 'bare' && kind !== 'noop' && Boolean(userId) && !session

async function fastifyApp() {
  const Fastify = (await import('fastify')).default
  let handler
  // The same node:http server as every variant: serverFactory hands over Fastify's own handler.
  const app = Fastify({
    serverFactory: (fastifyHandler) => {
      handler = fastifyHandler
      return createServer()
    },
  })
  app.get('/health', async () => 'ok')
  // GET / in a context of its own, so /health never runs the hook.
  let plugin = null
  if (kind === 'memory' || kind === 'redis') {
    plugin = (await import('@polar-session/fastify')).polarSession
    polar = await makePolar((request) => {
      const id = request.headers['x-user-id']
      return id ? { externalCustomerId: id } : null
    })
  }
  app.register(async (scope) => {
    if (kind === 'noop') scope.addHook('preHandler', async () => {})
    if (plugin) await scope.register(plugin, { polar, lazy: false })
    scope.get('/', async (request, reply) => {
      if (sessionMissing(request.headers['x-user-id'], request.polarSession)) return reply.code(500).send('no session')
      return 'ok'
    })
  })
  await app.ready()
  return handler
}

async function honoApp() {
  const { Hono } = await import('hono')
  const { getRequestListener } = await import('@hono/node-server')
  const app = new Hono()
  app.get('/health', (c) => c.text('ok'))
  if (kind === 'noop') app.use(async (c, next) => next())
  if (kind === 'memory' || kind === 'redis') {
    const { polarSession } = await import('@polar-session/hono')
    polar = await makePolar((c) => {
      const id = c.req.header('x-user-id')
      return id ? { externalCustomerId: id } : null
    })
    app.use(polarSession(polar, { lazy: false }))
  }
  app.get('/', (c) => {
    if (sessionMissing(c.req.header('x-user-id'), c.get('polarSession'))) return c.text('no session', 500)
    return c.text('ok')
  })
  return getRequestListener(app.fetch)
}

const listeners = {
  koa: async () => (await koaApp()).callback(),
  fastify: fastifyApp,
  hono: honoApp,
}
const server = createServer(await (listeners[framework] ?? expressApp)())
server.keepAliveTimeout = 60_000
// Requests received, counted where every variant pays the same (an extra 'request' listener),
// so upstream calls per visit include visits still in flight when a load run stops.
let received = 0
server.on('request', () => {
  received++
})
await new Promise((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve))

serveParent({
  stats: () => ({ received, cpu: process.cpuUsage(), rewrittenCalls, loggedErrors, memory: process.memoryUsage() }),
  async close() {
    server.closeAllConnections?.()
    await new Promise((resolve) => server.close(resolve))
    await polar?.close()
    if (redis !== null) {
      // Remove this run's keys only: the Redis is shared with other work.
      for await (const batch of redis.scanIterator({ MATCH: `${config.redisPrefix}*`, COUNT: 500 })) {
        const keys = Array.isArray(batch) ? batch : [batch]
        if (keys.length > 0) await redis.del(keys)
      }
      await redis.quit()
    }
  },
})
ready({ port: server.address().port, pid: process.pid })
