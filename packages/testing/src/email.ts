// Email addresses as Polar validates them in CustomerCreate and MemberOwnerCreate:
// EmailStrDNS (kit/email.py) is pydantic's EmailStr, whose syntax check is
// email-validator's with globally deliverable domains, then a second pass with
// check_deliverability=True, which asks DNS whether the domain accepts mail.
//
// The syntax check here is loose (the common mistakes, email-validator's
// words) but exact about special-use names: `.test`, `.invalid`, `.local`,
// `.localhost`, `.onion` and `.arpa` never pass. The fake asks no DNS: it
// knows the answers for IANA's example domains (example.com, .net and .org
// publish a null MX; their subdomains and the `.example` TLD do not exist) and
// treats every other domain as one that accepts mail.

import { checkString } from './validation.js'
import type { Checked, Loc } from './validation.js'

/** email-validator's SPECIAL_USE_DOMAIN_NAMES. */
const SPECIAL_USE = ['arpa', 'invalid', 'local', 'localhost', 'onion', 'test']
const NULL_MX = new Set(['example.com', 'example.net', 'example.org'])

/** EmailStrDNS: the syntax, then (modelled) deliverability. Returns the address as given. */
export function checkDeliverableEmail(value: unknown, loc: Loc): Checked<string> {
  const checked = checkEmail(value, loc)
  if (!checked.ok) return checked
  const email = checked.value
  const domain = email.slice(email.lastIndexOf('@') + 1).toLowerCase()
  let reason: string | null = null
  if (NULL_MX.has(domain)) reason = `The domain name ${domain} does not accept email.`
  else if (domain === 'example' || domain.endsWith('.example') || [...NULL_MX].some((d) => domain.endsWith(`.${d}`))) {
    reason = `The domain name ${domain} does not exist.`
  }
  if (reason === null) return checked
  // kit/email.py's PydanticCustomError; EmailStr has already lower-cased the domain.
  const normalized = `${email.slice(0, email.lastIndexOf('@'))}@${domain}`
  return {
    ok: false,
    error: {
      type: 'value_error',
      loc,
      msg: `${normalized} is not a valid email address: ${reason}`,
      input: value,
      ctx: { email: normalized, reason },
    },
  }
}

/** pydantic's EmailStr: a loose check of the syntax, with email-validator's wording. */
export function checkEmail(value: unknown, loc: Loc): Checked<string> {
  const checked = checkString(value, loc)
  if (!checked.ok) return checked
  const email = checked.value
  const fail = (why: string): Checked<string> => ({
    ok: false,
    error: {
      type: 'value_error',
      loc,
      msg: `value is not a valid email address: ${why}`,
      input: value,
      ctx: { reason: why },
    },
  })
  const at = email.lastIndexOf('@')
  if (at < 0) return fail('An email address must have an @-sign.')
  if (at === 0) return fail('There must be something before the @-sign.')
  const domain = email.slice(at + 1)
  if (domain === '') return fail('There must be something after the @-sign.')
  // Control characters (NUL included) are shown by code point, as email-validator does.
  const controls = (part: string) =>
    [...new Set(part.match(/\p{Cc}/gu) ?? [])]
      .sort()
      .map((c) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`)
  const badLocal = controls(email.slice(0, at))
  if (badLocal.length > 0)
    return fail(`The email address contains invalid characters before the @-sign: ${badLocal.join(', ')}.`)
  const badDomain = controls(domain)
  if (badDomain.length > 0)
    return fail(`The part after the @-sign contains invalid characters: ${badDomain.join(', ')}.`)
  if (!domain.includes('.')) return fail('The part after the @-sign is not valid. It should have a period.')
  if (/\s/.test(email)) return fail('The email address contains invalid characters.')
  const lower = domain.toLowerCase().replace(/\.$/, '')
  if (SPECIAL_USE.some((d) => lower === d || lower.endsWith(`.${d}`))) {
    return fail('The part after the @-sign is a special-use or reserved name that cannot be used with email.')
  }
  return checked
}
