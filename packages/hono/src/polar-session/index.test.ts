import { PolarSessionError } from '@polar-session/core'
import { describe, expect, it } from 'vitest'
import { sessionSuite, sessionOptionsSuite } from '../../../../test/support/adapter-suites/session.js'
import { harness, honoApp, MAJORS, useFixture } from '../test-support/fixtures.js'
import { polarSession } from './index.js'

const fx = useFixture()

describe.each(MAJORS)('polarSession on $major ($version)', () => {
  sessionSuite(fx, harness())

  it('gives identify the Hono context, with what earlier middleware set', async () => {
    const seen: unknown[] = []
    const polar = fx.polar({
      identify: (c) => {
        seen.push(c)
        const user = c.get('user' as never) as string | undefined
        return user ? { externalCustomerId: user } : null
      },
    })
    let context: unknown
    const app = honoApp()
    app.use(async (c, next) => {
      context = c
      if (c.req.header('x-auth') === 'jane') c.set('user' as never, 'usr_1' as never)
      await next()
    })
    app.use(polarSession(polar, { lazy: false }))
    app.get('/me', (c) => c.json({ id: c.get('polarSession')?.id ?? null }))
    const res = await app.request('/me', { headers: { 'x-auth': 'jane' } })
    expect(await res.json()).toEqual({ id: expect.any(String) })
    expect(seen).toEqual([context])
  })

  it('throws HTTPExceptions that carry the PolarSessionError and answer with its status', async () => {
    const errors: unknown[] = []
    const app = honoApp(errors)
    app.use(polarSession(fx.polar(), { required: true }))
    app.get('/me', (c) => c.text('no'))
    const res = await app.request('/me')
    expect([res.status, res.headers.get('www-authenticate'), res.headers.get('cache-control')]).toEqual([
      401,
      'Bearer',
      'no-store',
    ])
    expect(await res.json()).toEqual({ error: 'unauthenticated', message: 'Sign in to manage your billing.' })
    expect(errors).toHaveLength(1)
    expect(errors[0]).toBeInstanceOf(PolarSessionError)
  })
})

sessionOptionsSuite(fx, polarSession)
