// Starting and stopping the examples' HTTP servers: listen on 127.0.0.1 (falling back to a free
// port when the wanted one is taken), close cleanly (keep-alive sockets included), and shut
// everything down on Ctrl-C.

import { createServer } from 'node:http'
import { createLogger } from './logger.js'

function listenOnce(server, port, host) {
  return new Promise((resolve, reject) => {
    const onError = (error) => {
      server.off('listening', onListening)
      reject(error)
    }
    const onListening = () => {
      server.off('error', onError)
      resolve()
    }
    server.once('error', onError)
    server.once('listening', onListening)
    server.listen(port, host)
  })
}

/**
 * Starts a node:http server on `host:port` and only then builds its request handler, with the
 * server's own URL (`buildHandler(url)`: the app needs its origin for Polar's return URL).
 * With `fallbackToEphemeral`, a taken port means "any free port" instead of an error.
 * Resolves to `{ server, url }`.
 */
export async function startHttpServer({
  port = 0,
  host = '127.0.0.1',
  fallbackToEphemeral = false,
  logger,
  buildHandler,
}) {
  const server = createServer()
  try {
    await listenOnce(server, port, host)
  } catch (error) {
    if (error.code !== 'EADDRINUSE' || !fallbackToEphemeral || port === 0) throw error
    logger?.warn({ port }, `port ${port} is taken; using a free port instead`)
    await listenOnce(server, 0, host)
  }
  const { port: actualPort } = server.address()
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`
  try {
    server.on('request', await buildHandler(url))
  } catch (error) {
    await closeHttpServer(server)
    throw error
  }
  return { server, url }
}

/**
 * Stops accepting connections, closes idle keep-alive sockets at once, and cuts the
 * remaining ones after `graceMs`, so close() never waits on a browser's open connection.
 */
export function closeHttpServer(server, graceMs = 1000) {
  if (!server.listening) return Promise.resolve()
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => server.closeAllConnections(), graceMs)
    timer.unref()
    server.close((error) => {
      clearTimeout(timer)
      if (error) reject(error)
      else resolve()
    })
    server.closeIdleConnections()
  })
}

/**
 * Runs `close()` on the first Ctrl-C (SIGINT) or SIGTERM; a second one exits at once.
 * The process then ends by itself, because close() released everything it held.
 */
export function closeOnSignals(close, logger) {
  let closing = false
  const onSignal = async (signal) => {
    if (closing) {
      logger.warn({ signal }, 'second signal: exiting now')
      process.exit(130)
    }
    closing = true
    logger.info({ signal }, 'shutting down')
    try {
      await close()
      logger.info({}, 'closed cleanly')
    } catch (error) {
      logger.error({ err: error }, 'error while shutting down')
      process.exitCode = 1
    }
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
}

/**
 * The portal's back link, `${publicUrl}/account`. Required on purpose: its origin is also the
 * only one a `?return_to=` may point to (without it, polar-session would have no origin to
 * check return URLs against).
 */
export function accountUrl(publicUrl) {
  if (typeof publicUrl !== 'string' || !URL.canParse(publicUrl)) {
    throw new TypeError("createDemoApp: publicUrl is required: the app's own origin, such as http://127.0.0.1:3000.")
  }
  return new URL('/account', publicUrl).href
}

/**
 * Starts one of the example apps: builds it once its public URL is known (the pages link to
 * themselves), serves it on `host:port` (0: any free port), and resolves to
 * `{ url, server, sessions, close }`. `toListener(app)` turns the framework's app into a
 * node:http request listener; `loggerName` names the default logger.
 */
export async function startDemoApp({
  createDemoApp,
  toListener,
  loggerName,
  polar,
  port = 0,
  host = '127.0.0.1',
  fallbackToEphemeral = false,
  logger = createLogger({ name: loggerName }),
}) {
  let demo
  const { server, url } = await startHttpServer({
    port,
    host,
    fallbackToEphemeral,
    logger,
    buildHandler: (publicUrl) => {
      demo = createDemoApp({ polar, publicUrl, logger })
      return toListener(demo.app)
    },
  })
  return {
    url,
    server,
    sessions: demo.sessions,
    close: async () => {
      await closeHttpServer(server)
      await demo.close()
    },
  }
}
