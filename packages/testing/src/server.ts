// The loopback HTTP server and the FakePolar handle tests hold.
//
// Lifecycle of a request: count it → take a fault → read the body (unless
// Polar would refuse it unread: body-reader.ts) → transport fault, or route it
// (router.ts) → wait the latency → write the answer (unless the client has
// gone or close() was called).
// Handlers are synchronous, so state changes happen in arrival order and
// counts stay exact under any concurrency.
//
// close() must never hang a test run: it destroys keep-alive sockets, hung
// requests and pending latency timers, then waits for the listener to close.

import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { gatewayError, internalError, rateLimited } from './answers.js'
import type { Answer } from './answers.js'
import { observeAnswer } from './answer-observer.js'
import { readBody } from './body-reader.js'
import { FakeClock, formatMicros } from './clock.js'
import { FaultQueue, isPayloadFault } from './faults.js'
import { PolarRateLimiter } from './rate-limit.js'
import { dispatch } from './router.js'
import { classify } from './routes.js'
import type { RouterDeps } from './request.js'
import { checkMs, resolveOptions } from './options.js'
import type { ResolvedOptions } from './options.js'
import { DEFAULT_SCOPES, FakeInputError, FakeOrganization, canonicalId } from './state.js'
import type { CustomerRecord, MemberRecord } from './state.js'
import { Stats } from './stats.js'
import type {
  FakeCustomer,
  FakeCustomerInput,
  FakeFault,
  FakeMember,
  FakePolar,
  FakePolarOptions,
  FakeSession,
  FakeStats,
} from './types.js'

/** Starts a fake Polar API on 127.0.0.1. */
export async function startFakePolar(options: FakePolarOptions = {}): Promise<FakePolar> {
  const resolved = resolveOptions(options)
  const fake = new FakePolarServer(resolved)
  await fake.listen(resolved.port)
  return fake
}

interface PendingDelay {
  timer: NodeJS.Timeout
  resolve: () => void
}

class FakePolarServer implements FakePolar {
  readonly organizationId: string
  readonly organizationSlug: string
  readonly accessToken: string
  private readonly org: FakeOrganization
  private readonly clock: FakeClock
  private readonly statsImpl = new Stats(() => this.sockets.size)
  private readonly faults = new FaultQueue()
  private readonly limiter: PolarRateLimiter | null
  private readonly server: Server
  private readonly sockets = new Set<Socket>()
  private readonly hung = new Set<ServerResponse>()
  private readonly delays = new Set<PendingDelay>()
  private readonly portalBaseOption: string | undefined
  private latencyMs: number
  private baseUrl = ''
  private closing: Promise<void> | null = null
  private readonly deps: RouterDeps

  constructor(o: ResolvedOptions) {
    this.organizationSlug = o.organizationSlug
    this.organizationId = o.organizationId
    this.portalBaseOption = o.portalBaseUrl
    this.latencyMs = o.latencyMs
    this.clock = new FakeClock(o.clockOffsetMs)
    this.limiter = o.rateLimit ? new PolarRateLimiter(o.rateLimit) : null
    this.org = new FakeOrganization(o.organizationId, o.organizationSlug, o.memberModel, o.sessionTtlMs, this.clock)
    const kind = o.accessToken?.startsWith('polar_pat_') ? 'personal' : 'organization'
    this.accessToken = this.org.addAccessToken(kind, DEFAULT_SCOPES, o.accessToken)
    for (const input of o.seed) this.addCustomer(input)

    this.deps = {
      org: this.org,
      stats: this.statsImpl,
      portalBaseUrl: () => this.portalBaseOption ?? this.baseUrl,
      limiter: () => this.limiter,
    }
    this.server = createServer({ noDelay: true }, (req, res) => this.onRequest(req, res))
    this.server.keepAliveTimeout = 5_000
    this.server.on('connection', (socket) => {
      this.sockets.add(socket)
      socket.once('close', () => this.sockets.delete(socket))
    })
  }

  listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(error)
      this.server.once('error', onError)
      this.server.listen({ port, host: '127.0.0.1', backlog: 4096 }, () => {
        this.server.off('error', onError)
        const address = this.server.address()
        if (address === null || typeof address === 'string') {
          reject(new Error('startFakePolar(): could not read the bound port'))
          return
        }
        this.baseUrl = `http://127.0.0.1:${address.port}`
        resolve()
      })
    })
  }

  get url(): string {
    return this.baseUrl
  }

  get stats(): FakeStats {
    return this.statsImpl
  }

  // ------------------------------------------------------------ request path

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    req.on('error', () => {})
    res.on('error', () => {})
    this.handle(req, res).catch(() => {
      // Never let a bug become a crash: answer 500 if the client is still there.
      this.write(res, internalError(), { method: req.method ?? 'GET', routeKey: 'unknown', fault: undefined })
    })
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET'
    const target = classify(method, req.url ?? '/')
    this.statsImpl.countRequest(target.routeKey, method)
    const fault = this.faults.take(target.routeKey)

    const read = await readBody(req)
    if (read.kind === 'aborted' || this.closing) return
    if (fault?.kind === 'hang') {
      this.hung.add(res)
      res.once('close', () => this.hung.delete(res))
      return
    }
    await this.delay()
    if (fault?.kind === 'reset') {
      resetSocket(req.socket)
      return
    }
    let answer: Answer
    if (fault?.kind === 'status') {
      answer =
        fault.status === 429
          ? rateLimited(fault.retryAfter ?? 1)
          : fault.status === 500
            ? internalError()
            : gatewayError(fault.status)
    } else {
      answer = dispatch(this.deps, {
        ...target,
        method,
        headers: req.headers,
        clientIp: req.socket.remoteAddress ?? '127.0.0.1',
        body: read.kind === 'ok' ? read.body : Buffer.alloc(0),
        payloadFault: fault && isPayloadFault(fault) ? fault : undefined,
        params: {},
      })
    }
    if (fault?.kind === 'malformed-json' && answer.status >= 200 && answer.status < 300 && answer.body !== '') {
      // Cut the JSON in half: the status and content-type promise a body the client cannot parse.
      answer = { ...answer, body: answer.body.slice(0, Math.floor(answer.body.length / 2)) }
    }
    if (answer.status === 429) this.statsImpl.countRateLimited()
    // The body was left unread: the connection cannot carry another request.
    if (read.kind === 'unread') answer = { ...answer, headers: { ...answer.headers, connection: 'close' } }
    this.write(res, answer, { method, routeKey: target.routeKey, fault: fault?.kind })
  }

  private delay(): Promise<void> {
    const ms = this.latencyMs
    if (ms <= 0 || this.closing) return Promise.resolve()
    return new Promise((resolve) => {
      const pending: PendingDelay = {
        timer: setTimeout(() => {
          this.delays.delete(pending)
          resolve()
        }, ms),
        resolve,
      }
      this.delays.add(pending)
    })
  }

  private write(
    res: ServerResponse,
    answer: Answer,
    request: { method: string; routeKey: string; fault: string | undefined },
  ): void {
    if (this.closing || res.destroyed || res.headersSent) return
    try {
      const body = Buffer.from(answer.body, 'utf8')
      const headers: Record<string, string> = { ...answer.headers }
      if (answer.status !== 204 && answer.status !== 304) headers['content-length'] = String(body.length)
      res.writeHead(answer.status, headers)
      res.end(answer.status === 204 ? undefined : body)
      observeAnswer({ ...request, status: answer.status, headers, body: request.method === 'HEAD' ? '' : answer.body })
    } catch {
      res.destroy()
    }
  }

  // ------------------------------------------------------------ control API

  addCustomer(input: FakeCustomerInput): FakeCustomer {
    if (typeof input !== 'object' || input === null) throw new FakeInputError('addCustomer(): input must be an object')
    if (typeof input.email !== 'string' || input.email === '')
      throw new FakeInputError('addCustomer(): email is required')
    return customerSnapshot(this.org.addCustomer({ ...input, email: input.email }))
  }

  deleteCustomer(idOrExternalId: { id?: string; externalId?: string }): boolean {
    const { id, externalId } = idOrExternalId ?? {}
    if (typeof id === 'string') return this.org.deleteCustomer(this.org.customersById.get(canonicalId(id)))
    if (typeof externalId === 'string') return this.org.deleteCustomer(this.org.customerByExternalId(externalId))
    throw new FakeInputError('deleteCustomer(): pass { id } or { externalId }')
  }

  addMember(
    customerId: string,
    input: { externalId?: string; email?: string; name?: string; id?: string },
  ): FakeMember {
    const customer = this.org.liveCustomer(canonicalId(String(customerId)))
    if (!customer) throw new FakeInputError(`addMember(): no live customer ${String(customerId)}`)
    return memberSnapshot(this.org.addMember(customer, input ?? {}))
  }

  deleteMember(customerId: string, memberId: string): boolean {
    const customer = this.org.customersById.get(canonicalId(String(customerId)))
    return customer ? this.org.deleteMember(customer, String(memberId)) : false
  }

  customers(): FakeCustomer[] {
    return [...this.org.customersById.values()].map(customerSnapshot)
  }

  sessions(): FakeSession[] {
    return this.org.sessions().map((s) => ({
      id: s.id,
      token: s.token,
      kind: s.kind,
      customerId: s.customerId,
      memberId: s.memberId,
      createdAt: formatMicros(s.createdAtUs),
      expiresAt: formatMicros(s.expiresAtUs),
      returnUrl: s.returnUrl,
    }))
  }

  addAccessToken(opts: { scopes?: string[]; kind?: 'organization' | 'personal' } = {}): string {
    const kind = opts.kind ?? 'organization'
    if (kind !== 'organization' && kind !== 'personal')
      throw new TypeError("addAccessToken(): kind must be 'organization' or 'personal'")
    const scopes = opts.scopes ?? [...DEFAULT_SCOPES]
    if (!Array.isArray(scopes) || scopes.some((s) => typeof s !== 'string')) {
      throw new TypeError('addAccessToken(): scopes must be an array of strings')
    }
    return this.org.addAccessToken(kind, scopes)
  }

  revokeAccessToken(token: string): boolean {
    return this.org.revokeAccessToken(token)
  }

  addAmbiguousExternalId(externalId: string): void {
    if (typeof externalId !== 'string' || externalId === '')
      throw new FakeInputError('addAmbiguousExternalId(): externalId must be a non-empty string')
    this.org.ambiguousExternalIds.add(externalId)
  }

  setLatency(ms: number): void {
    this.latencyMs = checkMs(ms, 'setLatency()', 0)
  }

  setClockOffset(ms: number): void {
    this.clock.offsetMs = checkMs(ms, 'setClockOffset()')
  }

  /** Lifetime of sessions created from now on. */
  setSessionTtl(ms: number): void {
    this.org.sessionTtlMs = checkMs(ms, 'setSessionTtl()', 1)
  }

  fail(fault: FakeFault, opts?: { times?: number; rate?: number; route?: string }): void {
    this.faults.add(fault, opts)
  }

  clearFaults(): void {
    this.faults.clear()
  }

  close(): Promise<void> {
    if (this.closing) return this.closing
    this.closing = new Promise<void>((resolve) => {
      this.server.close(() => resolve())
      for (const pending of this.delays) {
        clearTimeout(pending.timer)
        pending.resolve()
      }
      this.delays.clear()
      for (const res of this.hung) res.destroy()
      this.hung.clear()
      this.server.closeAllConnections()
      for (const socket of this.sockets) socket.destroy()
    })
    return this.closing
  }
}

/** A TCP RST where the platform allows it, so the client sees ECONNRESET. */
function resetSocket(socket: Socket): void {
  try {
    if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy()
    else socket.destroy()
  } catch {
    socket.destroy()
  }
}

function memberSnapshot(m: MemberRecord): FakeMember {
  return { id: m.id, externalId: m.externalId, email: m.email, name: m.name }
}

function customerSnapshot(c: CustomerRecord): FakeCustomer {
  return {
    id: c.id,
    externalId: c.externalId,
    email: c.email ?? '',
    name: c.name,
    type: c.type,
    members: c.members.filter((m) => !m.deleted).map(memberSnapshot),
    deleted: c.deletedAtUs !== null,
  }
}
