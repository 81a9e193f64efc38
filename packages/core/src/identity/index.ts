/**
 * Identity resolvers: functions that map a framework request to a {@link PolarIdentity}, or to
 * `null` for an anonymous request. Pass one as `identify` to `createPolarSessions`.
 *
 * - {@link fromJwt}: a signed JWT from `Authorization: Bearer …` or a cookie.
 * - {@link fromUser}: the user an authentication middleware attached (`req.user`, `ctx.state.user`).
 * - {@link firstOf}: the first of several resolvers that finds an identity.
 *
 * @module
 */
export { fromJwt } from './jwt.js'
export type { AsymmetricAlgorithm, HmacAlgorithm, JwtAlgorithm } from './jwt-keys.js'
export type {
  ClaimName,
  ClaimReader,
  FromJwtCommonOptions,
  FromJwtJwksOptions,
  FromJwtOptions,
  FromJwtPublicKeyOptions,
  FromJwtSecretOptions,
  JwtClaimsMapper,
  TokenSource,
} from './jwt-options.js'
export { fromUser } from './from-user.js'
export type { FromUserOptions, UserIdSource, UserIdValue, UserPath, UserTextSource } from './from-user.js'
export { firstOf } from './first-of.js'
export type { IdentityResolver } from './resolver.js'
export type {
  ContextWithRequest,
  HeaderRecord,
  HeadersGetter,
  HeaderSource,
  HttpRequestLike,
  RequestWithHeaders,
} from './read-header.js'
