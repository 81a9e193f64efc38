// What every example's `main()` does: pick a Polar (the embedded fake unless
// POLAR_ACCESS_TOKEN is set), start the app on 127.0.0.1:PORT (3000 by default; a free port
// if that one is taken), say what to open and click, and close it all on Ctrl-C.

import { pathToFileURL } from 'node:url'
import { fakeOrRealPolar } from './fake-or-real.js'
import { createLogger } from './logger.js'
import { closeOnSignals } from './server-lifecycle.js'

function portFromEnv(value) {
  if (value === undefined || value === '') return 3000
  const port = Number(value)
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`PORT must be a port number, not '${value}'.`)
  return port
}

/**
 * `startDemoServer({ polar, port, host, fallbackToEphemeral, logger })` is the example's own
 * server factory; it resolves to `{ url, close }`.
 */
/**
 * Runs `main` when `moduleUrl` is the script node was started with (`node examples/x/server.js`),
 * and not when the file is imported (by the demo or the tests).
 */
export function runIfMain(moduleUrl, main) {
  if (process.argv[1] && moduleUrl === pathToFileURL(process.argv[1]).href) {
    main().catch((error) => {
      console.error(error)
      process.exitCode = 1
    })
  }
}

export async function runDemo({ framework, startDemoServer, env = process.env }) {
  const logger = createLogger({ name: `polar-session-${framework.toLowerCase().replace(/[^a-z]+/g, '-')}` })
  const port = portFromEnv(env.PORT)
  const backend = await fakeOrRealPolar({ env })
  let app
  try {
    app = await startDemoServer({ polar: backend.polar, port, host: '127.0.0.1', fallbackToEphemeral: true, logger })
  } catch (error) {
    await backend.close()
    throw error
  }

  // The banner goes to stdout as plain text, for the person at the terminal.
  console.log(`
  polar-session · ${framework} example

  Polar:  ${backend.describe}
  Open:   ${app.url}
  Then:   Sign in as Jane, then click "Manage billing": you land on the ${backend.mode === 'fake' ? 'fake ' : ''}Polar customer portal.
  Stop:   Ctrl-C
`)

  closeOnSignals(async () => {
    await app.close()
    await backend.close()
  }, logger)
  return { url: app.url, backend, close: app.close }
}
