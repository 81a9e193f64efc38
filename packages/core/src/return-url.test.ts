import { describe, expect, it } from 'vitest'
import { PolarSessionError } from './errors.js'
import { checkReturnUrl, checkReturnUrlShape, toOriginSet } from './return-url.js'

const allowed = toOriginSet(['https://app.example.com'])
const base = 'https://app.example.com'

function rejects(value: unknown, origins = allowed, withBase: string | undefined = base): PolarSessionError {
  try {
    checkReturnUrl(value, origins, withBase)
  } catch (error) {
    expect(error).toBeInstanceOf(PolarSessionError)
    expect((error as PolarSessionError).code).toBe('invalid_return_url')
    expect((error as PolarSessionError).status).toBe(400)
    return error as PolarSessionError
  }
  throw new Error(`accepted ${String(value)}`)
}

describe('checkReturnUrl', () => {
  it('normalises allowed URLs and resolves relative paths against the base', () => {
    expect(checkReturnUrl('https://app.example.com', allowed)).toBe('https://app.example.com/')
    expect(checkReturnUrl('/account?tab=billing', allowed, base)).toBe('https://app.example.com/account?tab=billing')
    expect(checkReturnUrl('/%2F%2Fevil.example', allowed, base)).toBe('https://app.example.com/%2F%2Fevil.example')
    expect(checkReturnUrlShape('https://other.example/x')).toBe('https://other.example/x')
  })

  it('refuses every URL when no origin is allowed: no path accepts "any origin"', () => {
    for (const value of ['https://app.example.com/account', 'https://other.example/x']) {
      expect(() => checkReturnUrl(value, null)).toThrow(/needs allowedReturnOrigins/)
    }
  })

  it.each([
    'https://evil.example/',
    '//evil.example',
    '///evil.example',
    'https:evil.example',
    'https:/evil.example',
    'https:///evil.example',
    'http:\\\\evil.example',
    'javascript:alert(1)',
    'JaVaScRiPt:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'https://app.example.com@evil.example',
    'https://user:pass@app.example.com/',
    '/\\evil.example',
    '\\\\evil.example',
    ' https://evil.example',
    'https://app.example.com\t.evil.example',
    'http://app.example.com/',
    'ftp://app.example.com/',
    `/${'a'.repeat(2100)}`,
    '',
    42,
  ])('refuses %s', (value) => {
    rejects(value)
  })

  it('refuses relative paths without a base, and paths not from the root', () => {
    expect(() => checkReturnUrl('/account', allowed)).toThrow(PolarSessionError)
    rejects('account')
    rejects('./account')
    rejects('?x=1')
  })

  it('validates allowedReturnOrigins entries', () => {
    expect(() => toOriginSet(['app.example.com'])).toThrow(TypeError)
    expect(() => toOriginSet(['javascript:alert(1)'])).toThrow(/http or https/)
    expect([...toOriginSet(['https://a.example/path', 'http://localhost:3000'])]).toEqual([
      'https://a.example',
      'http://localhost:3000',
    ])
  })
})
