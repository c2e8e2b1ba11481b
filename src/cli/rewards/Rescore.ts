/**
 * `tau rescore --evaluator <file.json|name@version|live> [--from date] [--to date] [--json]`: rescores every
 * finished session with another evaluator configuration (no model calls, nothing appended to the log; results in
 * `tau_rescores`) and prints how it differs from the live reward table.
 */
import { Command, Options } from "@effect/cli"
import { FileSystem } from "@effect/platform"
import { Effect, Option, Schema } from "effect"
import { knownEvaluators, LiveEvaluator } from "../../actors/reward/LiveEvaluator.ts"
import { RewardEvaluator } from "../../actors/reward/RewardEvaluator.ts"
import { Rescorer, type RescoreReport } from "../../actors/reward/Rescorer.ts"
import { EvaluatorConfigFromJson } from "../../learning/reward/EvaluatorConfig.ts"
import { ProjectionRunner } from "../../projections/ProjectionRunner.ts"
import { RewardsProjection } from "../../projections/RewardsProjection.ts"
import { CliError } from "../CliError.ts"
import { stdoutLine, table } from "../Output.ts"

const evaluator = Options.text("evaluator").pipe(
  Options.withDescription("A configuration file (JSON), a known name@version, or `live`")
)
const from = Options.date("from").pipe(Options.withDescription("Only sessions that ended at or after"), Options.optional)
const to = Options.date("to").pipe(Options.withDescription("Only sessions that ended before"), Options.optional)
const json = Options.boolean("json").pipe(Options.withDescription("Print the report as JSON"))

const resolve = (spec: string) =>
  Effect.gen(function*() {
    if (spec === "live") return yield* LiveEvaluator
    const known = knownEvaluators.find((c) => `${c.name}@${c.version}` === spec)
    if (known !== undefined) return known
    const fs = yield* FileSystem.FileSystem
    const text = yield* fs.readFileString(spec).pipe(
      Effect.mapError(() =>
        new CliError({
          message: `--evaluator ${spec}: not a file, \`live\`, or a known evaluator (${
            knownEvaluators.map((c) => `${c.name}@${c.version}`).join(", ")
          })`
        })
      )
    )
    return yield* Schema.decode(EvaluatorConfigFromJson)(text).pipe(
      Effect.mapError((e) => new CliError({ message: `--evaluator ${spec}: ${e.message}` }))
    )
  })

const f = (n: number) => n.toFixed(3)

const render = (r: RescoreReport) => {
  const d = r.diff
  const lines = [
    `rescored ${r.rescored} sessions with ${r.evaluator} (${r.evaluatorHash.slice(0, 12)}) against live ${r.live} (${
      r.liveHash.slice(0, 12)
    })`,
    `compared ${d.sessions} (only live ${d.onlyBefore}, only rescored ${d.onlyAfter})`,
    `mean ${f(d.meanBefore)} -> ${f(d.meanAfter)} (shift ${f(d.meanShift)}, mean |shift| ${f(d.meanAbsoluteShift)})`,
    `spearman ${f(d.spearman)}`,
    `sign flips ${d.signFlips.length}${
      d.signFlips.length === 0 ? "" : `: ${d.signFlips.slice(0, 10).map((s) => `${s.sessionId} ${f(s.before)} -> ${f(s.after)}`).join(", ")}${d.signFlips.length > 10 ? ", …" : ""}`
    }`
  ]
  if (d.dimensions.length > 0) {
    lines.push(table([
      ["dimension", "sessions", "before", "after", "shift", "presence changed"],
      ...d.dimensions.map((x) => [x.dimension, String(x.sessions), f(x.meanBefore), f(x.meanAfter), f(x.meanShift), String(x.presenceChanged)])
    ]))
  }
  return lines.join("\n")
}

export const rescoreCommand = Command.make("rescore", { evaluator, from, to, json }, (options) =>
  Effect.gen(function*() {
    const config = yield* resolve(options.evaluator)
    yield* (yield* RewardEvaluator).catchUp()
    yield* (yield* ProjectionRunner).catchUp(RewardsProjection.name)
    const report = yield* (yield* Rescorer).rescore(config, {
      from: Option.getOrUndefined(options.from),
      to: Option.getOrUndefined(options.to)
    })
    yield* stdoutLine(options.json ? JSON.stringify(report) : render(report))
  })).pipe(Command.withDescription("Rescore finished sessions with another evaluator configuration and diff"))
