import { describe, expect, it } from 'vitest'
import { USER_AGENT } from '../version.js'
import { sanitizeUserAgent } from './user-agent.js'

describe('user agent', () => {
  it('names the package, its version and node', () => {
    expect(USER_AGENT).toMatch(new RegExp(`^@polar-session/core/\\d+\\.\\d+\\.\\d+\\S* node/${process.versions.node}$`))
  })

  it('drops characters that are not legal in a header', () => {
    expect(sanitizeUserAgent('app/1.0\r\nX-Evil: 1 é')).toBe('app/1.0X-Evil: 1')
    expect(sanitizeUserAgent('\n')).toBe('@polar-session/core')
  })
})
