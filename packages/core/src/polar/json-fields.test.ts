import { describe, expect, it } from 'vitest'
import { parseIsoDateTime } from './json-fields.js'

describe('parseIsoDateTime', () => {
  it.each([
    ['2026-08-22T10:00:00.123456Z', '2026-08-22T10:00:00.123Z'],
    ['2026-08-22T10:00:00Z', '2026-08-22T10:00:00.000Z'],
    ['2026-08-22T10:00:00.5+00:00', '2026-08-22T10:00:00.500Z'],
    ['2026-08-22T12:30:00-02:30', '2026-08-22T15:00:00.000Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
  ])('%s → %s', (input, iso) => {
    expect(parseIsoDateTime(input)?.toISOString()).toBe(iso)
  })

  it.each([
    '2026-02-30T10:00:00Z',
    '2025-02-29T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-08-22T24:00:00Z',
    '2026-08-22T10:60:00Z',
    '2026-08-22T10:00:00',
    '2026-08-22',
    '2026-08-22 10:00:00Z',
    'Sat, 22 Aug 2026 10:00:00 GMT',
    '1787392800',
    '',
  ])('rejects %j', (input) => {
    expect(parseIsoDateTime(input)).toBeNull()
  })
})
