// Seeded randomness for the capacity simulation: the same seed gives the same day of traffic,
// so runs are repeatable and a run for more customers contains the one for fewer (each
// customer's draws come from the stream in customer order).

/** splitmix32: spreads a small seed over the whole state, so seeds 1 and 2 differ everywhere. */
function splitmix32(seed) {
  let s = seed >>> 0
  return () => {
    s = (s + 0x9e3779b9) | 0
    let z = s
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
    return (z ^ (z >>> 16)) >>> 0
  }
}

/** A 32-bit FNV-1a hash, to derive one independent stream per purpose from one seed. */
function fnv1a(text) {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193)
  return h >>> 0
}

/**
 * sfc32 (a fast generator with a 128-bit state; period well beyond the ~10^9 draws of a run)
 * with the distributions the traffic model needs. `stream` names the purpose (visits, clicks,
 * order) so that changing how one is drawn never shifts another.
 */
export function createRandom(seed, stream = '') {
  const init = splitmix32((seed ^ fnv1a(stream)) >>> 0)
  let a = init()
  let b = init()
  let c = init()
  let d = init()
  const uniform = () => {
    const t = (((a + b) | 0) + d) | 0
    d = (d + 1) | 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) | 0
    c = (c << 21) | (c >>> 11)
    c = (c + t) | 0
    return (t >>> 0) / 4294967296
  }
  for (let i = 0; i < 12; i++) uniform()

  let spare = Number.NaN
  /** Standard normal (Box–Muller, the second value kept for the next call). */
  const normal = () => {
    if (!Number.isNaN(spare)) {
      const v = spare
      spare = Number.NaN
      return v
    }
    let u = 0
    while (u === 0) u = uniform()
    const r = Math.sqrt(-2 * Math.log(u))
    const theta = 2 * Math.PI * uniform()
    spare = r * Math.sin(theta)
    return r * Math.cos(theta)
  }
  /** Poisson by inversion: fine for the small means used here (extra visits per customer). */
  const poisson = (mean) => {
    const limit = Math.exp(-mean)
    let k = 0
    let p = uniform()
    while (p > limit) {
      k++
      p *= uniform()
    }
    return k
  }
  /** Whole number in [0, n). */
  const below = (n) => Math.floor(uniform() * n)
  return { uniform, normal, poisson, below }
}
