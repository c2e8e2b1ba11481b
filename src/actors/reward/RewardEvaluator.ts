/**
 * The reward evaluator actor. It follows the log from its checkpoint; when a session ends it scores the session
 * (and each of its completed turns) and appends `RewardAssigned` to `reward-<sessionId>`; a `FeedbackReceived`
 * on an already scored session produces the next revision. Event ids are derived from (session, turn,
 * evaluator, revision), so a repeated evaluation after a crash, a restart or in a second process sharing the
 * database is an idempotent append: exactly one reward per (session, evaluator version, revision).
 *
 * Order of effects per trigger: append the rewards, then (one transaction) record the session's state and move
 * the checkpoint past the trigger. A crash in between re-runs the trigger, which appends nothing new.
 */
import { Duration, Effect, Either, Layer, Schedule, Stream, SubscriptionRef } from "effect"
import { SqlClient } from "@effect/sql"
import { PromptName, PromptVersionId, SessionId } from "../../domain/Ids.ts"
import type { RecordedEvent } from "../../events/Envelope.ts"
import { EventLog } from "../../events/EventLog.ts"
import type { NewEvent } from "../../events/EventLog.ts"
import { decodeRecorded } from "../../events/EventLogCore.ts"
import { rewardStream, sessionStream } from "../../events/Streams.ts"
import { evaluatorRef } from "../../learning/reward/EvaluatorConfig.ts"
import { baselineAtEnd, endingTags, evaluateAt, isRewardTrigger } from "../../learning/reward/Replay.ts"
import { rewardAssigned } from "../../learning/reward/RewardEvent.ts"
import { type ComparableBaseline, computeBaseline, type SessionSummary } from "../../learning/reward/Summary.ts"
import {
  advanceCheckpoint,
  checkpointName,
  loadScored,
  readCheckpoint,
  saveScored,
  type ScoredSessionState,
  setupActorTables
} from "./ActorStore.ts"
import { LiveEvaluator } from "./LiveEvaluator.ts"
import { rewardEventId } from "./RewardEventId.ts"

const pageSize = 1000
/** Commits gather this long before a chunk is scored (SubscribeOptions.linger): one pass per turn, not per append. */
const linger = Effect.sleep(Duration.millis(50))
/** Most positions a restart may replay without finding a trigger (see processRows). */
const CHECKPOINT_EVERY = 1000

const retrySchedule = Schedule.exponential("200 millis").pipe(
  Schedule.either(Schedule.spaced("30 seconds")),
  Schedule.jittered
)

/** Sessions scored so far, in end order, for baselines (prefix by end position). */
class Scored {
  readonly byId = new Map<string, ScoredSessionState>()
  private positions: Array<number> = []
  private summaries: Array<SessionSummary> = []

  reset(states: ReadonlyArray<ScoredSessionState>) {
    this.byId.clear()
    this.positions = []
    this.summaries = []
    for (const s of states) this.add(s)
  }

  private lowerBound(position: number): number {
    let lo = 0
    let hi = this.positions.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (this.positions[mid]! < position) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  add(state: ScoredSessionState) {
    const known = this.byId.get(state.sessionId)
    this.byId.set(state.sessionId, state)
    if (known !== undefined) return
    const at = this.lowerBound(state.endPosition)
    this.positions.splice(at, 0, state.endPosition)
    this.summaries.splice(at, 0, state.summary)
  }

  /** Summaries of the sessions that ended before `position`, oldest first. */
  before(position: number): ReadonlyArray<SessionSummary> {
    const at = this.lowerBound(position)
    return at === this.summaries.length ? this.summaries : this.summaries.slice(0, at)
  }
}

const make = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const log = yield* EventLog
  const config = yield* LiveEvaluator
  const evaluator = evaluatorRef(config)
  const checkpoint = checkpointName(evaluator.hash)
  const withSql = Effect.provideService(SqlClient.SqlClient, sql)

  yield* withSql(setupActorTables)
  const scored = new Scored()
  scored.reset(yield* withSql(loadScored(evaluator.hash)))
  const cursor = yield* SubscriptionRef.make(yield* withSql(readCheckpoint(checkpoint)))
  const lock = yield* Effect.makeSemaphore(1)

  const appendRewards = (sessionId: SessionId, revision: number, trigger: RecordedEvent, events: Array<NewEvent>) =>
    Effect.gen(function*() {
      const stream = rewardStream(sessionId)
      const expected = yield* log.streamVersion(stream)
      return yield* log.append(stream, expected, events)
    }).pipe(
      Effect.retry({ times: 5, while: (e) => e._tag === "StreamVersionConflict" }),
      // Same ids, other content: an earlier build scored this revision differently under the same configuration
      // hash. The stored reward stands; nothing to append.
      Effect.catchTag("EventIdConflict", (e) =>
        Effect.logWarning(
          `reward of session ${sessionId} revision ${revision} already stored with other content (${e.reason}); kept`,
          { trigger: trigger.eventId }
        ))
    )

  /** Scores the session `row` triggers, if any; true when it stored a reward (and moved the checkpoint). */
  const handle = (row: RecordedEvent) =>
    Effect.gen(function*() {
      const decoded = decodeRecorded(row)
      if (Either.isLeft(decoded)) {
        yield* Effect.logWarning(`reward actor: cannot decode event at ${row.position}; skipped`, decoded.left.message)
        return false
      }
      const event = decoded.right.event
      const id = "sessionId" in event ? event.sessionId : undefined
      if (id === undefined) return false
      const sessionId = SessionId.make(id)
      const known = scored.byId.get(sessionId)
      const ending = endingTags.has(event._tag)
      if (ending ? known !== undefined : known === undefined || known.lastTrigger >= row.position) return false
      const events = (yield* log.readStream(sessionStream(sessionId))).filter((e) => e.position <= row.position)
      let baseline: ComparableBaseline
      let state: ScoredSessionState
      if (known === undefined) {
        const atEnd = baselineAtEnd(events, scored.before(row.position))
        baseline = atEnd.baseline
        state = { sessionId, endPosition: row.position, summary: atEnd.summary, revision: 1, lastTrigger: row.position }
      } else {
        baseline = computeBaseline(scored.before(known.endPosition), { category: known.summary.category })
        state = { ...known, revision: known.revision + 1, lastTrigger: row.position }
      }
      const { session, turns } = evaluateAt(events, baseline, config)
      const common = {
        sessionId,
        config,
        revision: state.revision,
        promptName: session.promptName === undefined ? undefined : PromptName.make(session.promptName),
        promptVersion: session.promptVersion === undefined ? undefined : PromptVersionId.make(session.promptVersion),
        category: session.category
      }
      const metadata = { causationId: row.eventId, correlationId: sessionId, actor: "reward-evaluator" }
      const rewards: Array<NewEvent> = [
        { event: rewardAssigned({ ...common, result: session }), eventId: rewardEventId(sessionId, evaluator, state.revision), metadata },
        ...turns.map((turn): NewEvent => ({
          event: rewardAssigned({ ...common, result: turn, turn: turn.turn }),
          eventId: rewardEventId(sessionId, evaluator, state.revision, turn.turn),
          metadata
        }))
      ]
      yield* appendRewards(sessionId, state.revision, row, rewards)
      yield* sql.withTransaction(Effect.zipRight(
        saveScored(evaluator.hash, state),
        advanceCheckpoint(checkpoint, row.position)
      )).pipe(withSql)
      scored.add(state)
      return true
    })

  /**
   * Handles the triggers among `rows` (ascending) past the cursor, then moves the cursor to the last row. The
   * stored checkpoint moves with every trigger (in the trigger's transaction); pages without one only move it
   * every CHECKPOINT_EVERY positions, as replaying them after a restart does nothing.
   */
  let persisted = yield* SubscriptionRef.get(cursor)
  const processRows = (rows: ReadonlyArray<RecordedEvent>) =>
    Effect.gen(function*() {
      let position = yield* SubscriptionRef.get(cursor)
      const start = position
      for (const row of rows) {
        if (row.position <= position) continue
        if (row.streamId.startsWith("session-") && isRewardTrigger(row.type) && (yield* handle(row))) {
          persisted = row.position
        }
        position = row.position
      }
      if (position > start) {
        if (position - persisted >= CHECKPOINT_EVERY) {
          yield* withSql(advanceCheckpoint(checkpoint, position))
          persisted = position
        }
        yield* SubscriptionRef.set(cursor, position)
      }
    })

  /** Applies the log up to its head as of now, first adopting a checkpoint another process moved further. */
  const drain = Effect.gen(function*() {
    const target = yield* log.head
    const stored = yield* withSql(readCheckpoint(checkpoint))
    if (stored > (yield* SubscriptionRef.get(cursor))) {
      scored.reset(yield* withSql(loadScored(evaluator.hash)))
      yield* SubscriptionRef.set(cursor, stored)
      persisted = stored
    }
    while ((yield* SubscriptionRef.get(cursor)) < target) {
      const rows = yield* log.readAllRaw((yield* SubscriptionRef.get(cursor)) + 1, pageSize)
      if (rows.length === 0) break
      yield* processRows(rows)
    }
  })

  /** Scores every session that ended (and all feedback) up to the log's head as of the call. */
  const catchUp = Effect.fn("RewardEvaluator.catchUp")(function*() {
    yield* lock.withPermits(1)(drain)
    return yield* SubscriptionRef.get(cursor)
  })

  const follow = Effect.gen(function*() {
    yield* lock.withPermits(1)(drain)
    yield* log.subscribeRaw((yield* SubscriptionRef.get(cursor)) + 1, { pageSize, linger }).pipe(
      Stream.runForEachChunk((chunk) => lock.withPermits(1)(processRows([...chunk])))
    )
  })

  /** Runs until interrupted: catch up, then follow the log live; failures are logged and retried. */
  const live = follow.pipe(
    Effect.sandbox,
    Effect.tapError((cause) => Effect.logError("reward actor failed; retrying", cause)),
    Effect.retry(retrySchedule),
    Effect.forever,
    Effect.annotateLogs({ service: "RewardEvaluator", evaluator: `${evaluator.name}@${evaluator.version}` })
  )

  return { evaluator, checkpoint, position: SubscriptionRef.get(cursor), catchUp, live } as const
})

/**
 * `RewardEvaluator.Default` runs nothing in the background (call `catchUp`); `RewardEvaluator.Live` follows the
 * log for the layer's lifetime and, when the layer closes, catches up once more (bounded) so a one-shot process
 * such as `tau run` leaves its own session scored.
 */
export class RewardEvaluator extends Effect.Service<RewardEvaluator>()("tau/actors/reward/RewardEvaluator", {
  scoped: make
}) {
  static readonly Live = Layer.scopedDiscard(Effect.gen(function*() {
    const actor = yield* RewardEvaluator
    yield* Effect.forkScoped(actor.live)
    yield* Effect.addFinalizer(() =>
      actor.catchUp().pipe(
        Effect.timeout("10 seconds"),
        Effect.catchAllCause((cause) => Effect.logWarning("reward actor: final catch-up did not finish", cause))
      )
    )
  })).pipe(Layer.provideMerge(RewardEvaluator.Default))
}
