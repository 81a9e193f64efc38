/**
 * `@polar-session/core`: identity → cached session → Polar, for any Node.js web framework.
 * Framework packages build on `@polar-session/core/adapter`; the Redis store is
 * `@polar-session/core/redis`; every identity resolver and its types, `@polar-session/core/identity`.
 *
 * @module
 */
export { createPolarSessions } from './create-polar-sessions.js'
export type { GetSessionOptions, PrefetchOptions, ResolveOptions } from './call-options.js'
export type { PolarSessions } from './create-polar-sessions.js'
export type { BudgetRefusal, PolarSessionsStats, PrefetchResult, UpstreamOutcome } from './observe/stats.js'
export type { PolarSessionsOptions } from './options.js'
export { POLAR_SERVERS, POLAR_RATE_LIMITS } from './options.js'
export type { CreationPurpose } from './budget/creation-budget.js'
export type { CircuitBreakerOptions } from './reuse/circuit-breaker.js'
export { PolarSessionError, isPolarSessionError } from './errors.js'
export type { PolarSessionErrorCode } from './errors.js'
export { memoryStore } from './store/memory.js'
export type { MemoryStoreOptions } from './store/memory.js'
export { sealedStore } from './store/sealed.js'
export type { SealOptions } from './store/sealed.js'
export type {
  Identify,
  IdentifyResult,
  Logger,
  PolarCustomer,
  PolarIdentity,
  PolarSession,
  SessionStore,
  StoreLease,
  StoreLock,
} from './types.js'
export { VERSION } from './version.js'
export { createPortalHandler, sessionFromRequest, errorResponse } from './fetch/portal-handler.js'
export { createWebhookHandler } from './fetch/webhook-handler.js'
export type { AttachedSession, RequestSessionOptions } from './adapter/request-session.js'
export type { PortalRouteOptions, WebhookRouteOptions } from './adapter/check-options.js'
export { fromJwt, fromUser, firstOf } from './identity/index.js'
export { verifyWebhook, webhookInvalidations, handleWebhook } from './webhook/index.js'
export type { PolarWebhookEvent, VerifyWebhookOptions, WebhookHeaders } from './webhook/index.js'
