import { describe, expect, it } from 'vitest'
import { isCookieName, parseCookie, readCookie, readHeader } from './read-header.js'
import type { HttpRequestLike } from './read-header.js'

describe('readHeader', () => {
  it('reads a node/Express header object', () => {
    expect(readHeader({ headers: { authorization: 'Bearer x' } }, 'authorization')).toBe('Bearer x')
    expect(readHeader({ headers: {} }, 'authorization')).toBeUndefined()
  })

  it('joins several values the way Headers.get does (", "), and cookies with "; "', () => {
    expect(readHeader({ headers: { authorization: ['Bearer a', 'Bearer b'] } }, 'authorization')).toBe(
      'Bearer a, Bearer b',
    )
    expect(readHeader({ headers: { cookie: ['a=1', 'b=2'] } }, 'cookie')).toBe('a=1; b=2')
  })

  it('falls back to a case-insensitive match on hand-built objects', () => {
    expect(readHeader({ headers: { Authorization: 'Bearer x' } }, 'authorization')).toBe('Bearer x')
  })

  it('reads a Fetch API Request', () => {
    const request = new Request('http://127.0.0.1/', { headers: { Authorization: 'Bearer x', Cookie: 'a=1' } })
    expect(readHeader(request, 'authorization')).toBe('Bearer x')
    expect(readHeader(request, 'x-missing')).toBeUndefined()
  })

  it('reads a Koa context through ctx.headers and through ctx.request.headers', () => {
    const headers = { authorization: 'Bearer k' }
    expect(readHeader({ headers, request: { headers } } as HttpRequestLike, 'authorization')).toBe('Bearer k')
    expect(readHeader({ request: { headers } }, 'authorization')).toBe('Bearer k')
  })

  it('throws a TypeError for an object with no headers (e.g. a Hono context)', () => {
    expect(() => readHeader({ req: {} } as unknown as HttpRequestLike, 'authorization')).toThrow(TypeError)
    expect(() => readHeader(undefined as unknown as HttpRequestLike, 'authorization')).toThrow(/no headers/)
  })
})

describe('parseCookie', () => {
  it.each([
    ['session=abc', 'abc'],
    ['a=1; session=abc; b=2', 'abc'],
    ['  session  =  abc  ;b=2', 'abc'],
    ['session="abc"', 'abc'],
    ['session=a%2Eb', 'a.b'],
    ['session=%E0%A4%A', '%E0%A4%A'],
    ['session=a=b=c', 'a=b=c'],
    ['session=', ''],
    ['session=first; session=second', 'first'],
    ['session_id=x; session=y', 'y'],
    ['xsession=x; session=y', 'y'],
    ['flag; session=y', 'y'],
  ])('%s → %s', (header, value) => {
    expect(parseCookie(header, 'session')).toBe(value)
  })

  it.each(['', 'a=1', 'session_id=1', 'Session=1', 'session'])('%s has no "session" cookie', (header) => {
    expect(parseCookie(header, 'session')).toBeUndefined()
  })

  it('decodes %00 to a NUL, which the JWT resolver then refuses', () => {
    expect(parseCookie('t=a%00b', 't')).toBe('a\u0000b')
  })
})

describe('readCookie', () => {
  it('reads from every request shape', () => {
    expect(readCookie({ headers: { cookie: 'a=1; t=xyz' } }, 't')).toBe('xyz')
    expect(readCookie({ request: { headers: { cookie: 't=koa' } } }, 't')).toBe('koa')
    expect(readCookie(new Request('http://127.0.0.1/', { headers: { cookie: 't=fetch' } }), 't')).toBe('fetch')
    expect(readCookie({ headers: {} }, 't')).toBeUndefined()
  })
})

describe('isCookieName', () => {
  it.each(['session', '__session', '__Secure-authjs.session-token', 'a!#$%&*+-.^_`|~'])('accepts %s', (name) => {
    expect(isCookieName(name)).toBe(true)
  })
  it.each(['', 'a b', 'a=b', 'a;b', 'a"b', 'a,b', 'é', 5, undefined])('refuses %s', (name) => {
    expect(isCookieName(name)).toBe(false)
  })
})
