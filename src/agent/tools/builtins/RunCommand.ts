import { Duration, Effect, Schema } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs/promises"
import { ToolError } from "../Errors.ts"
import { commandDenial } from "../internal/CommandCheck.ts"
import { attempt } from "../internal/Fs.ts"
import { HeadTailCollector } from "../internal/Output.ts"
import type { ToolPolicy } from "../Policy.ts"
import * as Tool from "../Tool.ts"

export const RunCommandParameters = Schema.Struct({
  command: Schema.String.pipe(Schema.minLength(1)).annotations({ description: "Shell command, run with /bin/sh -c" }),
  timeout_ms: Schema.optional(
    Schema.Int.pipe(Schema.positive()).annotations({ description: "Timeout in ms; capped by the policy" })
  ),
  cwd: Schema.optional(Schema.String.annotations({ description: "Working directory relative to the workspace. Default \".\"" }))
})

const timeoutOf = (args: { readonly timeout_ms?: number | undefined }, policy: ToolPolicy) =>
  Math.min(args.timeout_ms ?? policy.commandTimeoutMs, policy.commandTimeoutMs)

/** Room kept for the exit status line so the registry's cap never cuts it off. */
const statusReserve = 64
/** How long output may still drain after the shell exits before leftover background processes are killed. */
const drainGrace = Duration.millis(250)
const killWait = Duration.seconds(5)

interface Exited {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

const exited = (child: ChildProcess): Exited | undefined =>
  child.exitCode !== null || child.signalCode !== null ? { code: child.exitCode, signal: child.signalCode } : undefined

const awaitExit = (tool: string, child: ChildProcess) =>
  Effect.async<Exited, ToolError>((resume) => {
    const done = exited(child)
    if (done !== undefined) return resume(Effect.succeed(done))
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => resume(Effect.succeed({ code, signal }))
    const onError = (cause: Error) =>
      resume(Effect.fail(new ToolError({ tool, reason: "failed", message: `cannot start the command: ${cause.message}` })))
    child.once("exit", onExit)
    child.once("error", onError)
    return Effect.sync(() => {
      child.off("exit", onExit)
      child.off("error", onError)
    })
  })

const awaitClose = (child: ChildProcess) =>
  Effect.async<void>((resume) => {
    if (child.stdout?.closed === true && child.stderr?.closed === true) return resume(Effect.void)
    const onClose = () => resume(Effect.void)
    child.once("close", onClose)
    return Effect.sync(() => child.off("close", onClose))
  })

/** Kills the whole process group (the shell and everything it started), then waits for the shell to exit. */
const killGroup = (child: ChildProcess) =>
  Effect.gen(function*() {
    if (child.pid !== undefined) {
      yield* Effect.sync(() => {
        try {
          process.kill(-child.pid!, "SIGKILL")
        } catch {
          // ESRCH: the group is already gone.
        }
      })
    }
    child.stdout?.destroy()
    child.stderr?.destroy()
    yield* awaitExit("run_command", child).pipe(Effect.ignore, Effect.timeout(killWait), Effect.ignore)
  })

export const RunCommand = Tool.make({
  name: "run_command",
  description: "Run a shell command in the workspace (or cwd). Returns combined stdout and stderr (capped, " +
    "with a truncation marker) and the exit code. Background processes are killed when the command ends.",
  parameters: RunCommandParameters,
  // The handler enforces the command timeout itself (to report partial output); the registry's is a backstop.
  timeoutMs: (args, policy) => timeoutOf(args, policy) + 10_000,
  handler: Effect.fn("run_command")(function*(args: typeof RunCommandParameters.Type, ctx: Tool.ToolContext) {
    const denial = commandDenial(args.command, ctx.policy)
    if (denial !== undefined) return yield* new ToolError({ tool: ctx.tool, reason: "policy_denied", message: denial })
    const cwd = yield* ctx.workspace.resolve(args.cwd ?? ".", "read")
    const cwdStat = yield* attempt(ctx.tool, args.cwd ?? ".", () => fs.stat(cwd.absolute))
    if (!cwdStat.isDirectory()) {
      return yield* new ToolError({ tool: ctx.tool, reason: "failed", message: `cwd ${args.cwd} is not a directory` })
    }
    const timeoutMs = timeoutOf(args, ctx.policy)
    const collector = new HeadTailCollector(Math.max(256, ctx.policy.maxOutputBytes - statusReserve))
    const result = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const child = spawn("/bin/sh", ["-c", args.command], {
          cwd: cwd.absolute,
          env: ctx.environment,
          detached: true,
          stdio: ["ignore", "pipe", "pipe"]
        })
        child.stdout.on("data", (chunk: Buffer) => collector.push(chunk))
        child.stderr.on("data", (chunk: Buffer) => collector.push(chunk))
        return child
      }),
      killGroup
    ).pipe(
      Effect.flatMap((child) =>
        awaitExit(ctx.tool, child).pipe(
          Effect.tap(() => awaitClose(child).pipe(Effect.timeout(drainGrace), Effect.ignore))
        )
      ),
      Effect.timeoutFail({
        duration: Duration.millis(timeoutMs),
        onTimeout: () =>
          new ToolError({
            tool: ctx.tool,
            reason: "timeout",
            message: `command timed out after ${timeoutMs} ms and its process group was killed; output so far:\n${
              collector.render().output
            }`
          })
      }),
      Effect.scoped
    )
    const captured = collector.render()
    const status = result.signal !== null ? `[killed by signal ${result.signal}]` : `[exit code ${result.code}]`
    return {
      output: `${captured.output === "" ? "(no output)\n" : captured.output.endsWith("\n") ? captured.output : `${captured.output}\n`}${status}`,
      truncated: captured.truncated,
      originalBytes: captured.originalBytes,
      metadata: { exitCode: result.code, signal: result.signal }
    }
  })
})
