/**
 * `tau rewards [--by prompt|category|day] [--json]`: the reward tables, after scoring whatever ended since the
 * reward actor last ran and catching the tables up, so a session finished by `tau run` a moment ago is there.
 */
import { Command, Options } from "@effect/cli"
import { Effect, Option } from "effect"
import { RewardEvaluator } from "../../actors/reward/RewardEvaluator.ts"
import { ProjectionRunner } from "../../projections/ProjectionRunner.ts"
import { RewardsProjection } from "../../projections/RewardsProjection.ts"
import { RewardsQuery } from "../../projections/RewardsQuery.ts"
import { stdoutLine, table } from "../Output.ts"

const by = Options.choice("by", ["prompt", "category", "day"]).pipe(
  Options.withDescription("Aggregate by prompt version, task category or day (default: one line per session)"),
  Options.optional
)
const json = Options.boolean("json").pipe(Options.withDescription("Print one JSON array"))

const fixed = (n: number) => n.toFixed(3)

export const rewardsCommand = Command.make("rewards", { by, json }, (options) =>
  Effect.gen(function*() {
    yield* (yield* RewardEvaluator).catchUp()
    yield* (yield* ProjectionRunner).catchUp(RewardsProjection.name)
    const query = yield* RewardsQuery
    if (Option.isNone(options.by)) {
      const rows = yield* query.sessions()
      if (options.json) return yield* stdoutLine(JSON.stringify(rows))
      if (rows.length === 0) return yield* stdoutLine("no rewards yet")
      return yield* stdoutLine(table([
        ["session", "evaluator", "rev", "composite", "confidence", "category", "prompt", "day"],
        ...rows.map((r) => [
          r.sessionId,
          r.evaluator,
          String(r.revision),
          fixed(r.composite),
          fixed(r.confidence),
          r.category,
          `${r.promptName ?? "-"}@${r.promptVersion ?? "-"}`,
          r.day
        ])
      ]))
    }
    const groups = yield* query.groups({ by: options.by.value })
    if (options.json) return yield* stdoutLine(JSON.stringify(groups))
    if (groups.length === 0) return yield* stdoutLine("no rewards yet")
    yield* stdoutLine(table([
      [options.by.value, "evaluator", "sessions", "mean", "confidence", "positive", "negative", "dimensions"],
      ...groups.map((g) => [
        g.key,
        g.evaluator,
        String(g.sessions),
        fixed(g.meanComposite),
        fixed(g.meanConfidence),
        String(g.positive),
        String(g.negative),
        Object.entries(g.dimensions).map(([d, v]) => `${d} ${v.toFixed(2)}`).join(", ")
      ])
    ]))
  })).pipe(Command.withDescription("Session rewards, or their means by prompt version, task category or day"))
