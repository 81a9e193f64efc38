import { PolarSessionError } from '../errors.js'
import { readCustomer } from './parse-customer.js'
import {
  isJsonObject,
  MalformedFieldError,
  readDate,
  readNullableDate,
  readNullableString,
  readString,
} from './json-fields.js'
import { portalUrlProblem } from './portal-url.js'
import type { PortalUrlPolicy, ReceivedSession } from './types.js'

/** `polar_` then visible ASCII: `polar_cst_…` (customer) or `polar_mst_…` (member) today. */
const TOKEN_SHAPE = /^polar_[\x21-\x7e]+$/

function malformed(problem: string, cause?: unknown): PolarSessionError {
  return new PolarSessionError(
    'polar_unavailable',
    `Polar answered POST /v1/customer-sessions/ with a malformed session: ${problem}. ` +
      'Is the base URL a Polar API (or a faithful fake)?',
    { status: 502, cause },
  )
}

/**
 * Strictly parses the body of a `201` from `POST /v1/customer-sessions/`. All nine fields must be
 * present with the right types; the customer is parsed strictly too; unknown fields are ignored.
 * The portal URL must pass `portalUrls` (see {@link portalUrlProblem}).
 *
 * @throws PolarSessionError `polar_unavailable` (502) naming the bad field. Never the value: the
 *   body holds the session token, the portal URL and the customer's email.
 */
export function parseSessionBody(text: string, sentAt: number, portalUrls: PortalUrlPolicy): ReceivedSession {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw malformed('the body is not JSON')
  }
  if (!isJsonObject(json)) throw malformed('the body is not a JSON object')
  try {
    const createdAt = readDate(json, 'created_at', '')
    const modifiedAt = readNullableDate(json, 'modified_at', '')
    const id = readString(json, 'id', '')
    const token = readString(json, 'token', '')
    if (!TOKEN_SHAPE.test(token)) {
      throw new MalformedFieldError('token', "does not look like a Polar session token (expected 'polar_…')")
    }
    const expiresAt = readDate(json, 'expires_at', '')
    if (expiresAt.getTime() <= createdAt.getTime()) {
      throw new MalformedFieldError('expires_at', 'is not after `created_at`')
    }
    const returnUrl = readNullableString(json, 'return_url', '')
    const customerPortalUrl = readString(json, 'customer_portal_url', '')
    const portalProblem = portalUrlProblem(customerPortalUrl, portalUrls)
    if (portalProblem !== null) throw new MalformedFieldError('customer_portal_url', portalProblem)
    const customerId = readString(json, 'customer_id', '')
    if (!Object.hasOwn(json, 'customer')) throw new MalformedFieldError('customer', 'is missing')
    const customer = readCustomer(json['customer'], 'customer')
    return {
      id,
      token,
      createdAt,
      modifiedAt,
      expiresAt,
      returnUrl,
      customerPortalUrl,
      customerId,
      customer,
      sentAt,
    }
  } catch (error) {
    if (error instanceof MalformedFieldError) {
      throw malformed(error.message, { field: error.field, problem: error.problem })
    }
    throw error
  }
}
