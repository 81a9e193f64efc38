export { MAX_WEBHOOK_BODY_BYTES, verifyWebhook } from './verify.js'
export type { PolarWebhookEvent, VerifyWebhookOptions, WebhookHeaders } from './verify.js'
export { webhookInvalidations } from './invalidations.js'
