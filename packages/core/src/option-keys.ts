/**
 * Refuses option keys nobody reads: a typo (`refreshMarginMS`) or another library's name
 * (`environment`) would otherwise be ignored silently, and `environment: 'sandbox'` quietly talk
 * to production. The message names the closest known key: from `renamed` (another library's
 * name for it), else by edit distance.
 */
export function rejectUnknownKeys(
  where: string,
  options: object,
  known: readonly string[],
  renamed: Readonly<Record<string, string>> = {},
): void {
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue
    const suggestion = Object.hasOwn(renamed, key) ? renamed[key] : closest(key, known)
    throw new TypeError(
      `${where}: unknown option ${JSON.stringify(key)}${suggestion === undefined ? '' : `; did you mean ${suggestion}?`}`,
    )
  }
}

/** The known key nearest to `key` (case-insensitive edit distance), if it is near enough to be a typo. */
function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = Math.max(2, Math.floor(key.length / 3)) + 1
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase())
    if (distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
  }
  return best
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[b.length]!
}
