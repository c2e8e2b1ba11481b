/**
 * Liveness and readiness. `/healthz` answers while the process serves HTTP (no auth, no database);
 * `/readyz` checks that the database answers and that no projection lags the log head by more than the
 * configured bound (503 otherwise, with the details).
 */
import { HttpLayerRouter, HttpServerResponse } from "@effect/platform"
import { Duration, Effect, Layer } from "effect"
import { EventLog } from "../events/EventLog.ts"
import { ProjectionRunner } from "../projections/ProjectionRunner.ts"
import { Gateway } from "./GatewayConfig.ts"

const healthz = HttpLayerRouter.add("GET", "/healthz", Effect.succeed(HttpServerResponse.unsafeJson({ status: "ok" })))

const readyz = HttpLayerRouter.use((router) =>
  Effect.gen(function*() {
    const log = yield* EventLog
    const runner = yield* ProjectionRunner
    const { readyMaxLag } = yield* Gateway
    yield* router.add(
      "GET",
      "/readyz",
      Effect.gen(function*() {
        // Every status carries the head it was taken at; the log is asked only when there is no projection.
        const checked = yield* runner.status().pipe(
          Effect.flatMap((projections) =>
            Effect.map(projections[0] === undefined ? log.head : Effect.succeed(projections[0].head), (head) =>
              [projections, head] as const)
          ),
          Effect.timeout(Duration.seconds(2)),
          Effect.either
        )
        if (checked._tag === "Left") {
          return HttpServerResponse.unsafeJson(
            { status: "unavailable", database: "unreachable", detail: String(checked.left) },
            { status: 503 }
          )
        }
        const [projections, head] = checked.right
        const lagging = projections.filter((p) => p.lag > readyMaxLag)
        return HttpServerResponse.unsafeJson(
          {
            status: lagging.length === 0 ? "ready" : "catching_up",
            database: "ok",
            head,
            projections: projections.map((p) => ({ name: p.name, position: p.position, lag: p.lag, deadLetters: p.deadLetters, state: p.state }))
          },
          { status: lagging.length === 0 ? 200 : 503 }
        )
      }).pipe(Effect.catchAllDefect((defect) =>
        Effect.succeed(HttpServerResponse.unsafeJson({ status: "unavailable", detail: String(defect) }, { status: 503 }))
      ))
    )
  })
)

export const HealthRoutes = Layer.merge(healthz, readyz)
