import type { CreationPurpose } from './budget/creation-budget.js'

/** Per-call options of `PolarSessions.getSession`. */
export interface GetSessionOptions {
  /**
   * The portal's back link for this session; null for none. Checked against
   * `allowedReturnOrigins` (400 `invalid_return_url` when off them, or when none are set).
   * Each return URL gets its own cached session, up to `maxReturnUrlsPerCustomer` per identity.
   * @default the `returnUrl` option when it is a string
   */
  returnUrl?: string | URL | null
  /** Hand out a cached session only with more than this left. @default `refreshMarginMs` */
  minRemainingMs?: number
  /**
   * Why the session is wanted, for the creation budget: `'interactive'` when a person waits for
   * it (a portal visit), `'attach'` when it is fetched only in case a route uses it (attach
   * mode in front of every route), which may spend at most `attachBudgetShare` of the budget.
   * @default 'interactive'
   */
  purpose?: CreationPurpose
  /**
   * Only a session already cached (in this process, or in the shared store): never calls
   * Polar, never waits for a creation, resolves to null when there is none. What lazy attach
   * mode uses on every request.
   * @default false
   */
  cachedOnly?: boolean
}

/** Per-call options of `PolarSessions.resolve`. */
export interface ResolveOptions extends GetSessionOptions {}

/** Options of `PolarSessions.prefetch`. */
export interface PrefetchOptions {
  /**
   * The return URL of the session to prepare: the one the first portal visit will ask for.
   * Checked like `getSession`'s (a refused one is logged, not thrown).
   * @default the `returnUrl` option when it is a string
   */
  returnUrl?: string | URL | null
}
