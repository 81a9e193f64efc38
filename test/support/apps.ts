// The apps the fault, hostile and isolation suites drive over real HTTP: Express 5 and 4, Koa 3
// and 2, Fastify 5 and 4, each with the same routes, all wired to the secret watch.
//
//   /me      polarSession(polar, { returnToParam: 'return_to', required: true }), then a JSON
//            summary of req.polarSession that names the session without carrying a secret
//   /portal  polarPortal(polar, { returnToParam: 'return_to' }): 303 to the portal
//   /health  'ok', to show the process still serves
//
// The identity comes from a JSON `x-identity` header or the `identity` field of a JSON body, as
// sent: identify() hands whatever it finds to the core, which must refuse anything odd.
// Errors are left to each framework's default handler (status, `Retry-After`), after the app has
// recorded them (`app.errors`) and shown them to the watch.
// express4, koa, koa2, fastify and fastify4 are dev dependencies of the adapter packages, loaded
// from there.
import { createHash } from 'node:crypto'
import { createServer, type RequestListener, type Server } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import type { PolarSession, PolarSessions } from '@polar-session/core'
import * as expressAdapter from '@polar-session/express'
import express5, { type ErrorRequestHandler } from 'express'
import * as fastifyAdapter from '../../packages/fastify/dist/index.js'
import * as koaAdapter from '../../packages/koa/dist/index.js'
import type { SecretWatch } from './secret-watch.js'

const fromExpress = createRequire(new URL('../../packages/express/package.json', import.meta.url))
const fromKoa = createRequire(new URL('../../packages/koa/package.json', import.meta.url))
const fromFastify = createRequire(new URL('../../packages/fastify/package.json', import.meta.url))

/** The slice of a Koa app these apps use (Koa's own types live with the Koa adapter). */
interface KoaApp {
  use(middleware: (ctx: any, next: () => Promise<unknown>) => unknown): KoaApp
  on(event: 'error', listener: (error: unknown) => void): KoaApp
  callback(): RequestListener
}
type KoaClass = new () => KoaApp

export const FRAMEWORKS = ['express 5', 'express 4', 'koa 3', 'koa 2', 'fastify 5', 'fastify 4'] as const
export type Framework = (typeof FRAMEWORKS)[number]

/** Requests carry `Host: app.example.com`; per-request return URLs must stay on this origin. */
export const APP_HOST = 'app.example.com'
export const APP_ORIGIN = `http://${APP_HOST}`

/** A short fingerprint of a secret, so responses can prove which token they hold without carrying it. */
export function fingerprint(secret: string): string {
  return createHash('sha256').update(secret).digest('hex').slice(0, 16)
}

/** What /me answers: enough to tell whose session it is, and nothing secret. */
export interface SessionSummary {
  sessionId: string
  customerId: string
  externalId: string | null
  returnUrl: string | null
  tokenHash: string
  portalTokenHash: string
}

function summary(session: PolarSession): SessionSummary {
  const portalToken = new URL(session.customerPortalUrl).searchParams.get('customer_session_token') ?? ''
  return {
    sessionId: session.id,
    customerId: session.customerId,
    externalId: session.customer.externalId,
    returnUrl: session.returnUrl,
    tokenHash: fingerprint(session.token),
    portalTokenHash: fingerprint(portalToken),
  }
}

/** JSON with every non-ASCII character escaped, so any identity fits in a header. */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

function identityFrom(header: unknown, body: unknown): unknown {
  if (typeof body === 'object' && body !== null && Object.hasOwn(body, 'identity'))
    return (body as { identity: unknown }).identity
  if (typeof header !== 'string' || header === '') return null
  try {
    return JSON.parse(header) as unknown
  } catch {
    return header // not JSON: the core must refuse it
  }
}

/** identify() for every app: an Express/node `req`, a Fastify `request` (both have `headers` and `body`) or a Koa `ctx`. */
export function identify(request: any): any {
  const isKoa = request.state !== undefined && request.request !== undefined
  return identityFrom(request.headers['x-identity'], isKoa ? request.request.body : request.body)
}

interface Hooks {
  arrived(): void
  failed(error: unknown, where: string): void
}

function expressApp(express: typeof express5, polar: PolarSessions<any>, hooks: Hooks): RequestListener {
  const app = express()
  app.disable('x-powered-by')
  app.use((_req, _res, next) => {
    hooks.arrived()
    next()
  })
  app.use(express.json({ limit: '2mb' }))
  app.all('/me', expressAdapter.polarSession(polar, { returnToParam: 'return_to', required: true }), (req, res) => {
    res.json(summary(req.polarSession!))
  })
  app.all('/portal', expressAdapter.polarPortal(polar, { returnToParam: 'return_to' }))
  app.get('/health', (_req, res) => {
    res.send('ok')
  })
  const recordError: ErrorRequestHandler = (error, req, _res, next) => {
    hooks.failed(error, `${req.method} ${req.path}`)
    next(error)
  }
  app.use(recordError)
  return app as unknown as RequestListener
}

const BODY_LIMIT = 2 * 1024 * 1024

function koaApp(Koa: KoaClass, polar: PolarSessions<any>, hooks: Hooks): RequestListener {
  const app = new Koa()
  // Errors are recorded by the first middleware; this listener keeps Koa from printing them.
  app.on('error', () => {})
  const me = koaAdapter.polarSession(polar, { returnToParam: 'return_to', required: true })
  const portal = koaAdapter.polarPortal(polar, { returnToParam: 'return_to' })
  app.use(async (ctx, next) => {
    hooks.arrived()
    try {
      await next()
    } catch (error) {
      hooks.failed(error, `${ctx.method} ${ctx.path}`)
      throw error
    }
  })
  app.use(async (ctx, next) => {
    if (ctx.method === 'POST' && ctx.is('application/json')) {
      const chunks: Buffer[] = []
      let size = 0
      for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
        size += chunk.length
        if (size > BODY_LIMIT) ctx.throw(413, 'Body too large')
        chunks.push(chunk)
      }
      try {
        ctx.request.body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
      } catch {
        ctx.throw(400, 'The body is not JSON')
      }
    }
    await next()
  })
  app.use(async (ctx, next) => {
    if (ctx.path === '/me') {
      return me(ctx, async () => {
        ctx.body = summary(ctx.state.polarSession)
      })
    }
    if (ctx.path === '/portal') return portal(ctx, next)
    if (ctx.path === '/health') {
      ctx.body = 'ok'
      return undefined
    }
    return next()
  })
  return app.callback()
}

/** The slice of a Fastify app these apps use (Fastify's own types live with the Fastify adapter). */
interface FastifyApp {
  register(plugin: unknown, options?: unknown): FastifyApp
  addHook(name: string, hook: (...args: any[]) => Promise<unknown>): FastifyApp
  all(path: string, handler: (request: any, reply: any) => unknown): FastifyApp
  get(path: string, handler: () => unknown): FastifyApp
  ready(): Promise<unknown>
}
type FastifyFactory = (options: object) => FastifyApp

/**
 * Fastify answers from its own request handler; serverFactory hands it over, so the watch's
 * server (like the other apps') is the one that listens. The body limit matches the others'.
 */
async function fastifyApp(Fastify: FastifyFactory, polar: PolarSessions<any>, hooks: Hooks): Promise<RequestListener> {
  let handler: RequestListener | undefined
  const app = Fastify({
    bodyLimit: BODY_LIMIT,
    // Like JSON.parse in the other apps: a __proto__ key reaches identify(), which must refuse it.
    onProtoPoisoning: 'ignore',
    serverFactory: (fastifyHandler: RequestListener) => {
      handler = fastifyHandler
      return createServer()
    },
  })
  app.addHook('onRequest', async () => hooks.arrived())
  app.addHook('onError', async (request, _reply, error) =>
    hooks.failed(error, `${request.method} ${request.url.split('?')[0]}`),
  )
  app.register(async (scope: FastifyApp) => {
    await scope.register(fastifyAdapter.polarSession, { polar, returnToParam: 'return_to', required: true })
    scope.all('/me', async (request) => summary(request.polarSession))
  })
  app.all('/portal', fastifyAdapter.polarPortal(polar, { returnToParam: 'return_to' }))
  app.get('/health', async () => 'ok')
  await app.ready()
  return handler!
}

export interface TestApp {
  framework: Framework
  server: Server
  port: number
  /** Errors the app's error handling saw, oldest first. */
  errors: unknown[]
  /** Requests that reached the app's first middleware. */
  arrivals: number
  /** The `code` of the last error the app saw. */
  lastCode(): string | undefined
  close(): Promise<void>
}

/** Builds the framework's app over `polar` and listens on 127.0.0.1. */
export async function startApp(framework: Framework, polar: PolarSessions<any>, watch: SecretWatch): Promise<TestApp> {
  const errors: unknown[] = []
  const state = { arrivals: 0 }
  const hooks: Hooks = {
    arrived: () => void state.arrivals++,
    failed: (error, where) => {
      errors.push(error)
      watch.error(`${framework} ${where}`, error)
    },
  }
  let listener: RequestListener
  switch (framework) {
    case 'express 5':
      listener = expressApp(express5, polar, hooks)
      break
    case 'express 4':
      listener = expressApp(fromExpress('express4') as typeof express5, polar, hooks)
      break
    case 'koa 3':
      listener = koaApp(fromKoa('koa') as KoaClass, polar, hooks)
      break
    case 'koa 2':
      listener = koaApp(fromKoa('koa2') as KoaClass, polar, hooks)
      break
    case 'fastify 5':
      listener = await fastifyApp(fromFastify('fastify') as FastifyFactory, polar, hooks)
      break
    case 'fastify 4':
      listener = await fastifyApp(fromFastify('fastify4') as FastifyFactory, polar, hooks)
      break
  }
  const server = createServer(watch.listener(listener))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    framework,
    server,
    port: (server.address() as AddressInfo).port,
    errors,
    get arrivals() {
      return state.arrivals
    },
    lastCode: () => (errors.at(-1) as { code?: string } | undefined)?.code,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
