// Lazy attach (the default) and the attach share of the creation budget, over real HTTP.
import { describe } from 'vitest'
import { lazySuite } from '../../../../test/support/adapter-suites/lazy.js'
import { harness, MAJORS, useFixture } from '../test-support/fixtures.js'

const fx = useFixture()

describe.each(MAJORS)('lazy polarSession on $major ($version)', ({ express }) => {
  lazySuite(fx, harness(express))
})
