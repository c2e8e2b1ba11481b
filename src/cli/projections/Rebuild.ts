/**
 * `tau projections rebuild [name]`: drops a projection's tables (or every projection's) and replays the log.
 */
import { Args, Command } from "@effect/cli"
import { Effect, Option, Schedule } from "effect"
import { ProjectionRunner } from "../../projections/ProjectionRunner.ts"
import { stdoutLine } from "../Output.ts"
import * as Progress from "../Progress.ts"

const name = Args.text({ name: "name" }).pipe(
  Args.withDescription("The projection to rebuild (default: all)"),
  Args.optional
)

const rebuildOne = (runner: ProjectionRunner, name: string, head: number) =>
  Effect.gen(function*() {
    const progress = yield* Progress.make(`rebuilding ${name} (position)`, head)
    let shown = 0
    const report = Effect.flatMap(runner.status(), (statuses) => {
      const position = statuses.find((s) => s.name === name)?.position ?? 0
      const step = Math.max(0, position - shown)
      shown += step
      return progress.advance(step)
    })
    yield* runner.rebuild(name).pipe(
      Effect.raceFirst(Effect.zipRight(Effect.repeat(report, Schedule.spaced("250 millis")), Effect.never))
    )
    yield* progress.done
  })

export const rebuildCommand = Command.make("rebuild", { name }, ({ name }) =>
  Effect.gen(function*() {
    const runner = yield* ProjectionRunner
    const only = Option.getOrUndefined(name)
    const before = yield* runner.status()
    if (only !== undefined && !before.some((s) => s.name === only)) return yield* runner.rebuild(only)
    const head = before[0]?.head ?? 0
    const targets = before.filter((s) => only === undefined || s.name === only)
    for (const target of targets) yield* rebuildOne(runner, target.name, head)
    const after = yield* runner.status()
    for (const s of after.filter((s) => targets.some((t) => t.name === s.name))) {
      yield* stdoutLine(`rebuilt ${s.name} v${s.version}: position ${s.position}, ${s.deadLetters} dead letters`)
    }
  })).pipe(Command.withDescription("Drop and rebuild a projection (or all) from the start of the log"))
