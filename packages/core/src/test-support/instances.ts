import type { FakePolar } from '@polar-session/testing'
import { createPolarSessions, type PolarSessions } from '../create-polar-sessions.js'
import type { PolarSessionsOptions } from '../options.js'
import type { Logger } from '../types.js'

/**
 * The instances of one test file, on its fake Polar: each logs into `logs` and starts from
 * `defaults`; `closeAll()` (in an `afterEach`) closes every one opened since the last call.
 */
export function instancesOn(
  fake: () => FakePolar,
  logs: { logger: Logger },
  defaults: Partial<PolarSessionsOptions<any>> = {},
): { sessions: (options?: Partial<PolarSessionsOptions<any>>) => PolarSessions; closeAll: () => Promise<void> } {
  const opened: PolarSessions[] = []
  return {
    sessions(options = {}) {
      const polar = createPolarSessions({
        accessToken: fake().accessToken,
        baseUrl: fake().url,
        logger: logs.logger,
        ...defaults,
        ...options,
      })
      opened.push(polar)
      return polar
    },
    closeAll: async () => {
      await Promise.all(opened.splice(0).map((polar) => polar.close()))
    },
  }
}
