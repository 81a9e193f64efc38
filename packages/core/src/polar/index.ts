export { createPolarClient, DEFAULT_MAX_ATTEMPTS } from './client.js'
export { parseCustomer } from './parse-customer.js'
export type {
  CallOptions,
  CreateCustomerInput,
  CreateSessionInput,
  PolarClient,
  PolarClientOptions,
  PolarErrorDetails,
  ReceivedSession,
} from './types.js'
