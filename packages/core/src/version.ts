/** This package's version; a test keeps it equal to package.json's. */
export const VERSION = '0.1.0'

/** The `User-Agent` sent to Polar: names the package, its version and the runtime. */
export const USER_AGENT = `@polar-session/core/${VERSION} node/${process.versions.node}`
