/**
 * Writing to stdout (results) and stderr (progress, diagnostics). Writes wait for the stream to accept the
 * data, so a long export piped into a slow consumer runs in constant memory.
 */
import { Terminal } from "@effect/platform"
import { Console, Effect } from "effect"
import { CliError } from "./CliError.ts"

/** A closed pipe (`tau log export | head`) ends the command quietly, as an interruption. */
export const stdout = (text: string): Effect.Effect<void, CliError, Terminal.Terminal> =>
  Effect.flatMap(Terminal.Terminal, (terminal) => terminal.display(text)).pipe(
    Effect.catchAll((error) =>
      isBrokenPipe(error.cause)
        ? Effect.interrupt
        : Effect.fail(new CliError({ message: `cannot write to stdout: ${error.message}` })))
  )

export const stdoutLine = (line: string) => stdout(`${line}\n`)

export const stderrLine = (line: string): Effect.Effect<void> => Console.error(line)

const isBrokenPipe = (cause: unknown): boolean =>
  typeof cause === "object" && cause !== null && "code" in cause && cause.code === "EPIPE"

/** Human-readable byte count. */
export const formatBytes = (bytes: number): string => {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"]
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`
}

/** Left-aligned columns separated by two spaces. */
export const table = (rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths: Array<number> = []
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)))
  return rows.map((row) => row.map((cell, i) => i === row.length - 1 ? cell : cell.padEnd(widths[i]!)).join("  "))
    .join("\n")
}
