// The demo's "users" and its fake sign-in.
//
// A real app has a real login; the examples only need *some* signed-in user to hand to
// polar-session, so signing in here just stores the user's id in a `demo_user` cookie.
// It is not authentication (anyone can set the cookie): never copy this part.

/** The demo users. Their `id` is the app's user id: Polar knows it as the customer's external id. */
export const DEMO_USERS = Object.freeze([
  Object.freeze({ id: 'usr_jane', name: 'Jane', fullName: 'Jane Doe', email: 'jane@example.com' }),
  Object.freeze({ id: 'usr_omar', name: 'Omar', fullName: 'Omar Haddad', email: 'omar@example.com' }),
  Object.freeze({ id: 'usr_ada', name: 'Ada', fullName: 'Ada Lovelace', email: 'ada@example.com' }),
])

/** Name of the fake sign-in cookie. */
export const DEMO_COOKIE = 'demo_user'

/** The demo user with that id, or null. */
export function findDemoUser(id) {
  return DEMO_USERS.find((user) => user.id === id) ?? null
}

/** One cookie's value out of a `Cookie` request header (no cookie-parser needed), or undefined. */
export function readCookie(header, name) {
  if (typeof header !== 'string') return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq === -1 || part.slice(0, eq).trim() !== name) continue
    try {
      return decodeURIComponent(part.slice(eq + 1).trim())
    } catch {
      return undefined
    }
  }
  return undefined
}

/** The signed-in demo user of a request, from its `Cookie` header; null when signed out. */
export function userFromCookieHeader(header) {
  return findDemoUser(readCookie(header, DEMO_COOKIE))
}

/**
 * The polar-session identity of a demo user: the app's own user id as Polar's
 * `external_id`, so the app never has to store Polar's customer uuid. Null when signed out.
 */
export function identityOf(user) {
  return user ? { externalCustomerId: user.id } : null
}

/** `Set-Cookie` value that signs a user in. */
export function signInCookie(userId) {
  return `${DEMO_COOKIE}=${encodeURIComponent(userId)}; Path=/; HttpOnly; SameSite=Lax`
}

/** `Set-Cookie` value that signs the user out. */
export function signOutCookie() {
  return `${DEMO_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`
}

/** Reads an `application/x-www-form-urlencoded` body off a Node request stream (small forms only). */
export async function readForm(stream, limit = 4096) {
  let body = ''
  for await (const chunk of stream) {
    body += chunk
    if (body.length > limit) throw Object.assign(new Error('Form too large'), { status: 413, expose: true })
  }
  return new URLSearchParams(body)
}
