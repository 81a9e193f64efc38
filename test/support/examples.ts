// Typed access to the JavaScript examples (examples/*/server.js and examples/shared/*), for
// the end-to-end tests. The examples are plain ESM without type declarations, so they are
// loaded through a computed import and given the shape they document.
import { Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import type { FakePolar } from '@polar-session/testing'

/** How an example reaches Polar: what `fakeOrRealPolar()` returns as `polar`. */
export interface PolarConnection {
  accessToken: string
  baseUrl?: string
  server?: 'production' | 'sandbox'
}

/** `fakeOrRealPolar()` of examples/shared/fake-or-real.js. */
export interface PolarBackend {
  mode: 'fake' | 'real'
  polar: PolarConnection
  fake: FakePolar | null
  describe: string
  close(): Promise<void>
}

/** What each examples/<name>/server.js exports. */
export interface ExampleModule {
  createDemoApp(options: { polar: PolarConnection; publicUrl: string; logger?: unknown }): {
    app: unknown
    close(): Promise<void>
  }
  startDemoServer(options: {
    polar: PolarConnection
    port?: number
    host?: string
    fallbackToEphemeral?: boolean
    logger?: unknown
  }): Promise<{ url: string; close(): Promise<void> }>
  main(): Promise<unknown>
}

export const EXAMPLE_NAMES = ['express', 'koa', 'fastify', 'hono', 'node-http'] as const
export type ExampleName = (typeof EXAMPLE_NAMES)[number]

const examplesDir = new URL('../../examples/', import.meta.url)

async function load<T>(relative: string): Promise<T> {
  return (await import(fileURLToPath(new URL(relative, examplesDir)))) as T
}

export function loadExample(name: ExampleName): Promise<ExampleModule> {
  return load<ExampleModule>(`${name}/server.js`)
}

/** The embedded fake Polar with the demo users seeded (the examples' default). */
export async function startDemoFake(): Promise<PolarBackend & { fake: FakePolar }> {
  const { fakeOrRealPolar } = await load<{
    fakeOrRealPolar(o: { env: Record<string, string> }): Promise<PolarBackend>
  }>('shared/fake-or-real.js')
  const backend = await fakeOrRealPolar({ env: {} })
  if (backend.fake === null) throw new Error('expected the fake Polar')
  return backend as PolarBackend & { fake: FakePolar }
}

/** A pino logger of examples/shared/logger.js writing JSON lines into `lines`, at debug level. */
export async function captureLogger(name: string): Promise<{ logger: unknown; lines: string[] }> {
  const { createLogger } = await load<{ createLogger(o: object): unknown }>('shared/logger.js')
  const lines: string[] = []
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(
        ...String(chunk)
          .split('\n')
          .filter((line) => line !== ''),
      )
      done()
    },
  })
  return { logger: createLogger({ name, level: 'debug', destination }), lines }
}

/** The demo users of examples/shared/demo-users.js. */
export async function demoUsers(): Promise<
  ReadonlyArray<{ id: string; name: string; fullName: string; email: string }>
> {
  return (
    await load<{ DEMO_USERS: ReadonlyArray<{ id: string; name: string; fullName: string; email: string }> }>(
      'shared/demo-users.js',
    )
  ).DEMO_USERS
}
