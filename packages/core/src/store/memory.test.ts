import { describe, expect, it } from 'vitest'
import { memoryStore, MemoryStore } from './memory.js'

describe('memoryStore', () => {
  it('is bounded by max, least recently used first', () => {
    const store = memoryStore({ max: 3 })
    for (const k of ['a', 'b', 'c']) store.set(k, k, 60_000)
    store.get('a')
    store.set('d', 'd', 60_000)
    expect(store.size).toBe(3)
    expect(store.get('b')).toBeUndefined()
    expect(store.get('a')).toBe('a')
  })

  it('honours TTLs and never stores with a TTL of 0 or less', async () => {
    const store = memoryStore()
    store.set('short', 'x', 20)
    store.set('zero', 'x', 0)
    store.set('negative', 'x', -5)
    expect(store.get('short')).toBe('x')
    expect(store.get('zero')).toBeUndefined()
    expect(store.get('negative')).toBeUndefined()
    await new Promise((resolve) => setTimeout(resolve, 40))
    expect(store.get('short')).toBeUndefined()
  })

  it('deletes, clears on close, and rejects a bad max', () => {
    const store = new MemoryStore({ max: 10 })
    store.set('a', '1', 1_000)
    store.delete('a')
    expect(store.get('a')).toBeUndefined()
    store.set('b', '2', 1_000)
    store.close()
    expect(store.size).toBe(0)
    expect(() => memoryStore({ max: 0 })).toThrow(/max must be a positive integer/)
  })
})
