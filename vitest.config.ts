import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Two-core machines: a few forks keep loopback servers and Redis from starving each other.
    pool: 'forks',
    maxWorkers: 2,
    // The OpenAPI contract check: every answer any fake writes in any test is validated against
    // Polar's published schemas after its file (packages/testing/src/test-support/openapi-contract.ts).
    setupFiles: ['packages/testing/src/test-support/contract-setup.ts'],
    globalSetup: ['packages/testing/src/test-support/contract-global.ts'],
  },
})
