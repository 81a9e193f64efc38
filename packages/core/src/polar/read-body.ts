/** Largest response body read, in bytes. Polar's answers are a few kilobytes. */
export const MAX_BODY_BYTES = 1024 * 1024

const noop = (): void => {}

/**
 * Reads a response body as UTF-8, up to `maxBytes`. Returns `null` (and cancels the stream) when
 * the body is larger. Rejects with `signal.reason` when `signal` aborts, even if the stream
 * itself ignores the abort.
 *
 * Reading every body to the end, even unused ones, is what lets undici put the keep-alive
 * socket back into its pool.
 */
export async function readBodyCapped(
  response: Response,
  maxBytes: number,
  signal: AbortSignal,
): Promise<string | null> {
  const stream = response.body
  if (stream === null) return ''
  signal.throwIfAborted()
  const declared = Number(response.headers.get('content-length') ?? Number.NaN)
  if (Number.isFinite(declared) && declared > maxBytes) {
    stream.cancel().catch(noop)
    return null
  }
  const reader = stream.getReader()
  const onAbort = (): void => {
    reader.cancel(signal.reason).catch(noop)
  }
  signal.addEventListener('abort', onAbort, { once: true })
  const chunks: Uint8Array[] = []
  let total = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      signal.throwIfAborted()
      if (done) break
      total += value.byteLength
      if (total > maxBytes) {
        reader.cancel().catch(noop)
        return null
      }
      chunks.push(value)
    }
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
  return Buffer.concat(chunks, total).toString('utf8')
}
