import { describe } from 'vitest'
import { portalSuite } from '../../../../test/support/adapter-suites/portal.js'
import { harness, MAJORS, useFixture } from '../fixtures.test-helpers.js'

const fx = useFixture()

describe.each(MAJORS)('polarPortal on $major ($version)', () => {
  portalSuite(fx, harness())
})
