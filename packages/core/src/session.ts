import { redactEmail, redactToken, redactUrl } from './redact.js'
import type { PolarCustomer, PolarSession } from './types.js'

const inspectSymbol = Symbol.for('nodejs.util.inspect.custom')

/**
 * A frozen copy of the customer whose printed forms hide the email (personal data), so
 * logging `session.customer` is safe too. `customer.email` itself stays readable. The printed
 * forms live on the prototype: a copy costs its fields only, not two closures per customer.
 */
class ProtectedCustomer {
  constructor(customer: PolarCustomer) {
    Object.assign(this, customer)
    Object.freeze(this)
  }

  toJSON(): Record<string, unknown> {
    const customer = this as unknown as PolarCustomer
    return { ...customer, email: redactEmail(customer.email) }
  }

  [inspectSymbol](): string {
    return `PolarCustomer ${JSON.stringify(this.toJSON())}`
  }
}

/** The customer, copied and frozen, printed without its email (see {@link ProtectedCustomer}). */
export function protectCustomer(customer: PolarCustomer): PolarCustomer {
  return new ProtectedCustomer(customer) as unknown as PolarCustomer
}

/**
 * The {@link PolarSession} implementation. The secrets are plain readable properties (the
 * app needs them), but every printed form (`util.inspect`, `JSON.stringify`, `String()`)
 * is redacted, so a careless `log.info({ session })` leaks nothing. Its fields are declared
 * once, by `PolarSession`; the interface below merges them into the class.
 */
export interface CustomerSession extends PolarSession {}
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the constructor assigns every field of PolarSession, which the interface above merges in.
export class CustomerSession {
  constructor(fields: PolarSession) {
    Object.assign(this, fields, { customer: protectCustomer(fields.customer) })
    // Hide the secrets from enumeration too: `{ ...session }` and naive serialisers skip them.
    Object.defineProperty(this, 'token', { enumerable: false })
    Object.defineProperty(this, 'customerPortalUrl', { enumerable: false })
  }

  /** The redacted form used by `JSON.stringify` and loggers. */
  toJSON(): Record<string, unknown> {
    return {
      id: this.id,
      token: redactToken(this.token),
      expiresAt: this.expiresAt.toISOString(),
      createdAt: this.createdAt.toISOString(),
      customerPortalUrl: redactUrl(this.customerPortalUrl),
      returnUrl: this.returnUrl,
      customerId: this.customerId,
      customer: {
        id: this.customer.id,
        type: this.customer.type,
        email: redactEmail(this.customer.email),
        externalId: this.customer.externalId,
      },
    }
  }

  toString(): string {
    return `PolarSession(${this.id}, customer ${this.customerId}, expires ${this.expiresAt.toISOString()})`
  }

  [inspectSymbol](): string {
    return `PolarSession ${JSON.stringify(this.toJSON(), null, 2)}`
  }
}
