// Which Polar the examples talk to.
//
// - By default: an embedded fake Polar (`@polar-session/testing`) on 127.0.0.1 with the demo
//   users already seeded as customers, so every example runs with no account and no network.
// - With POLAR_ACCESS_TOKEN set: the real Polar API (`POLAR_SERVER`: 'sandbox' by default, or
//   'production'). The demo users must then exist as customers of your organization, with
//   external ids usr_jane, usr_omar and usr_ada; otherwise /portal answers 404 customer_not_found.

import { DEMO_USERS } from './demo-users.js'

/**
 * Starts the fake Polar (unless `env.POLAR_ACCESS_TOKEN` is set) and returns:
 * - `polar`: connection options for `createPolarSessions` (`accessToken` and `baseUrl` or `server`)
 * - `mode`: 'fake' or 'real'; `fake`: the fake's handle in fake mode (tests read its stats)
 * - `describe`: one line saying which Polar it is (never the token)
 * - `close()`: stops the fake (a no-op for real Polar)
 */
export async function fakeOrRealPolar({ env = process.env, organizationSlug = 'demo' } = {}) {
  const accessToken = env.POLAR_ACCESS_TOKEN?.trim()
  if (accessToken) {
    const server = env.POLAR_SERVER ?? 'sandbox'
    if (server !== 'sandbox' && server !== 'production') {
      throw new Error(`POLAR_SERVER must be 'sandbox' or 'production', not '${server}'.`)
    }
    return {
      mode: 'real',
      polar: { accessToken, server },
      fake: null,
      describe:
        `Polar ${server} (POLAR_ACCESS_TOKEN is set). The demo users must exist there as customers ` +
        `with external ids ${DEMO_USERS.map((u) => u.id).join(', ')}.`,
      close: async () => {},
    }
  }

  // Loaded only in fake mode: an app talking to real Polar does not need the testing package.
  const { startFakePolar } = await import('@polar-session/testing')
  const fake = await startFakePolar({
    organizationSlug,
    seed: DEMO_USERS.map((user) => ({ externalId: user.id, email: user.email, name: user.fullName })),
  })
  return {
    mode: 'fake',
    polar: { accessToken: fake.accessToken, baseUrl: fake.url },
    fake,
    describe: `the embedded fake Polar at ${fake.url} (set POLAR_ACCESS_TOKEN to use real Polar)`,
    close: () => fake.close(),
  }
}
