import { PolarSessionError } from '@polar-session/core'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { portalSuite } from '../../../../test/support/adapter-suites/portal.js'
import { harness, MAJORS, useFixture } from '../test-support/fixtures.js'

const fx = useFixture()

describe.each(MAJORS)('polarPortal on $major ($version)', ({ Koa }) => {
  const suite = harness(Koa)
  portalSuite(fx, suite)

  it("emits Polar's 429, answered 503, on the app as a PolarSessionError", async () => {
    fx.fake.fail({ kind: 'status', status: 429, retryAfter: 30 })
    const { target, errors } = await suite.app(fx.polar({ maxRetryAfterMs: 1_000 }), { portal: {} })
    expect((await request(target).get('/portal').set('x-user', 'usr_1')).status).toBe(503)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toBeInstanceOf(PolarSessionError)
    expect(errors[0]).toMatchObject({ code: 'rate_limited' })
  })
})
