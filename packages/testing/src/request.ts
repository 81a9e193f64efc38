// What the router hands an endpoint: the request, the fake's state, and who is
// asking. Types only, shared by the router, the route table and the endpoints,
// so that none of them has to import another for its types.

import type { IncomingHttpHeaders } from 'node:http'
import type { Answer } from './answers.js'
import type { PolarRateLimiter } from './rate-limit.js'
import type { Stats } from './stats.js'
import type { AccessTokenRecord, CustomerRecord, FakeOrganization, MemberRecord, SessionRecord } from './state.js'
import type { FakeFault } from './types.js'

export type Subject =
  | { kind: 'anonymous' }
  | { kind: 'token'; token: AccessTokenRecord }
  | { kind: 'session'; session: SessionRecord; customer: CustomerRecord; member: MemberRecord | null }

export interface RouterDeps {
  org: FakeOrganization
  stats: Stats
  portalBaseUrl(): string
  limiter(): PolarRateLimiter | null
}

export interface RequestInfo {
  method: string
  /** Percent-decoded path, as Starlette routes on. */
  pathname: string
  /** The path as sent, for redirects. */
  rawPath: string
  search: string
  query: URLSearchParams
  headers: IncomingHttpHeaders
  /** The client's address: the rate limit's bucket for requests without a token. */
  clientIp: string
  body: Buffer
  routeKey: string
  payloadFault: FakeFault | undefined
  params: Record<string, string>
}

export type Handler = (deps: RouterDeps, req: RequestInfo, subject: Subject) => Answer
