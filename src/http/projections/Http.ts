/**
 * Handlers of the `projections` group over the ProjectionRunner. Rebuild checks the admin scope itself as well
 * as through the gateway middleware: it drops tables.
 */
import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { EventLog } from "../../events/EventLog.ts"
import { ProjectionNotFound } from "../../projections/Projection.ts"
import { ProjectionRunner } from "../../projections/ProjectionRunner.ts"
import { TauApi } from "../Api.ts"
import { ScopeRequired } from "../ApiErrors.ts"
import { currentCaller, scopeAllows } from "../Caller.ts"
import { ProjectionsOverview } from "./Api.ts"

export const ProjectionsHttpLive = HttpApiBuilder.group(TauApi, "projections", (handlers) =>
  Effect.gen(function*() {
    const runner = yield* ProjectionRunner
    const log = yield* EventLog

    return handlers
      .handle("status", () =>
        Effect.gen(function*() {
          const projections = yield* runner.status()
          const head = projections[0]?.head ?? (yield* log.head)
          return new ProjectionsOverview({ head, projections })
        }).pipe(Effect.orDie))
      .handle("deadLetters", ({ path }) => runner.deadLetters(path.name))
      .handle("rebuild", ({ path }) =>
        Effect.gen(function*() {
          const caller = yield* currentCaller
          if (!scopeAllows(caller.scope, "admin")) {
            return yield* new ScopeRequired({ required: "admin", message: "rebuilding a projection needs an admin key" })
          }
          yield* runner.rebuild(path.name).pipe(
            Effect.catchTags({ EventLogError: Effect.die, ProjectionError: Effect.die, PoisonInPage: Effect.die })
          )
          const status = (yield* runner.status().pipe(Effect.orDie)).find((s) => s.name === path.name)
          return status ?? (yield* new ProjectionNotFound({ name: path.name }))
        }))
  }))
