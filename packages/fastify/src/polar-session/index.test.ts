import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { sessionSuite } from '../../../../test/support/adapter-suites/session.js'
import { appMaker, harness, MAJORS, useFixture } from '../test-support/fixtures.js'
import { polarSession } from './index.js'

const fx = useFixture()

describe.each(MAJORS)('polarSession on $major ($version)', ({ Fastify }) => {
  sessionSuite(fx, harness(Fastify))

  const start = appMaker(Fastify)

  it('gives identify the Fastify request, after onRequest hooks and the body parser', async () => {
    const seen: unknown[] = []
    const polar = fx.polar({
      identify: (req) => {
        seen.push(req)
        const user = (req as unknown as { user?: string }).user ?? (req.body as { user?: string } | undefined)?.user
        return user ? { externalCustomerId: user } : null
      },
    })
    const { target } = await start((app) => {
      // Where authentication plugins set request.user.
      app.addHook('onRequest', async (req) => {
        if (req.headers['x-auth'] === 'jane') Object.assign(req, { user: 'usr_1' })
      })
      app.register(polarSession, { polar, lazy: false })
      app.all('/me', async (req) => ({ same: seen.at(-1) === req, id: req.polarSession?.id ?? null }))
    })
    const byHook = await request(target).get('/me').set('x-auth', 'jane')
    expect(byHook.body).toEqual({ same: true, id: expect.any(String) })
    const byBody = await request(target).post('/me').send({ user: 'usr_1' })
    expect(byBody.body).toEqual({ same: true, id: byHook.body.id })
  })

  it('decorates the requests of its own context only, with null until it runs', async () => {
    const polar = fx.polar()
    const before: unknown[] = []
    const { target } = await start((app) => {
      app.get('/outside', async (req) => ({
        session: req.polarSession,
        error: req.polarSessionError,
        lazy: req.getPolarSession,
      }))
      app.register(async (scope) => {
        await scope.register(polarSession, { polar })
        scope.addHook(
          'onRequest',
          async (req) => void before.push([req.polarSession, req.polarSessionError, req.getPolarSession]),
        )
        scope.get('/inside', async (req) => ({ lazy: typeof req.getPolarSession }))
      })
    })
    // Encapsulation: the parent context has no such properties (undefined, left out of the JSON).
    expect((await request(target).get('/outside').set('x-user', 'usr_1')).body).toEqual({})
    expect((await request(target).get('/inside').set('x-user', 'usr_1')).body).toEqual({ lazy: 'function' })
    expect(before).toEqual([[null, null, null]])
    expect(fx.fake.stats.total).toBe(0)
  })

  it('registers in several contexts of one app: attach app-wide, redirect under /billing', async () => {
    const polar = fx.polar()
    const { target } = await start((app) => {
      app.register(polarSession, { polar })
      app.get('/page', async (req) => ({ lazy: typeof req.getPolarSession }))
      app.register(async (billing) => {
        await billing.register(polarSession, { polar, redirect: true })
        billing.get('/billing', async () => 'not reached')
      })
    })
    expect((await request(target).get('/page').set('x-user', 'usr_1')).body).toEqual({ lazy: 'function' })
    const billing = await request(target).get('/billing').set('x-user', 'usr_1')
    expect(billing.status).toBe(303)
    expect(billing.headers['location']).toBe(
      (await polar.getSession({ externalCustomerId: 'usr_1' })).customerPortalUrl,
    )
  })

  describe('options, checked when the app starts', () => {
    const refused = async (options: unknown) => {
      const app = Fastify()
      app.register(polarSession, options as never)
      const error = await app.ready().then(
        () => null,
        (e: unknown) => e,
      )
      await app.close()
      return error
    }

    it('reject unknown keys, bad values and a missing or wrong instance with a TypeError', async () => {
      const polar = fx.polar()
      expect(await refused({ polar, retunToParam: 'return_to' })).toMatchObject({
        name: 'TypeError',
        message: 'polarSession: unknown option "retunToParam"; did you mean returnToParam?',
      })
      expect(await refused({ polar, lazy: 'yes' })).toMatchObject({
        message: expect.stringMatching(/lazy must be true or false/),
      })
      expect(await refused({ polar, minRemainingMs: -1 })).toMatchObject({
        message: expect.stringMatching(/minRemainingMs/),
      })
      expect(await refused({ polar, returnToParam: '' })).toMatchObject({
        message: expect.stringMatching(/returnToParam/),
      })
      expect(await refused({ lazy: false })).toMatchObject({
        message: expect.stringMatching(/register it with \{ polar \}/),
      })
      expect(await refused({ polar: {} })).toMatchObject({ message: expect.stringMatching(/createPolarSessions/) })
      expect(await refused({ polar, lazy: true, redirect: false, required: false })).toBeNull()
    })
  })
})
