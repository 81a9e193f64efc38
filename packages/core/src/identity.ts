/**
 * `@polar-session/core/identity`: the identity resolvers (also on the main entry) with every
 * type their options use, for apps that type a resolver's options or claims mapper apart.
 *
 * @module
 */
export * from './identity/index.js'
export type { CustomerIdIdentity, ExternalCustomerIdentity, Identify, IdentifyResult, PolarIdentity } from './types.js'
