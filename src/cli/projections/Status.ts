/**
 * `tau projections status`: checkpoint, lag and dead letters of every projection. The CLI runs no live
 * projections itself, so `state` is what this process does (stopped); position and lag are the stored truth.
 */
import { Command, Options } from "@effect/cli"
import { Effect } from "effect"
import { ProjectionRunner } from "../../projections/ProjectionRunner.ts"
import { stdoutLine, table } from "../Output.ts"

const json = Options.boolean("json").pipe(Options.withDescription("Print one JSON array"))

export const statusCommand = Command.make("status", { json }, ({ json }) =>
  Effect.gen(function*() {
    const runner = yield* ProjectionRunner
    const statuses = yield* runner.status()
    if (json) return yield* stdoutLine(JSON.stringify(statuses))
    yield* stdoutLine(table([
      ["name", "version", "position", "head", "lag", "dead letters"],
      ...statuses.map((s) => [s.name, String(s.version), String(s.position), String(s.head), String(s.lag), String(s.deadLetters)])
    ]))
  })).pipe(Command.withDescription("Position, lag and dead letters of every projection"))
