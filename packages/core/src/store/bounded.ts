/**
 * `run()`, or a rejection with `makeError()` after `timeoutMs`; the loser of the race is never
 * unhandled. A `run` that throws synchronously (a client of the wrong shape, or closed) rejects
 * like a failed call.
 *
 * Timers run before I/O in each turn of the event loop: after a busy stretch the reply may
 * already be in the socket, unread; one more turn (setImmediate runs after I/O) lets it win, so
 * a timeout means a slow store, not a busy process.
 */
export function bounded<T>(run: () => T | PromiseLike<T>, timeoutMs: number, makeError: () => Error): Promise<T> {
  let promise: Promise<T>
  try {
    promise = Promise.resolve(run())
  } catch (error) {
    return Promise.reject(error)
  }
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => setImmediate(() => reject(makeError())), timeoutMs)
    promise.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (error: unknown) => {
        clearTimeout(timer)
        reject(error)
      },
    )
  })
}
