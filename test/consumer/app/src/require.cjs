// CommonJS: require() of the ESM-only packages (require(esm), Node >= 20.19), run with
// --enable-source-maps. Gets a session from the fake Polar, and reports where a stack trace from
// inside the core points: at its TypeScript sources, which must exist in the installed package.
const { existsSync } = require('node:fs')
const core = require('@polar-session/core')
const { redisStore } = require('@polar-session/core/redis')
const { startFakePolar } = require('@polar-session/testing')

async function main() {
  let stackFiles = []
  try {
    core.createPolarSessions({ accessToken: '' })
  } catch (error) {
    stackFiles = [...error.stack.matchAll(/\(?((?:file:\/\/)?\/[^():\s]+):\d+:\d+\)?/g)]
      .map((match) => match[1].replace(/^file:\/\//, ''))
      .filter((file) => file.includes('@polar-session/core'))
  }

  const fake = await startFakePolar({ seed: [{ externalId: 'usr_cjs', email: 'cjs@example.com' }] })
  const polar = core.createPolarSessions({ accessToken: fake.accessToken, baseUrl: fake.url })
  const session = await polar.getSession({ externalCustomerId: 'usr_cjs' })
  console.log(
    JSON.stringify({
      exports: {
        createPolarSessions: typeof core.createPolarSessions,
        isPolarSessionError: typeof core.isPolarSessionError,
        redisStore: typeof redisStore,
      },
      tokenPrefix: session.token.slice(0, 10),
      portalOnFake: session.customerPortalUrl.startsWith(`${fake.url}/`),
      stackFiles: stackFiles.map((file) => ({ file, exists: existsSync(file) })),
    }),
  )
  await polar.close()
  await fake.close()
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
