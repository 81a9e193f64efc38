// Preload (node --require) for the "without OpenTelemetry" side of the micro-benchmark: makes
// @opentelemetry/* unresolvable, as in an app that does not install it. In this repository the
// api is installed for the tests, so the core would otherwise find it. The core loads the api
// with a CommonJS require, which is what this hooks.
const Module = require('node:module')

const resolve = Module._resolveFilename
Module._resolveFilename = function (request, ...rest) {
  if (typeof request === 'string' && request.startsWith('@opentelemetry/')) {
    const error = new Error(`Cannot find module '${request}' (hidden by bench/lib/hide-otel.cjs)`)
    error.code = 'MODULE_NOT_FOUND'
    throw error
  }
  return resolve.call(this, request, ...rest)
}
