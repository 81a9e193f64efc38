// Types only: the public entry points must resolve, with their types and those of the framework they
// name, under each tsconfig (nodenext, bundler, and node10 with "module": "commonjs"). Compiled with
// strict and skipLibCheck: false, so the shipped .d.ts files are checked too. @polar-session/koa is
// left to attw in `pnpm lint`: @types/koa and Express 5 in one node_modules clash over
// content-disposition's types, which says nothing about this project.
import type { PolarSession, PolarSessions, PolarSessionsOptions } from '@polar-session/core'
import type { RedisLikeClient, RedisStore, RedisStoreOptions } from '@polar-session/core/redis'
import type { PolarPortalOptions, polarSession } from '@polar-session/express'
import type { FakePolar, FakePolarOptions } from '@polar-session/testing'

export interface EveryEntryPoint {
  session: PolarSession
  sessions: PolarSessions
  options: PolarSessionsOptions
  redis: [RedisStore, RedisStoreOptions, RedisLikeClient]
  express: [PolarPortalOptions, typeof polarSession]
  testing: [FakePolar, FakePolarOptions]
}
