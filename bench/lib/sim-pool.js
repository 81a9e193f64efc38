// Runs simulated days on worker threads, one day per worker at a time. Each worker has its own
// globals, so each has its own virtual clock; a day is single-threaded and CPU-bound, so two
// workers on a two-core machine nearly halve the wall time of the whole simulation.
// With `size` 0, days run one after another in this thread (they would share its clock).

import { Worker } from 'node:worker_threads'
import { simulate } from './sim-run.js'

/**
 * Returns { run(params, priority), close() }. `shared` is merged into every job's params (the
 * template body, traffic, seed). Lower priority numbers start first; equal ones in order.
 */
export function createPool({ size, shared }) {
  if (size <= 0) {
    let last = Promise.resolve()
    const run = (params) => {
      const next = last.then(() => simulate({ ...shared, ...params }))
      last = next.catch(() => {})
      return next
    }
    return { run, close: async () => {} }
  }

  const queue = []
  const idle = []
  const workers = []
  let sequence = 0
  const dispatch = () => {
    while (idle.length > 0 && queue.length > 0) {
      queue.sort((a, b) => a.priority - b.priority || a.sequence - b.sequence)
      const job = queue.shift()
      const worker = idle.pop()
      worker.job = job
      worker.postMessage({ ...shared, ...job.params })
    }
  }
  for (let i = 0; i < size; i++) {
    const worker = new Worker(new URL('./sim-worker.js', import.meta.url))
    worker.on('message', (message) => {
      const { job } = worker
      worker.job = null
      idle.push(worker)
      if (message.error === undefined) job.resolve(message.result)
      else job.reject(new Error(`simulation worker: ${message.error}`))
      dispatch()
    })
    worker.on('error', (error) => {
      worker.job?.reject(error)
      worker.job = null
    })
    workers.push(worker)
    idle.push(worker)
  }
  return {
    run(params, priority = 0) {
      return new Promise((resolve, reject) => {
        queue.push({ params, priority, sequence: sequence++, resolve, reject })
        dispatch()
      })
    },
    close: () => Promise.all(workers.map((worker) => worker.terminate())),
  }
}
