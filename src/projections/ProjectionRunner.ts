/**
 * Runs projections: prepares them on start (a changed version rebuilds from position 1), keeps them live by
 * following the log, and offers status, catch-up and rebuild to the CLI and admin API.
 *
 * Every page of events goes through `processGroupPage` (one transaction: the writes of every projection in the
 * page and their checkpoints), so a projection is updated exactly once per event whatever crashes or restarts in
 * between. The live projections share one pipeline: one subscription, one decode and one transaction per page.
 */
import {
  Chunk,
  Config,
  Duration,
  Effect,
  Either,
  FiberHandle,
  FiberMap,
  Layer,
  Option,
  Queue,
  Ref,
  Schedule,
  Stream,
  SubscriptionRef
} from "effect"
import { SqlClient } from "@effect/sql"
import { SqlError } from "@effect/sql/SqlError"
import type { RecordedEvent } from "../events/Envelope.ts"
import { EventLog } from "../events/EventLog.ts"
import {
  allCheckpoints,
  clearDeadLetters,
  deadLetterCounts,
  listDeadLetters,
  lockProjection,
  writeCheckpoint
} from "./Checkpoints.ts"
import { ProjectionNotFound, ProjectionStatus } from "./Projection.ts"
import type { Projection, ProjectionState } from "./Projection.ts"
import { processGroupPage } from "./ProjectionPage.ts"
import type { CheckpointMoved, PageMember, PageOutcome } from "./ProjectionPage.ts"
import { RegisteredProjections } from "./projections.ts"

export const ProjectionRunnerConfig = Config.all({
  /** Most events applied per transaction. */
  pageSize: Config.integer("TAU_PROJECTION_PAGE_SIZE").pipe(
    Config.validate({ message: "must be between 1 and 10000", validation: (n) => n >= 1 && n <= 10_000 }),
    Config.withDefault(500)
  ),
  /**
   * How long the live pipeline lets commits gather before applying them in one page (SubscribeOptions.linger):
   * a turn's appends become one transaction instead of one each, applied after the reply rather than during it.
   */
  linger: Config.integer("TAU_PROJECTION_LINGER_MS").pipe(
    Config.validate({ message: "must be between 0 and 1000", validation: (n) => n >= 0 && n <= 1000 }),
    Config.withDefault(50),
    Config.map(Duration.millis)
  )
})

/** Retries a failed live loop (database unreachable, …): 200 ms doubling, capped at 30 s, jittered. */
const retrySchedule = Schedule.exponential("200 millis").pipe(
  Schedule.either(Schedule.spaced("30 seconds")),
  Schedule.jittered
)

interface Slot {
  readonly projection: Projection
  readonly state: Ref.Ref<ProjectionState>
  /** Last position this process saw committed; `waitFor` watches it. */
  readonly checkpoint: SubscriptionRef.SubscriptionRef<number>
  /** One processor per projection in this process (live pipeline, join, catch-up, rebuild). */
  readonly lock: Effect.Semaphore
}

const make = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const log = yield* EventLog
  const projections = yield* RegisteredProjections
  const { linger, pageSize } = yield* ProjectionRunnerConfig

  const names = new Set(projections.map((p) => p.name))
  if (names.size !== projections.length) return yield* Effect.dieMessage("projection names must be unique")

  const slots: ReadonlyArray<Slot> = yield* Effect.forEach(projections, (projection) =>
    Effect.all({
      projection: Effect.succeed(projection),
      state: Ref.make<ProjectionState>("stopped"),
      checkpoint: SubscriptionRef.make(0),
      lock: Effect.makeSemaphore(1)
    }))
  const withSql = Effect.provideService(SqlClient.SqlClient, sql)

  const select = (name: string | undefined) => {
    if (name === undefined) return Effect.succeed(slots)
    const slot = slots.find((s) => s.projection.name === name)
    return slot === undefined ? Effect.fail(new ProjectionNotFound({ name })) : Effect.succeed([slot])
  }

  const resetTables = ({ projection }: Slot) =>
    Effect.gen(function*() {
      yield* projection.teardown
      yield* projection.setup
      yield* clearDeadLetters(projection.name)
      yield* writeCheckpoint({ name: projection.name, version: projection.version, position: 0 })
    })

  /** The checkpoint to continue from; first resets the projection if it has none or its version changed. */
  const prepare = (slot: Slot) =>
    sql.withTransaction(Effect.gen(function*() {
      const { name, version } = slot.projection
      const stored = yield* lockProjection(name)
      if (Option.isSome(stored) && stored.value.version === version) return stored.value.position
      yield* Effect.logInfo(
        Option.match(stored, {
          onNone: () => `projection ${name}: new, building from position 1`,
          onSome: (s) => `projection ${name}: version ${s.version} -> ${version}, rebuilding from position 1`
        })
      )
      yield* resetTables(slot)
      return 0
    })).pipe(withSql, Effect.tap((position) => SubscriptionRef.set(slot.checkpoint, position)))

  const reset = (slot: Slot) =>
    sql.withTransaction(Effect.zipRight(lockProjection(slot.projection.name), resetTables(slot))).pipe(
      withSql,
      Effect.zipRight(SubscriptionRef.set(slot.checkpoint, 0))
    )

  /** One page for `slot` alone; after `CheckpointMoved`, continues from the stored checkpoint (re-prepared). */
  const applyPage = (slot: Slot, rows: ReadonlyArray<RecordedEvent>, cursor: number) =>
    processGroupPage([{ projection: slot.projection, expected: cursor }], rows).pipe(
      withSql,
      Effect.flatMap(([outcome]) => settle(slot, outcome!))
    )

  const logMoved = (slot: Slot, moved: CheckpointMoved) =>
    Effect.logInfo(`projection checkpoint moved (${moved.reason}) by another processor; continuing from it`).pipe(
      Effect.annotateLogs({ projection: slot.projection.name })
    )

  /** Records a page outcome of `slot` alone; a moved checkpoint is re-prepared. Returns its position. */
  const settle = (slot: Slot, outcome: PageOutcome) =>
    Either.match(outcome, {
      onRight: (result) => Effect.as(SubscriptionRef.set(slot.checkpoint, result.position), result.position),
      onLeft: (moved) => Effect.zipRight(logMoved(slot, moved), prepare(slot))
    })

  /** Applies `slot` alone from its checkpoint up to `target` (at least). Caller holds the slot's lock. */
  const fill = (slot: Slot, target: number) =>
    Effect.gen(function*() {
      let cursor = yield* SubscriptionRef.get(slot.checkpoint)
      while (cursor < target) {
        const rows = yield* log.readAllRaw(cursor + 1, pageSize)
        if (rows.length === 0) break
        cursor = yield* applyPage(slot, rows, cursor)
      }
      return cursor
    })

  /** Applies everything up to the head as of now. Caller holds the slot's lock. */
  const drain = (slot: Slot) =>
    Effect.gen(function*() {
      const target = yield* log.head
      yield* prepare(slot)
      return yield* fill(slot, target)
    })

  // A caller waiting for a position (catchUp, waitFor: read-your-writes) cuts the pipeline's linger short: it
  // signals whenever the projection is still short of its position (a signal left over shortens a later linger).
  const hurry = yield* Queue.sliding<void>(1)
  const lingerOrHurry = Duration.toMillis(linger) > 0 ? Effect.raceFirst(Effect.sleep(linger), Queue.take(hurry)) : Effect.void

  const awaitPosition = (slot: Slot, position: number) =>
    slot.checkpoint.changes.pipe(
      Stream.tap((n) => (n < position ? Queue.offer(hurry, undefined) : Effect.void)),
      Stream.filter((n) => n >= position),
      Stream.take(1),
      Stream.runDrain
    )

  /*
   * The live pipeline: one fibre follows the log once for every live projection (the members). Each page is
   * decoded once and applied to all members in one transaction. `pipelineAt` is the last position the pipeline
   * has applied; a member is never behind it when a page starts (joins and moved checkpoints are filled first),
   * so no member skips or repeats an event. Membership only changes under `group`, which every page holds.
   */
  const members = new Set<Slot>()
  const group = yield* Effect.makeSemaphore(1)
  let pipelineAt = 0
  const pipeline = yield* FiberHandle.make<never, never>()
  /** Projections started live in this process: joining (a fibre in `joins`) or members. */
  const started = new Set<string>()
  const joins = yield* FiberMap.make<string>()
  // Both run from the runner's own runtime: a rebuild asked over HTTP starts them from its request's fibre, whose
  // context (the request, the caller, its span) they would otherwise keep for the life of the process.
  const runJoin = yield* FiberMap.runtime(joins)<never>()
  const runPipeline = yield* FiberHandle.runtime(pipeline)<never>()

  const withLocks = <A, E, R>(locked: ReadonlyArray<Slot>, self: Effect.Effect<A, E, R>) =>
    locked.reduceRight((inner, slot) => slot.lock.withPermits(1)(inner), self)

  /** Applies one page to every member. Runs under `group`. */
  const pipelinePage = (rows: ReadonlyArray<RecordedEvent>) => Effect.suspend(() => {
    // Read under `group`: membership may have changed while this page waited for it.
    const current = slots.filter((s) => members.has(s))
    const last = rows[rows.length - 1]!.position
    if (current.length === 0) return Effect.sync(() => void (pipelineAt = last))
    return withLocks(
      current,
      Effect.gen(function*() {
        const page: Array<PageMember> = []
        for (const slot of current) {
          let expected = yield* SubscriptionRef.get(slot.checkpoint)
          if (expected < pipelineAt) expected = yield* fill(slot, pipelineAt)
          page.push({ projection: slot.projection, expected })
        }
        const outcomes = yield* withSql(processGroupPage(page, rows))
        for (let i = 0; i < current.length; i++) {
          const slot = current[i]!
          const outcome = outcomes[i]!
          if (Either.isRight(outcome)) {
            yield* SubscriptionRef.set(slot.checkpoint, outcome.right.position)
            continue
          }
          // Only this member leaves: it re-prepares (rebuilding if another version reset it) and joins again.
          yield* logMoved(slot, outcome.left)
          members.delete(slot)
          yield* Ref.set(slot.state, "catching-up")
          yield* Effect.sync(() => runJoin(slot.projection.name, joinLoop(slot)))
        }
        pipelineAt = last
      })
    )
  })

  const follow = Effect.suspend(() =>
    log.subscribeRaw(pipelineAt + 1, { pageSize, linger: lingerOrHurry }).pipe(
      Stream.runForEachChunk((chunk) =>
        Effect.gen(function*() {
          const rows = Chunk.toReadonlyArray(chunk)
          for (let i = 0; i < rows.length; i += pageSize) {
            yield* group.withPermits(1)(pipelinePage(rows.slice(i, i + pageSize)))
          }
        })
      ),
      Effect.zipRight(Effect.never)
    )
  )

  const pipelineLoop = follow.pipe(
    Effect.sandbox,
    Effect.tapError((cause) => Effect.logError("projection loop failed; retrying", cause)),
    Effect.retry(retrySchedule),
    Effect.catchAll(() => Effect.never),
    Effect.annotateLogs({ service: "ProjectionRunner", pipeline: "live" })
  )

  /**
   * Brings `slot` to the head under its lock, then (under `group`) to the pipeline's position, and makes it a
   * member; the first member starts the pipeline at its own position.
   */
  const join = (slot: Slot) =>
    slot.lock.withPermits(1)(Effect.gen(function*() {
      const cursor = yield* prepare(slot)
      const target = yield* log.head
      yield* Ref.set(slot.state, cursor >= target ? "live" : "catching-up")
      yield* fill(slot, target)
      yield* group.withPermits(1)(Effect.gen(function*() {
        if (members.size === 0) {
          pipelineAt = yield* SubscriptionRef.get(slot.checkpoint)
          yield* Effect.sync(() => runPipeline(pipelineLoop))
        } else {
          yield* fill(slot, pipelineAt)
        }
        members.add(slot)
        yield* Ref.set(slot.state, "live")
      }))
    }))

  const joinLoop = (slot: Slot): Effect.Effect<void> =>
    join(slot).pipe(
      Effect.sandbox,
      Effect.tapError((cause) => Effect.logError("projection loop failed; retrying", cause)),
      Effect.retry(retrySchedule),
      Effect.catchAll(() => Effect.void),
      Effect.onInterrupt(() => Ref.set(slot.state, "stopped")),
      Effect.annotateLogs({ service: "ProjectionRunner", projection: slot.projection.name })
    )

  const startSlot = (slot: Slot) =>
    Effect.gen(function*() {
      if (started.has(slot.projection.name)) return
      started.add(slot.projection.name)
      yield* Effect.sync(() => runJoin(slot.projection.name, joinLoop(slot)))
    })

  const stopSlot = (slot: Slot) =>
    Effect.gen(function*() {
      if (!started.delete(slot.projection.name)) return
      yield* FiberMap.remove(joins, slot.projection.name)
      yield* group.withPermits(1)(Effect.gen(function*() {
        members.delete(slot)
        if (members.size === 0) yield* FiberHandle.clear(pipeline)
      }))
      yield* Ref.set(slot.state, "stopped")
    })

  /** Storage failures of our own tables are defects for callers (STYLE rule 4); the live loop retries them. */
  const sqlDefects = <A, E, R>(self: Effect.Effect<A, E | SqlError, R>): Effect.Effect<A, E, R> =>
    Effect.catchIf(self, (e): e is SqlError => e instanceof SqlError, Effect.die) as Effect.Effect<A, E, R>

  /** Starts the live fibres of `name` (or all); a no-op for those already running. */
  const startLive = Effect.fn("ProjectionRunner.startLive")(function*(name?: string) {
    yield* Effect.forEach(yield* select(name), startSlot, { discard: true })
  })

  const stopLive = Effect.fn("ProjectionRunner.stopLive")(function*(name?: string) {
    yield* Effect.forEach(yield* select(name), stopSlot, { discard: true })
  })

  /** Returns once `name` (or every projection) has applied the log up to its head as of the call. */
  const catchUp = Effect.fn("ProjectionRunner.catchUp")(function*(name?: string) {
    for (const slot of yield* select(name)) {
      if (started.has(slot.projection.name)) {
        yield* awaitPosition(slot, yield* log.head)
        continue
      }
      yield* slot.lock.withPermits(1)(
        Effect.zipRight(Ref.set(slot.state, "catching-up"), drain(slot)).pipe(
          Effect.ensuring(Ref.set(slot.state, "stopped"))
        )
      )
    }
  }, sqlDefects)

  /** Drops and rebuilds `name` (or all) from position 1, pausing its live fibre meanwhile. */
  const rebuild = Effect.fn("ProjectionRunner.rebuild")(function*(name?: string) {
    for (const slot of yield* select(name)) {
      const wasLive = started.has(slot.projection.name)
      yield* stopSlot(slot)
      yield* Effect.logInfo(`projection ${slot.projection.name}: rebuilding from position 1`)
      yield* Ref.set(slot.state, "rebuilding")
      yield* slot.lock.withPermits(1)(Effect.zipRight(reset(slot), drain(slot))).pipe(
        Effect.ensuring(
          wasLive ? Effect.zipRight(Ref.set(slot.state, "live"), startSlot(slot)) : Ref.set(slot.state, "stopped")
        )
      )
    }
  }, sqlDefects)

  /** Waits (without driving anything) until `name` (or every projection) has applied `position`. */
  const waitFor = Effect.fn("ProjectionRunner.waitFor")(function*(position: number, name?: string) {
    yield* Effect.forEach(yield* select(name), (slot) => awaitPosition(slot, position), { discard: true })
  })

  const status = Effect.fn("ProjectionRunner.status")(function*() {
    const head = yield* log.head
    const checkpoints = yield* withSql(allCheckpoints)
    const deadLetters = yield* withSql(deadLetterCounts)
    return yield* Effect.forEach(slots, ({ projection, state }) =>
      Effect.map(Ref.get(state), (state) => {
        const stored = checkpoints.get(projection.name)
        const position = stored !== undefined && stored.version === projection.version ? stored.position : 0
        return new ProjectionStatus({
          name: projection.name,
          version: projection.version,
          position,
          head,
          lag: Math.max(0, head - position),
          deadLetters: deadLetters.get(projection.name) ?? 0,
          state
        })
      }))
  }, sqlDefects)

  const deadLetters = Effect.fn("ProjectionRunner.deadLetters")(function*(name?: string) {
    if (name !== undefined) yield* select(name)
    return yield* withSql(listDeadLetters(name))
  }, sqlDefects)

  yield* Effect.forEach(slots, prepare, { discard: true })

  return {
    projections: slots.map((s) => s.projection),
    status,
    catchUp,
    rebuild,
    waitFor,
    deadLetters,
    startLive,
    stopLive
  } as const
})

/**
 * `ProjectionRunner.Default` prepares the projections but runs nothing in the background (one-shot CLI
 * commands call `catchUp`); `ProjectionRunner.Live` also keeps every projection live for the layer's lifetime.
 */
export class ProjectionRunner extends Effect.Service<ProjectionRunner>()("tau/projections/ProjectionRunner", {
  scoped: make
}) {
  static readonly Live = Layer.effectDiscard(Effect.flatMap(ProjectionRunner, (runner) => runner.startLive())).pipe(
    Layer.provideMerge(ProjectionRunner.Default)
  )
}
