import { MemoryStore } from '../store/memory.js'
import type { SessionStore } from '../types.js'
import { MemoryEntryStore, type EntryStore } from './entry-store.js'
import { SharedEntryStore, type SharedEntryStoreOptions } from './shared-entry-store.js'

/** Picks the fast path for the built-in memory store, the shared-store layers otherwise. */
export function toEntryStore(store: SessionStore, options: SharedEntryStoreOptions): EntryStore {
  return store instanceof MemoryStore ? new MemoryEntryStore(store) : new SharedEntryStore(store, options)
}
