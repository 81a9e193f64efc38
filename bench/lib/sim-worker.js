// A worker thread of the simulation pool (sim-pool.js): one simulated day per message.

import { parentPort } from 'node:worker_threads'
import { simulate } from './sim-run.js'

parentPort.on('message', async (params) => {
  try {
    parentPort.postMessage({ result: await simulate(params) })
  } catch (error) {
    parentPort.postMessage({ error: String(error?.stack ?? error) })
  }
})
