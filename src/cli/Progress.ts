/**
 * Progress of long operations (export, import, rebuild): one self-overwriting line on stderr, only when stderr
 * is a terminal, so pipes, files and tests see clean output.
 */
import { Clock, Effect } from "effect"

export interface Progress {
  /** Adds `n` done units. */
  readonly advance: (n: number) => Effect.Effect<void>
  /** Prints the final count and ends the line. */
  readonly done: Effect.Effect<void>
}

const silent: Progress = { advance: () => Effect.void, done: Effect.void }

const renderEveryMillis = 100

export const make = (
  label: string,
  total?: number,
  options: { readonly enabled?: boolean } = {}
): Effect.Effect<Progress> =>
  Effect.sync(() => {
    if (!(options.enabled ?? process.stderr.isTTY === true)) return silent
    let count = 0
    let lastRender = 0
    const line = () => {
      const of = total === undefined ? "" : ` / ${total} (${total === 0 ? 100 : Math.floor((count / total) * 100)}%)`
      return `\r${label}: ${count}${of}`
    }
    const progress: Progress = {
      advance: (n) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          Effect.sync(() => {
            count += n
            if (now - lastRender >= renderEveryMillis) {
              lastRender = now
              process.stderr.write(line())
            }
          })),
      done: Effect.sync(() => {
        process.stderr.write(`${line()}\n`)
      })
    }
    return progress
  })
