import { readBodyCapped } from './read-body.js'

/** One HTTP request to Polar. */
export interface AttemptRequest {
  url: string
  method: 'POST'
  headers: Record<string, string>
  body: string
}

/** What one attempt came to. The external signal aborting is not an outcome: it rejects. */
export type AttemptOutcome =
  | {
      kind: 'response'
      status: number
      headers: Headers
      /** The whole body as text, or `null` when it was larger than the cap. */
      body: string | null
      /**
       * `Date.now()` just before the request was sent: the session's lifetime is counted from
       * here, so a slow answer can only shorten it, never stretch it past Polar's expiry.
       */
      sentAt: number
    }
  | { kind: 'timeout' }
  | { kind: 'network'; error: unknown }

const noop = (): void => {}

/**
 * Sends one request with its own timeout covering the whole exchange (headers and body). On
 * timeout the in-flight fetch is aborted, which closes its socket. The timer and the listener on
 * `signal` are removed before this settles.
 *
 * @throws `signal.reason` when `signal` aborts.
 */
export async function sendAttempt(
  fetchFn: typeof globalThis.fetch,
  request: AttemptRequest,
  timeoutMs: number,
  maxBodyBytes: number,
  signal: AbortSignal | undefined,
): Promise<AttemptOutcome> {
  signal?.throwIfAborted()
  const controller = new AbortController()
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    controller.abort(new DOMException(`Polar did not answer within ${timeoutMs} ms`, 'TimeoutError'))
  }, timeoutMs)
  const onExternalAbort = (): void => controller.abort(signal?.reason)
  signal?.addEventListener('abort', onExternalAbort, { once: true })

  const failed = (error: unknown): AttemptOutcome => {
    if (signal?.aborted) throw signal.reason
    if (timedOut) return { kind: 'timeout' }
    return { kind: 'network', error }
  }

  const sentAt = Date.now()
  try {
    let response: Response
    try {
      response = await abortable(
        fetchFn(request.url, {
          method: request.method,
          headers: request.headers,
          body: request.body,
          signal: controller.signal,
          // A redirect would turn the POST into a GET, or send the token elsewhere: report it instead.
          redirect: 'manual',
        }),
        controller.signal,
      )
    } catch (error) {
      return failed(error)
    }
    let body: string | null
    try {
      body = await readBodyCapped(response, maxBodyBytes, controller.signal)
    } catch (error) {
      return failed(error)
    }
    return { kind: 'response', status: response.status, headers: response.headers, body, sentAt }
  } finally {
    clearTimeout(timer)
    signal?.removeEventListener('abort', onExternalAbort)
  }
}

/**
 * Rejects with `signal.reason` as soon as `signal` aborts, even when the fetch implementation
 * ignores its signal. A response that arrives later has its body cancelled.
 */
function abortable(promise: Promise<Response>, signal: AbortSignal): Promise<Response> {
  const discard = (late: Response): void => {
    late.body?.cancel().catch(noop)
  }
  if (signal.aborted) {
    promise.then(discard, noop)
    return Promise.reject(signal.reason)
  }
  return new Promise<Response>((resolve, reject) => {
    const onAbort = (): void => {
      reject(signal.reason)
      promise.then(discard, noop)
    }
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (response) => {
        signal.removeEventListener('abort', onAbort)
        resolve(response)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}
