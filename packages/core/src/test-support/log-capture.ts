import { pino } from 'pino'
import type { Logger } from '../types.js'

/** A real pino logger writing into memory, so tests can assert what reached the log. */
export function captureLogs(): { logger: Logger; lines: string[]; text: () => string } {
  const lines: string[] = []
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) })
  return { logger, lines, text: () => lines.join('') }
}

/** Asserts none of `secrets` occurs in `text`; returns the offending secret otherwise. */
export function findLeak(text: string, secrets: readonly string[]): string | undefined {
  return secrets.find(
    (secret) => secret.length > 0 && (text.includes(secret) || text.includes(encodeURIComponent(secret))),
  )
}
