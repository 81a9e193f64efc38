// Who a request is: Polar's AuthSubjectMiddleware (bearer token → subject) and
// AuthSubject.rate_limit_user (subject → the rate limit's bucket).

import type { Subject } from './request.js'
import type { FakeOrganization } from './state.js'

/** FastAPI's get_authorization_scheme_param: the bearer token, or null. */
export function bearerToken(header: string | undefined): string | null {
  if (header === undefined) return null
  const space = header.indexOf(' ')
  const scheme = space < 0 ? header : header.slice(0, space)
  const credentials = space < 0 ? '' : header.slice(space + 1)
  return scheme.toLowerCase() === 'bearer' && credentials !== '' ? credentials : null
}

/**
 * Polar's token lookup: 'invalid' for a token that matches nothing live. A token with
 * non-ASCII characters counts as no token (get_bearer_token's isascii check).
 */
export function authenticate(org: FakeOrganization, token: string | null): Subject | 'invalid' {
  // eslint-disable-next-line no-control-regex
  if (token === null || !/^[\x00-\x7f]*$/.test(token)) return { kind: 'anonymous' }
  const access = org.accessToken(token)
  if (access) return { kind: 'token', token: access }
  const found = org.validSession(token)
  if (found) return { kind: 'session', ...found }
  return 'invalid'
}

/** The bucket an authenticated subject counts against; null for anonymous. */
export function rateLimitBucket(org: FakeOrganization, subject: Subject): string | null {
  switch (subject.kind) {
    case 'anonymous':
      return null
    case 'token':
      return subject.token.kind === 'personal' ? `user:${org.userId}` : `organization:${org.id}`
    case 'session':
      return subject.member ? `member:${subject.member.id}` : `customer:${subject.customer.id}`
  }
}

/** A token's bucket without caching anything; null for an invalid token. */
export function tokenBucket(org: FakeOrganization, token: string): string | null {
  const subject = authenticate(org, token)
  return subject === 'invalid' ? null : rateLimitBucket(org, subject)
}
