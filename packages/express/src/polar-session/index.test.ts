import { PolarSessionError } from '@polar-session/core'
import type { Request } from 'express'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { sessionSuite, sessionOptionsSuite } from '../../../../test/support/adapter-suites/session.js'
import { APP_HOST, harness, MAJORS, useFixture } from '../test-support/fixtures.js'
import { polarSession } from './index.js'

const fx = useFixture()

describe.each(MAJORS)('polarSession on $major ($version)', ({ express }) => {
  const suite = harness(express)
  sessionSuite(fx, suite)

  it('sets req.polarSession on every request it lets through: null for anonymous ones', async () => {
    const app = express()
    app.use(polarSession(fx.polar(), { lazy: false }))
    app.get('/me', (req: Request, res) => {
      res.json({ set: 'polarSession' in req, id: req.polarSession === null ? null : req.polarSession?.id })
    })
    expect((await request(app).get('/me')).body).toEqual({ set: true, id: null })
    expect((await request(app).get('/me').set('x-user', 'usr_1')).body).toEqual({ set: true, id: expect.any(String) })
  })

  it('hands the PolarSessionError itself to the app error handler (required: true)', async () => {
    const { target, errors } = await suite.app(fx.polar(), { session: { required: true } })
    expect((await request(target).get('/me').set('x-user', 'usr_unknown')).status).toBe(404)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toBeInstanceOf(PolarSessionError)
  })

  it('refuses a bracketed parameter where the query parser makes it an object', async () => {
    const { target } = await suite.app(fx.polar(), { session: { returnToParam: 'return_to', required: true } })
    const res = await request(target)
      .get('/me?return_to[href]=https://evil.example')
      .set({ Host: APP_HOST, 'x-user': 'usr_1' })
    // Express 4's 'extended' parser builds an object (refused); Express 5's 'simple' parser
    // keeps `return_to[href]` as another name, so return_to is simply absent.
    if (express().get('query parser') === 'extended') {
      expect(res.status).toBe(400)
    } else {
      expect(res.status).toBe(200)
      expect(res.body.returnUrl).toBeNull()
    }
  })
})

sessionOptionsSuite(fx, polarSession)
