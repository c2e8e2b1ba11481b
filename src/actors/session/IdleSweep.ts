/**
 * SessionAbandoned for the sessions no actor is watching. A live actor records it when its session has been idle
 * for TAU_SESSION_IDLE_TIMEOUT_MS, but an actor passivates first (after TAU_SESSION_PASSIVATE_AFTER_MS, at once for
 * a session made for its message), and a session of a process that stopped has no actor at all: such a session
 * stayed open, and so unscored by the reward actor, until its next message. This sweep asks the sessions read model
 * for open agent sessions whose last event is older than the timeout and hands each to its actor, which records the
 * abandonment after checking the idle time against its own stream (the read model may lag; a message that came
 * meanwhile wins). Proxy sessions have their own sweep (ProxyRecorder.ts). Several processes on one database may
 * sweep at once: a session's single writer (expected versions) keeps it to one SessionAbandoned.
 */
import { Clock, Duration, Effect, Layer, Schedule } from "effect"
import { SessionsQuery } from "../../projections/SessionsQuery.ts"
import { SessionConfig } from "./SessionConfig.ts"
import { Sessions } from "./Sessions.ts"

/** Sessions handed to their actors per sweep (the longest-running first); the next sweep takes the rest. */
export const SWEEP_PAGE = 1_000
/** Actors activated at once by a sweep. */
const CONCURRENCY = 4

/** Sweeps every quarter of the idle timeout, between 50 ms and a minute. */
export const sweepInterval = (abandonAfter: Duration.Duration): Duration.Duration =>
  Duration.millis(Math.min(60_000, Math.max(50, Math.floor(Duration.toMillis(abandonAfter) / 4))))

export const IdleSweepLive = Layer.scopedDiscard(Effect.gen(function*() {
  const query = yield* SessionsQuery
  const sessions = yield* Sessions
  const { abandonAfter } = yield* SessionConfig

  const sweep = Effect.gen(function*() {
    const before = new Date((yield* Clock.currentTimeMillis) - Duration.toMillis(abandonAfter))
    const idle = yield* query.idleOpen({ before, proxy: false, limit: SWEEP_PAGE })
    yield* Effect.forEach(
      idle,
      (sessionId) =>
        sessions.abandonIfIdle(sessionId).pipe(
          Effect.catchAll((error) =>
            Effect.logWarning("could not check an idle session", error).pipe(Effect.annotateLogs({ sessionId }))
          )
        ),
      { concurrency: CONCURRENCY, discard: true }
    )
  }).pipe(
    Effect.catchAllCause((cause) => Effect.logWarning("idle session sweep failed", cause)),
    Effect.annotateLogs({ service: "IdleSweep" })
  )

  // The first sweep after one interval: the sessions table is made when the projection runner starts.
  const every = sweepInterval(abandonAfter)
  yield* Effect.forkScoped(Effect.zipRight(Effect.sleep(every), Effect.repeat(sweep, Schedule.spaced(every))))
}))
