import { describe, expect, it } from 'vitest'
import { defaultUserAgent, sanitizeUserAgent } from './user-agent.js'

describe('user agent', () => {
  it('names the package, its version and node', () => {
    expect(defaultUserAgent('0.1.0')).toBe(`@polar-session/core/0.1.0 node/${process.versions.node}`)
  })

  it('drops characters that are not legal in a header', () => {
    expect(sanitizeUserAgent('app/1.0\r\nX-Evil: 1 é')).toBe('app/1.0X-Evil: 1')
    expect(sanitizeUserAgent('\n')).toBe('@polar-session/core')
  })
})
