export { createPolarSessions } from './create-polar-sessions.js'
export type { GetSessionOptions, PolarSessions, ResolveOptions } from './create-polar-sessions.js'
export type { PolarSessionsOptions } from './options.js'
export { POLAR_SERVERS, POLAR_RATE_LIMITS } from './options.js'
export { PolarSessionError, isPolarSessionError, DEFAULT_RETRY_AFTER_SEC } from './errors.js'
export type { PolarSessionErrorCode, PolarSessionErrorOptions } from './errors.js'
export { memoryStore, MemoryStore } from './store/memory.js'
export type { MemoryStoreOptions } from './store/memory.js'
export { MAX_RETURN_URL_LENGTH } from './return-url.js'
export { validateIdentity } from './validate-identity.js'
export { redactToken, redactUrl, redactEmail } from './redact.js'
export type {
  CustomerIdIdentity,
  ExternalCustomerIdentity,
  Identify,
  IdentifyResult,
  Logger,
  PolarCustomer,
  PolarIdentity,
  PolarSession,
  SessionStore,
  StoreLock,
} from './types.js'
export { VERSION } from './version.js'
export { createPortalHandler, sessionFromRequest, errorResponse } from './http/fetch-handler.js'
export type { PortalHandlerOptions } from './http/fetch-handler.js'
export {
  sessionForRequest,
  attachSession,
  lazySession,
  checkRequestSessionOptions,
  checkPolarSessions,
  unauthenticated,
} from './http/request-session.js'
export type { AttachedSession, AttachOptions, LazySession, RequestCall, RequestSessionOptions, RequestFacts } from './http/request-session.js'
export type { CreationPurpose } from './budget/creation-budget.js'
export { NO_STORE, portalJson, wantsJson } from './http/portal-answer.js'
export type { PortalJson } from './http/portal-answer.js'
export * from './identity/index.js'
export { sealedStore, MIN_SEAL_KEY_LENGTH } from './store/sealed.js'
export type { SealOptions } from './store/sealed.js'
export {
  verifyWebhook,
  webhookInvalidations,
  MAX_WEBHOOK_BODY_BYTES,
  handleWebhook,
  checkWebhookOptions,
  createWebhookHandler,
  readNodeBody,
} from './webhook/index.js'
export type {
  HandleWebhookInput,
  NodeBodyRead,
  PolarWebhookEvent,
  PolarWebhookOptions,
  VerifyWebhookOptions,
  WebhookAnswer,
  WebhookHandlerOptions,
  WebhookHeaders,
} from './webhook/index.js'
