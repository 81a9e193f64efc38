// @polar-session/testing: a faithful fake of Polar's API on loopback, for
// tests, demos and benchmarks. See README.md for the behaviour it copies.

export { startFakePolar } from './server.js'
export { signWebhook } from './webhooks.js'
export type { WebhookHeaders } from './webhooks.js'
export { generatePolarToken, parsePolarToken, isValidPolarToken, TOKEN_PREFIXES } from './token.js'
export type { ParsedPolarToken } from './token.js'
export { FakeInputError, DEFAULT_SCOPES } from './state.js'
export type {
  FakeCustomer,
  FakeCustomerInput,
  FakeFault,
  FakeMember,
  FakePolar,
  FakePolarOptions,
  FakeSession,
  FakeStats,
  RateLimitOption,
} from './types.js'
