/**
 * `fromUser`: identify a request by the user an authentication middleware already attached to it
 * (Passport's `req.user`, Koa's `ctx.state.user`, a session…).
 *
 * @module
 */
import type { IdentifyResult, PolarIdentity } from '../types.js'
import type { IdentityResolver } from './resolver.js'
import { rejectUnknownKeys } from '../option-keys.js'

/**
 * A property path into the request: `'user.id'`, or `['state', 'user', 'id']` (the array form
 * for keys that contain dots). `__proto__`, `constructor` and `prototype` segments are refused.
 */
export type UserPath = string | readonly string[]

/** A value that can be an id: numbers and bigints are converted to strings. */
export type UserIdValue = string | number | bigint | null | undefined

/** Where an id comes from: a path into the request, or a function of it. */
export type UserIdSource<Req> = UserPath | ((request: Req) => UserIdValue | Promise<UserIdValue>)

/** Where an email or a name comes from: a path into the request, or a function of it. */
export type UserTextSource<Req> =
  | UserPath
  | ((request: Req) => string | null | undefined | Promise<string | null | undefined>)

/** Options of {@link fromUser}. Every source is a {@link UserPath} or a function of the request. */
export interface FromUserOptions<Req = unknown> {
  /**
   * The user's id.
   *
   * Default: `req.user.id` (Express with Passport), then `ctx.state.user.id` (Koa).
   */
  id?: UserIdSource<Req>
  /**
   * Which identity field the id fills: the app's own id (`externalCustomerId`, stored on the
   * Polar customer as `external_id`) or Polar's customer UUID (`customerId`).
   *
   * Default: `'externalCustomerId'`.
   */
  as?: 'externalCustomerId' | 'customerId'
  /**
   * The member id, for team customers (Polar's member model). Absent (`null`/`undefined`) means
   * no member.
   *
   * Default: none.
   */
  member?: UserIdSource<Req>
  /**
   * Which identity field the member id fills.
   *
   * Default: `'externalMemberId'`. Only with {@link member}.
   */
  memberAs?: 'externalMemberId' | 'memberId'
  /**
   * The customer's email, used only when a missing customer is created.
   *
   * Default: none.
   */
  email?: UserTextSource<Req>
  /**
   * The customer's name, used only when a missing customer is created.
   *
   * Default: none.
   */
  name?: UserTextSource<Req>
}

const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype'])
const DEFAULT_PATHS: readonly (readonly string[])[] = [
  ['user', 'id'],
  ['state', 'user', 'id'],
]
const OPTION_NAMES = ['id', 'as', 'member', 'memberAs', 'email', 'name'] as const

/** A source checked and compiled once: reads a value from a request. */
interface Reader<Req> {
  /** For messages: the path, or "the id function". */
  readonly label: string
  read(request: Req): unknown
}

function parsePath(option: string, path: UserPath): readonly string[] {
  const segments = typeof path === 'string' ? path.split('.') : path
  if (!Array.isArray(segments) || segments.length === 0) {
    throw new TypeError(`fromUser: "${option}" must be a non-empty path`)
  }
  for (const segment of segments as unknown[]) {
    if (typeof segment !== 'string' || segment.length === 0) {
      throw new TypeError(`fromUser: "${option}" has an empty path segment; use e.g. 'user.id' or ['user', 'id']`)
    }
    if (FORBIDDEN_SEGMENTS.has(segment)) {
      throw new TypeError(`fromUser: "${option}" may not go through "${segment}"`)
    }
  }
  return [...(segments as string[])]
}

function readPath(root: unknown, path: readonly string[]): unknown {
  let value = root
  for (const segment of path) {
    if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return undefined
    value = (value as Record<string, unknown>)[segment]
  }
  return value
}

function compile<Req>(option: string, source: unknown): Reader<Req> {
  if (typeof source === 'function') {
    const fn = source as (request: Req) => unknown
    return { label: `the "${option}" function`, read: (request) => fn(request) }
  }
  if (typeof source === 'string' || Array.isArray(source)) {
    const path = parsePath(option, source as UserPath)
    return { label: `"${path.join('.')}"`, read: (request) => readPath(request, path) }
  }
  throw new TypeError(`fromUser: "${option}" must be a path ('user.id', ['user', 'id']) or a function of the request`)
}

function defaultIdReader<Req>(): Reader<Req> {
  return {
    label: '"user.id" or "state.user.id"',
    read: (request) => {
      for (const path of DEFAULT_PATHS) {
        const value = readPath(request, path)
        if (value !== undefined && value !== null) return value
      }
      return undefined
    },
  }
}

/** An id as a string; `undefined` when absent. Other types are a programming error. */
function toId(value: unknown, label: string): string | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value === 'string') return value
  if (typeof value === 'bigint') return value.toString()
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return String(value)
    throw new TypeError(`fromUser: the id at ${label} is not a finite number`)
  }
  throw new TypeError(
    `fromUser: the id at ${label} is ${describeType(value)}; expected a string, number or bigint. ` +
      'Convert it with the function form, e.g. fromUser((req) => req.user?._id?.toString())',
  )
}

/** "a string", "an object", "an array", "null". */
function describeType(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  const type = typeof value
  return `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`
}

function toText(value: unknown, label: string): string | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value === 'string') return value
  throw new TypeError(`fromUser: the value at ${label} is ${describeType(value)}; expected a string`)
}

function isOptionsObject<Req>(value: unknown): value is FromUserOptions<Req> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/**
 * Identifies a request by the signed-in user another middleware attached to it.
 *
 * - `fromUser()`: `req.user.id` (Express + Passport), then `ctx.state.user.id` (Koa).
 * - `fromUser('session.userId')`, `fromUser(['state', 'user', 'sub'])`: a path.
 * - `fromUser((req) => req.auth?.userId)`: a function (may be async).
 * - `fromUser(source, options)` or `fromUser({ id, as, member, memberAs, email, name })`.
 *
 * Numbers and bigints become strings (`42` → `'42'`). A missing id (`undefined`/`null` anywhere
 * along the path) means anonymous (`null`). Any other type (an object, a boolean, `NaN`) throws
 * a `TypeError`: it is a wiring mistake, not a user's. The id's format is not checked here; the
 * core validates identities before any call to Polar.
 *
 * @example Express with Passport
 * ```ts
 * createPolarSessions({ accessToken, identify: fromUser() })
 * ```
 *
 * @throws {TypeError} At construction, for an invalid path (empty segment, `__proto__`,
 *   `constructor`, `prototype`) or option.
 */
export function fromUser<Req = unknown>(
  id?: UserIdSource<Req>,
  options?: Omit<FromUserOptions<Req>, 'id'>,
): IdentityResolver<Req>
export function fromUser<Req = unknown>(options: FromUserOptions<Req>): IdentityResolver<Req>
export function fromUser<Req = unknown>(
  first?: UserIdSource<Req> | FromUserOptions<Req>,
  second?: Omit<FromUserOptions<Req>, 'id'>,
): IdentityResolver<Req> {
  let options: FromUserOptions<Req>
  if (isOptionsObject<Req>(first)) {
    if (second !== undefined)
      throw new TypeError('fromUser: pass options either as the only argument or after the id source')
    options = first
  } else {
    if (second !== undefined && !isOptionsObject(second)) throw new TypeError('fromUser: options must be an object')
    if (second !== undefined && Object.hasOwn(second, 'id')) {
      throw new TypeError('fromUser: "id" is given twice: as the first argument and in the options')
    }
    options = { ...second, id: first as UserIdSource<Req> | undefined }
  }
  rejectUnknownKeys('fromUser', options, OPTION_NAMES, { path: 'id', userId: 'id', idPath: 'id' })

  const as = options.as ?? 'externalCustomerId'
  if (as !== 'externalCustomerId' && as !== 'customerId') {
    throw new TypeError('fromUser: "as" must be "externalCustomerId" or "customerId"')
  }
  const memberAs = options.memberAs ?? 'externalMemberId'
  if (memberAs !== 'externalMemberId' && memberAs !== 'memberId') {
    throw new TypeError('fromUser: "memberAs" must be "externalMemberId" or "memberId"')
  }
  if (options.memberAs !== undefined && options.member === undefined) {
    throw new TypeError('fromUser: "memberAs" needs "member"')
  }

  const idReader = options.id === undefined ? defaultIdReader<Req>() : compile<Req>('id', options.id)
  const memberReader = options.member === undefined ? undefined : compile<Req>('member', options.member)
  const emailReader = options.email === undefined ? undefined : compile<Req>('email', options.email)
  const nameReader = options.name === undefined ? undefined : compile<Req>('name', options.name)

  return async function identifyFromUser(request: Req): Promise<IdentifyResult> {
    const id = toId(await idReader.read(request), idReader.label)
    if (id === undefined) return null
    const identity: PolarIdentity = as === 'customerId' ? { customerId: id } : { externalCustomerId: id }
    if (memberReader !== undefined) {
      const member = toId(await memberReader.read(request), memberReader.label)
      if (member !== undefined) identity[memberAs] = member
    }
    if (emailReader !== undefined) {
      const email = toText(await emailReader.read(request), emailReader.label)
      if (email !== undefined) identity.email = email
    }
    if (nameReader !== undefined) {
      const name = toText(await nameReader.read(request), nameReader.label)
      if (name !== undefined) identity.name = name
    }
    return identity
  }
}
