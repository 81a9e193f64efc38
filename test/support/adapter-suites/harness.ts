// What a framework gives the adapter suites (session.ts, lazy.ts, portal.ts, webhook.ts): apps
// with the same routes, each answering the same JSON, built by the framework's own glue. The
// answers are computed here from the request's SessionTarget view, so a suite's expectations
// hold for every framework alike.
import type { RequestListener, Server } from 'node:http'
import type { PolarSessions } from '@polar-session/core'
import type {
  PortalRouteOptions,
  SessionMiddlewareOptions,
  SessionTarget,
  WebhookRouteOptions,
} from '@polar-session/core/adapter'

/** What supertest drives: a node request listener, or a server (Fastify's, after `ready()`). */
export type HttpTarget = RequestListener | Server

export interface SuiteApp {
  target: HttpTarget
  /** Errors that reached the framework's error handling, oldest first. */
  errors: unknown[]
  /** `polarSessionError` of every page request, as the route saw it. */
  attachedErrors: unknown[]
}

export interface AppSpec {
  /** `polarSession(polar, session)` in front of the page routes; none when absent. */
  session?: SessionMiddlewareOptions
  /** `polarPortal(polar, portal)` on GET /portal, outside the middleware. */
  portal?: PortalRouteOptions
}

export interface Harness<Req> {
  /**
   * An app with `/portal` (see {@link AppSpec}) and these page routes behind the middleware, each
   * answering {@link PAGES}' JSON for the request's view: GET /me, GET / (home), POST /logout,
   * GET /page, GET /billing-info, GET /billing ('sign in first'), GET /boom (throws `new Error('boom')`).
   */
  app(polar: PolarSessions<Req>, spec: AppSpec): Promise<SuiteApp>
  /**
   * `polarWebhook(polar, options)` on /webhooks/polar (every method reaches it), and GET /session
   * behind `polarSession(polar, { required: true })`, answering `{ id }`.
   */
  webhookApp(polar: PolarSessions<Req>, options: WebhookRouteOptions): Promise<SuiteApp>
  /** The adapter's webhook factory, for its mount-time checks. */
  polarWebhook(polar: PolarSessions<Req>, options: WebhookRouteOptions): unknown
  /** The adapter's portal factory, for its mount-time checks. */
  polarPortal(polar: PolarSessions<Req>, options?: PortalRouteOptions): unknown
}

const code = (view: SessionTarget) => view.polarSessionError?.code ?? null

/** The page routes' answers, from the request's view of what polarSession() gave it. */
export const PAGES = {
  me: (view: SessionTarget) => {
    const session = view.polarSession
    return {
      id: session?.id ?? null,
      externalId: session?.customer.externalId ?? null,
      returnUrl: session?.returnUrl ?? null,
      expiresAt: session?.expiresAt.toISOString() ?? null,
      errorCode: code(view),
    }
  },
  home: (view: SessionTarget) => ({ page: 'home', session: view.polarSession ? 'yes' : 'no', errorCode: code(view) }),
  logout: (view: SessionTarget) => ({ page: 'logout', errorCode: code(view) }),
  /** Asks twice, to show it is one creation; reads the view again after. */
  billingInfo: async (view: SessionTarget) => {
    const [a, b] = await Promise.all([view.getPolarSession!(), view.getPolarSession!()])
    return {
      same: a === b,
      session: a?.id ?? null,
      attached: view.polarSession?.id ?? null,
      error: code(view),
      lazy: typeof view.getPolarSession,
    }
  },
  page: (view: SessionTarget) => ({
    session: view.polarSession?.id ?? null,
    error: code(view),
    lazy: typeof view.getPolarSession,
  }),
}
