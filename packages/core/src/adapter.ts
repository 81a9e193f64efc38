/**
 * `@polar-session/core/adapter`: what a framework package is built from. Each adapter reads its
 * framework's request into {@link RequestFacts}, calls one of these, and writes the answer back;
 * every decision (modes, return URLs, errors, webhook verification) is made here, once.
 * Apps do not need this entry: they use the adapter packages, or the Fetch-API handlers.
 *
 * @module
 */
export { sessionMiddleware } from './adapter/session-middleware.js'
export type { SessionMiddleware, SessionTarget } from './adapter/session-middleware.js'
export { portalRoute } from './adapter/portal-route.js'
export type { PortalAnswer, PortalRoute } from './adapter/portal-route.js'
export { webhookRoute } from './adapter/webhook-route.js'
export type { WebhookBody, WebhookResponse, WebhookRoute } from './adapter/webhook-route.js'
export { nodeWebhookBody, readNodeBody } from './adapter/read-node-body.js'
export { readFetchBody } from './adapter/read-fetch-body.js'
export { NO_STORE } from './adapter/portal-answer.js'
export type { PortalJson } from './adapter/portal-answer.js'
export type { PortalRouteOptions, SessionMiddlewareOptions, WebhookRouteOptions } from './adapter/check-options.js'
export { attachSession, lazySession, NO_FACTS, sessionForRequest } from './adapter/request-session.js'
export type {
  AttachedSession,
  AttachOptions,
  LazySession,
  MaybePromise,
  RequestCall,
  RequestFacts,
  RequestSessionOptions,
} from './adapter/request-session.js'
