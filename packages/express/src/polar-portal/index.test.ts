import { describe } from 'vitest'
import { portalSuite } from '../../../../test/support/adapter-suites/portal.js'
import { harness, MAJORS, useFixture } from '../test-support/fixtures.js'

const fx = useFixture()

describe.each(MAJORS)('polarPortal on $major ($version)', ({ express }) => {
  portalSuite(fx, harness(express))
})
