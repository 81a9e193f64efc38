// The one place that watches for leaked secrets in the end-to-end suites (faults, hostile input,
// isolation). It captures
// - every log line: `watch.logger` is a pino logger writing into memory, at debug level;
// - every error the apps see (their error middleware calls `watch.error()`) and every error a
//   test catches from the core (`watch.error()` too): message, stack and `util.inspect` form;
// - every response the apps send: `watch.listener(app)` wraps the node request listener and tees
//   the body and the headers (a 3xx's `Location` is skipped: sending the user to the portal is the
//   product; tests that hit redirects check the target themselves).
// `useSecretWatch()` then asserts, after the file's last test, that none of it contains the access
// token, a session token, a portal URL or a customer's email: raw, URL-encoded or JSON-escaped.
// The secrets come from the fakes the watch is told about (`watch.fake(fake)`): their access
// tokens, every session they issued and every customer and member email. Shape checks catch a
// token or a tokened portal URL from anywhere else.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import { inspect } from 'node:util'
import type { FakePolar } from '@polar-session/testing'
import { pino, type Logger } from 'pino'
import { afterAll, afterEach } from 'vitest'

/** Anything that looks like a Polar token, or a portal URL still carrying one. */
const SHAPES: ReadonlyArray<readonly [string, RegExp]> = [
  ['a Polar token', /polar_(?:oat|pat|cst|mst)_[A-Za-z0-9]{43}/],
  ['a portal URL with its token', /customer_session_token(?:=|%3D)(?!\[redacted\])[^&\s"']/i],
]

export type LogLine = Record<string, unknown> & { level: number; msg: string }

interface Capture {
  where: string
  text: string
}

function forms(secret: string): string[] {
  return [...new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)])]
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** What a caught error looks like in every printed form a handler or a logger might use. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return inspect(error, { depth: 6 })
  let json = ''
  try {
    json = JSON.stringify(error)
  } catch {
    json = '(not serialisable)'
  }
  return [error.message, error.stack ?? '', json, inspect(error, { depth: 6 })].join('\n')
}

export class SecretWatch {
  /** Raw log lines, as pino wrote them. */
  readonly logLines: string[] = []
  readonly captures: Capture[] = []
  /** A pino logger writing into `logLines`; give it to every instance under test. */
  readonly logger: Logger
  readonly #fakes = new Set<FakePolar>()
  readonly #secrets = new Map<string, string>()
  /** Every response the wrapped apps sent: status and `Retry-After`, for the 503 rule. */
  readonly responses: Array<{ status: number; retryAfter: unknown; where: string }> = []

  constructor() {
    this.logger = pino({ level: 'debug', base: null }, { write: (line: string) => void this.logLines.push(line) })
  }

  /**
   * Parsed log lines from index `from` on, optionally only those at `level` (pino numbers:
   * 20 debug, 30 info, 40 warn, 50 error).
   */
  logs(level?: number, from = 0): LogLine[] {
    const parsed = this.logLines.slice(from).map((line) => JSON.parse(line) as LogLine)
    return level === undefined ? parsed : parsed.filter((line) => line.level === level)
  }

  /** Secrets come from this fake: its tokens, the sessions it issues, its customers' emails. */
  fake(fake: FakePolar): void {
    this.#fakes.add(fake)
    this.harvest()
  }

  /** One more secret, e.g. an extra access token. */
  secret(value: string, label: string): void {
    if (value.length >= 6 && !this.#secrets.has(value)) this.#secrets.set(value, label)
  }

  /** Copies the fakes' current secrets (sessions, customers) into the watch. */
  harvest(): void {
    for (const fake of this.#fakes) {
      this.secret(fake.accessToken, 'the access token')
      for (const session of fake.sessions()) this.secret(session.token, 'a session token')
      for (const customer of fake.customers()) {
        if (customer.email !== '') this.secret(customer.email, 'a customer email')
        for (const member of customer.members) if (member.email) this.secret(member.email, 'a member email')
      }
    }
  }

  text(where: string, text: string): void {
    this.captures.push({ where, text })
  }

  error(where: string, error: unknown): void {
    this.text(`${where}: error`, describeError(error))
  }

  /** Wraps a node request listener so every response's headers and body are captured. */
  listener(handler: RequestListener): RequestListener {
    return (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = []
      const keep = (chunk: unknown, encoding?: unknown): void => {
        if (typeof chunk === 'string')
          chunks.push(Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8'))
        else if (chunk instanceof Uint8Array) chunks.push(Buffer.from(chunk))
      }
      const write = res.write.bind(res) as (...args: unknown[]) => boolean
      const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse
      res.write = ((chunk: unknown, ...rest: unknown[]) => {
        keep(chunk, rest[0])
        return write(chunk, ...rest)
      }) as ServerResponse['write']
      res.end = ((chunk?: unknown, ...rest: unknown[]) => {
        if (typeof chunk !== 'function') keep(chunk, rest[0])
        return end(chunk, ...rest)
      }) as ServerResponse['end']
      res.once('finish', () => {
        this.responses.push({
          status: res.statusCode,
          retryAfter: res.getHeader('retry-after'),
          where: `${req.method} ${req.url?.slice(0, 80)}`,
        })
        const headers = { ...res.getHeaders() }
        if (res.statusCode >= 300 && res.statusCode < 400) delete headers['location']
        const where = `response ${res.statusCode} to ${req.method} ${req.url?.slice(0, 80)}`
        this.text(where, `${JSON.stringify(headers)}\n${Buffer.concat(chunks).toString('utf8')}`)
      })
      handler(req, res)
    }
  }

  /** Where secrets turned up, described without repeating them. */
  leaks(): string[] {
    this.harvest()
    const labels = new Map<string, string>()
    for (const [secret, label] of this.#secrets) for (const form of forms(secret)) labels.set(form, label)
    const found: string[] = []
    const haystacks = [...this.logLines.map((text, i) => ({ where: `log line ${i + 1}`, text })), ...this.captures]
    // One alternation of every known secret: one pass over each text, longest forms first.
    const known =
      labels.size === 0
        ? null
        : new RegExp(
            [...labels.keys()]
              .sort((a, b) => b.length - a.length)
              .map(escapeRegExp)
              .join('|'),
            'g',
          )
    for (const { where, text } of haystacks) {
      const kinds = new Set<string>()
      for (const match of known === null ? [] : text.matchAll(known)) kinds.add(labels.get(match[0]) ?? 'a secret')
      for (const [label, shape] of SHAPES) if (shape.test(text)) kinds.add(label)
      if (kinds.size > 0) found.push(`${where}: ${[...kinds].join(', ')}`)
    }
    return found
  }

  /** Throws when anything captured so far holds a secret. */
  assertClean(): void {
    const found = this.leaks()
    if (found.length > 0) {
      throw new Error(`secrets leaked in ${found.length} place(s):\n${found.slice(0, 20).join('\n')}`)
    }
  }
}

/**
 * A watch for the whole file: harvests the fakes' secrets after every test (so even sessions a
 * fake forgets are known) and asserts, after the last test, that nothing captured leaks one.
 */
export function useSecretWatch(): SecretWatch {
  const watch = new SecretWatch()
  afterEach(() => watch.harvest())
  afterAll(() => {
    // An empty watch would prove nothing: every suite using it logs and answers something.
    if (watch.logLines.length === 0 && watch.captures.length === 0) throw new Error('the secret watch captured nothing')
    watch.assertClean()
  })
  return watch
}
