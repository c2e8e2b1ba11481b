/**
 * Runs the real `tau` command tree in-process: stdout captured through the Terminal service, stderr through
 * the Console, configuration from a map (no process.env), so tests are fast and hermetic.
 */
import { Terminal } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { ConfigProvider, Effect, Exit } from "effect"
import type { Console } from "effect"
import { main } from "../../src/cli/Main.ts"

export interface CliRun {
  readonly ok: boolean
  readonly stdout: string
  readonly stderr: string
}

export const runCli = (args: ReadonlyArray<string>, env: Record<string, string>): Effect.Effect<CliRun> =>
  Effect.gen(function*() {
    const out: Array<string> = []
    const err: Array<string> = []
    const terminal = Terminal.Terminal.of({
      columns: Effect.succeed(120),
      rows: Effect.succeed(40),
      isTTY: Effect.succeed(false),
      readInput: Effect.dieMessage("no input in tests"),
      readLine: Effect.dieMessage("no input in tests"),
      display: (text) => Effect.sync(() => void out.push(text))
    })
    const base = yield* Effect.console
    const console: Console.Console = {
      ...base,
      log: (...parts) => Effect.sync(() => void out.push(`${parts.map(String).join(" ")}\n`)),
      error: (...parts) => Effect.sync(() => void err.push(`${parts.map(String).join(" ")}\n`))
    }
    const exit = yield* main(["node", "tau", ...args]).pipe(
      Effect.provideService(Terminal.Terminal, terminal),
      Effect.provide(NodeContext.layer),
      Effect.withConsole(console),
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))),
      Effect.exit
    )
    return { ok: Exit.isSuccess(exit), stdout: out.join(""), stderr: err.join("") }
  })
