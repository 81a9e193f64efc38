import type { PolarClientOptions } from './types.js'

/** What a request is, for error messages and logs. Holds no secret. */
export interface RequestContext {
  /** `POST /v1/customer-sessions/` or `POST /v1/customers/`. */
  route: string
  operation: 'createCustomerSession' | 'createCustomer'
  /** The scope the route needs. */
  scope: 'customer_sessions:write' | 'customers:write'
  environment: PolarClientOptions['environment']
  /** Origin of the base URL (scheme, host, port): never credentials, path or query. */
  origin: string
  /** What kind of access token, from its prefix (`polar_pat_` is a personal token). */
  tokenKind: 'personal' | 'other'
  /** The customer is looked up by its external id (the lookup that can match several organizations). */
  byExternalId: boolean
}

/** `production (https://api.polar.sh)`, `sandbox (…)`, or `the custom base URL https://…`. */
export function describeTarget(ctx: RequestContext): string {
  return ctx.environment === 'custom' ? `the custom base URL ${ctx.origin}` : `${ctx.environment} (${ctx.origin})`
}
