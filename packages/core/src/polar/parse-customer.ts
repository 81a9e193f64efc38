import { PolarSessionError } from '../errors.js'
import type { PolarCustomer } from '../types.js'
import {
  isJsonObject,
  MalformedFieldError,
  readBoolean,
  readDate,
  readNullableString,
  readObject,
  readString,
  type JsonObject,
} from './json-fields.js'

/**
 * Reads a Polar `Customer` (individual or team) at `prefix` (`''` for a top-level customer,
 * `'customer'` inside a session). Unknown fields are ignored. Throws {@link MalformedFieldError}.
 */
export function readCustomer(value: unknown, prefix: string): PolarCustomer {
  if (!isJsonObject(value)) {
    throw new MalformedFieldError(prefix === '' ? '(root)' : prefix, 'is not an object')
  }
  const at = (key: string): string => (prefix === '' ? key : `${prefix}.${key}`)
  const type = readString(value, 'type', prefix)
  if (type !== 'individual' && type !== 'team') {
    throw new MalformedFieldError(at('type'), "is not 'individual' or 'team'")
  }
  return {
    id: readString(value, 'id', prefix),
    type,
    // Required for individuals; nullable and optional for teams.
    email:
      type === 'individual' ? readString(value, 'email', prefix) : readNullableString(value, 'email', prefix, true),
    emailVerified: readBoolean(value, 'email_verified', prefix),
    name: readNullableString(value, 'name', prefix),
    // Not in the schema's `required` list: a missing external_id reads as null.
    externalId: readNullableString(value, 'external_id', prefix, true),
    organizationId: readString(value, 'organization_id', prefix),
    metadata: readMetadata(readObject(value, 'metadata', prefix), at('metadata')),
    createdAt: readDate(value, 'created_at', prefix),
  }
}

function readMetadata(obj: JsonObject, path: string): Readonly<Record<string, string | number | boolean>> {
  const entries: Array<[string, string | number | boolean]> = []
  for (const [key, item] of Object.entries(obj)) {
    if (typeof item === 'string' || typeof item === 'boolean' || (typeof item === 'number' && Number.isFinite(item))) {
      entries.push([key, item])
    } else {
      // The key is the developer's, not a secret, but it adds nothing: name the map only.
      throw new MalformedFieldError(path, 'has a value that is not a string, number or boolean')
    }
  }
  // fromEntries defines own properties, so a `__proto__` key stays an ordinary key.
  return Object.freeze(Object.fromEntries(entries))
}

/**
 * Strictly parses a Polar `Customer` object (already JSON-decoded): `id`, `type`
 * (`individual` | `team`), `email`, `email_verified`, `name`, `external_id`, `organization_id`,
 * `metadata`, `created_at`. Unknown fields are ignored.
 *
 * @throws PolarSessionError `polar_unavailable` (502) naming the bad field, never its value.
 */
export function parseCustomer(json: unknown): PolarCustomer {
  try {
    return readCustomer(json, '')
  } catch (error) {
    if (error instanceof MalformedFieldError) {
      throw new PolarSessionError('polar_unavailable', `Polar sent a malformed customer: ${error.message}.`, {
        status: 502,
        cause: { field: error.field, problem: error.problem },
      })
    }
    throw error
  }
}
