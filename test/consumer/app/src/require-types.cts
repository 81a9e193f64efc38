// A CommonJS TypeScript file (.cts) importing the ESM-only packages: fine under "module": "nodenext"
// (TypeScript >= 5.8 knows Node's require(esm)); "node16" and "node18" report TS1479 here.
import { createPolarSessions } from '@polar-session/core'
import { redisStore } from '@polar-session/core/redis'

export const fromCommonJs: [typeof createPolarSessions, typeof redisStore] = [createPolarSessions, redisStore]
