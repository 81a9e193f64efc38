// THE DEMO: `pnpm demo` from the repository root (builds the packages, then runs this file).
//
// 1. Starts an embedded fake Polar on 127.0.0.1 with three customers (Jane, Omar, Ada) whose
//    external ids are the demo app's user ids. With POLAR_ACCESS_TOKEN set it talks to real
//    Polar instead (POLAR_SERVER=sandbox by default; those customers must exist there).
// 2. Starts the Express example (./server.js) on http://127.0.0.1:3000 (PORT to change it; a
//    free port when 3000 is taken) and prints what to open and click.
// 3. Sign in as Jane, click "Manage billing": the app creates Jane's customer session (or reuses
//    it) and 303s to the portal URL, here the fake's own portal page showing Jane's customer.
// 4. Ctrl-C closes the app, the polar-session instance and the fake.

import { main } from './server.js'

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
