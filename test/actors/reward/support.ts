/**
 * Reward actor test worlds: a database (SQLite file or PostgreSQL), the actor, the reward tables, the rescorer;
 * and random sessions appended to the log, with feedback appended later so it arrives after the reward.
 */
import { Effect, Layer } from "effect"
import { SessionId } from "../../../src/domain/Ids.ts"
import { EventLog } from "../../../src/events/EventLog.ts"
import { rewardStream, sessionStream } from "../../../src/events/Streams.ts"
import type { TauEvent } from "../../../src/events/TauEvent.ts"
import { RewardEvaluator } from "../../../src/actors/reward/RewardEvaluator.ts"
import { Rescorer } from "../../../src/actors/reward/Rescorer.ts"
import { RewardsProjection } from "../../../src/projections/RewardsProjection.ts"
import { RewardsQuery } from "../../../src/projections/RewardsQuery.ts"
import { type Database, world } from "../../projections/support.ts"
import { playSession } from "../../learning/reward/arbitraries.ts"
import type { SessionPlan } from "../../learning/reward/arbitraries.ts"
import { session } from "../../learning/reward/SessionBuilder.ts"

/** Actor (no background work unless `live`), reward tables and rescorer over `database`. */
export const rewardWorld = (database: Database, options: { readonly live?: boolean } = {}) =>
  Layer.mergeAll(
    options.live ? RewardEvaluator.Live : RewardEvaluator.Default,
    Rescorer.Default.pipe(Layer.provideMerge(RewardsQuery.Default))
  ).pipe(Layer.provideMerge(world(database, [RewardsProjection])), Layer.orDie)

export interface PlannedSession {
  readonly id: SessionId
  readonly main: ReadonlyArray<TauEvent>
  readonly feedback: ReadonlyArray<TauEvent>
  readonly ends: boolean
}

export const planned = (plan: SessionPlan, index: number): PlannedSession => {
  const b = session(`s-${index}`)
  playSession(b, plan)
  const main = [...b.events]
  for (const f of plan.feedback) b.feedback(f.rating, f.turn !== undefined && f.turn <= b.turns ? f.turn : undefined)
  return { id: b.sessionId, main, feedback: b.events.slice(main.length), ends: plan.end !== undefined }
}

/** Appends every session, then every session's feedback (one event per append). */
export const appendSessions = (sessions: ReadonlyArray<PlannedSession>) =>
  Effect.gen(function*() {
    const log = yield* EventLog
    for (const s of sessions) yield* log.append(sessionStream(s.id), "any", s.main)
    for (const s of sessions) for (const f of s.feedback) yield* log.append(sessionStream(s.id), "any", [f])
  }).pipe(Effect.orDie)

export interface StoredReward {
  readonly sessionId: string
  readonly turn: number | undefined
  readonly revision: number
  readonly composite: number
  readonly eventId: string
  readonly causationId: string | undefined
}

/** Every RewardAssigned of the given sessions' reward streams. */
export const storedRewards = (ids: ReadonlyArray<SessionId>) =>
  Effect.gen(function*() {
    const log = yield* EventLog
    const out: Array<StoredReward> = []
    for (const id of ids) {
      for (const e of yield* log.readStream(rewardStream(id))) {
        if (e.event._tag !== "RewardAssigned") continue
        out.push({
          sessionId: e.event.sessionId,
          turn: e.event.turn,
          revision: e.event.revision,
          composite: e.event.composite,
          eventId: e.eventId,
          causationId: e.metadata.causationId
        })
      }
    }
    return out
  }).pipe(Effect.orDie)

export const sid = (s: string) => SessionId.make(s)
