import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Two-core machines: a few forks keep loopback servers and Redis from starving each other.
    pool: 'forks',
    maxWorkers: 2,
  },
})
