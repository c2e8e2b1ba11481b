import { assert, describe, it } from "@effect/vitest"
import { Either, Effect, FastCheck as fc, Layer, Option } from "effect"
import {
  ModelName,
  newSessionId,
  PromptName,
  PromptVersionId,
  type SessionId,
  ToolCallId,
  ToolName
} from "../../src/domain/Ids.ts"
import { EventLog } from "../../src/events/EventLog.ts"
import { decodeRecorded } from "../../src/events/EventLogCore.ts"
import { sessionStream, streamKind } from "../../src/events/Streams.ts"
import {
  FeedbackReceived,
  ModelRequested,
  ModelResponded,
  SessionAbandoned,
  SessionCancelled,
  SessionCompleted,
  SessionFailed,
  SessionStarted,
  type TauEvent,
  ToolCallCompleted,
  ToolCallFailed,
  ToolCallRequested,
  UserMessageReceived
} from "../../src/events/TauEvent.ts"
import { ProjectionRunner } from "../../src/projections/ProjectionRunner.ts"
import { endingOf, SessionsProjection } from "../../src/projections/SessionsProjection.ts"
import type { SessionSummary } from "../../src/projections/SessionsQuery.ts"
import { sessionSummaryToJson, SessionsQuery } from "../../src/projections/SessionsQuery.ts"
import { describePg } from "../support/Pg.ts"
import { caughtUp, pgBackend, readWholeLog, sqliteBackend, stream, world } from "./support.ts"
import type { Backend } from "./support.ts"

type Row = typeof SessionSummary.Encoded

const plain = (s: SessionSummary): Row => sessionSummaryToJson(s)

const byId = (a: Row, b: Row) => (a.sessionId < b.sessionId ? -1 : a.sessionId > b.sessionId ? 1 : 0)

/** The sessions table computed in memory from the log: what the projection must hold. */
const foldSessions = (events: ReadonlyArray<{ readonly streamId: string; readonly event: TauEvent; readonly recordedAt: Date }>) => {
  const rows = new Map<string, Row>()
  for (const { event, recordedAt, streamId } of events) {
    const id = "sessionId" in event ? event.sessionId : undefined
    if (streamKind(streamId) !== "session" || id === undefined) continue
    const at = recordedAt.toISOString()
    const row = rows.get(id)
    if (event._tag === "SessionStarted") {
      if (row !== undefined) continue
      rows.set(id, {
        sessionId: id,
        status: "active",
        mode: event.mode ?? "chat",
        source: event.source,
        model: event.model,
        promptName: event.promptName,
        promptVersion: event.promptVersion,
        workspace: event.workspace ?? null,
        userId: event.userId ?? null,
        turns: 0,
        promptTokens: 0,
        completionTokens: 0,
        costUsd: 0,
        toolCalls: 0,
        failedToolCalls: 0,
        endReason: null,
        startedAt: at,
        endedAt: null,
        lastActivityAt: at
      })
      continue
    }
    if (row === undefined) continue
    let next: Row = { ...row, lastActivityAt: at }
    if (event._tag === "ModelRequested") next = { ...next, turns: event.turn }
    if (event._tag === "ModelResponded") {
      next = {
        ...next,
        promptTokens: next.promptTokens + event.usage.promptTokens,
        completionTokens: next.completionTokens + event.usage.completionTokens,
        costUsd: next.costUsd + (event.costUsd ?? 0)
      }
    }
    if (event._tag === "ToolCallRequested") next = { ...next, toolCalls: next.toolCalls + 1 }
    if (event._tag === "ToolCallFailed") next = { ...next, failedToolCalls: next.failedToolCalls + 1 }
    const ending = endingOf(event)
    if (ending !== undefined && row.status === "active") {
      next = { ...next, status: ending.status, endReason: ending.reason, endedAt: at }
    }
    rows.set(id, next)
  }
  return [...rows.values()].sort(byId)
}

const started = (sessionId: SessionId, mode: "chat" | "task") =>
  new SessionStarted({
    sessionId,
    workspace: "/tmp/w",
    model: ModelName.make("test-model"),
    promptName: PromptName.make("default"),
    promptVersion: PromptVersionId.make("default@1"),
    heuristicIds: [],
    maxTurns: 8,
    source: "test",
    mode
  })

const Step = fc.oneof(
  fc.constant({ _tag: "request" as const }),
  fc.record({
    _tag: fc.constant("respond" as const),
    prompt: fc.integer({ min: 0, max: 5000 }),
    completion: fc.integer({ min: 0, max: 2000 }),
    cost: fc.option(fc.integer({ min: 0, max: 100_000 }).map((n) => n / 1_000_000), { nil: undefined })
  }),
  fc.constant({ _tag: "tool" as const }),
  fc.constant({ _tag: "toolFailed" as const }),
  fc.constant({ _tag: "toolCompleted" as const }),
  fc.constant({ _tag: "user" as const }),
  fc.constant({ _tag: "feedback" as const }),
  fc.record({ _tag: fc.constant("end" as const), kind: fc.integer({ min: 0, max: 3 }) })
)
type Step = typeof Step extends fc.Arbitrary<infer A> ? A : never

const SessionSpec = fc.record({
  started: fc.integer({ min: 0, max: 9 }).map((n) => n < 8),
  mode: fc.constantFrom("chat" as const, "task" as const),
  steps: fc.array(Step, { maxLength: 14 }),
  chunk: fc.integer({ min: 1, max: 4 })
})

const eventsOf = (sessionId: SessionId, spec: typeof SessionSpec extends fc.Arbitrary<infer A> ? A : never) => {
  let turn = 0
  const t = () => Math.max(1, turn)
  const call = { sessionId, toolCallId: ToolCallId.make("c1"), name: ToolName.make("read_file") }
  const events: Array<TauEvent> = spec.started ? [started(sessionId, spec.mode)] : []
  const stepEvent = (step: Step, i: number): TauEvent => {
    switch (step._tag) {
      case "request":
        turn++
        return new ModelRequested({
          sessionId,
          turn: t(),
          model: ModelName.make("test-model"),
          messageCount: 2,
          toolsOffered: [],
          params: { stream: true, logprobs: false }
        })
      case "respond":
        return new ModelResponded({
          sessionId,
          turn: t(),
          model: ModelName.make("test-model"),
          content: "ok",
          toolCalls: [],
          finishReason: "stop",
          usage: { promptTokens: step.prompt, completionTokens: step.completion, totalTokens: step.prompt + step.completion },
          latencyMs: 5,
          ...(step.cost === undefined ? {} : { costUsd: step.cost }),
          attempts: 1
        })
      case "tool":
        return new ToolCallRequested({ ...call, turn: t(), arguments: "{}", executor: "server" })
      case "toolFailed":
        return new ToolCallFailed({ ...call, turn: t(), reason: "error", message: "no", durationMs: 1 })
      case "toolCompleted":
        return new ToolCallCompleted({ ...call, turn: t(), output: "x", truncated: false, originalBytes: 1, durationMs: 1 })
      case "user":
        return new UserMessageReceived({ sessionId, content: `m${i}` })
      case "feedback":
        return new FeedbackReceived({ sessionId, rating: 1, source: "cli" })
      case "end":
        return [
          new SessionCompleted({ sessionId, reason: "final_answer", turns: turn }),
          new SessionFailed({ sessionId, reason: "model_error", message: "400", turns: turn }),
          new SessionCancelled({ sessionId, by: "user", turns: turn }),
          new SessionAbandoned({ sessionId, idleMs: 10, turns: turn })
        ][step.kind]!
    }
  }
  spec.steps.forEach((step, i) => events.push(stepEvent(step, i)))
  return events
}

const chunks = <A>(items: ReadonlyArray<A>, size: number): ReadonlyArray<ReadonlyArray<A>> =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, i * size + size))

const tableRows = Effect.flatMap(SessionsQuery, (q) => q.list({ limit: 1000 })).pipe(
  Effect.map((rows) => rows.map(plain).sort(byId))
)

const decodedLog = Effect.map(readWholeLog, (rows) => rows.map((row) => Either.getOrThrow(decodeRecorded(row))))


interface FoldCase {
  readonly sessions: ReadonlyArray<typeof SessionSpec extends fc.Arbitrary<infer A> ? A : never>
  readonly live: boolean
  readonly pageSize: number
  readonly perEvent: boolean
}

/** Appends the sessions' events, lets the projection run, and compares its table with the pure fold (then rebuilds). */
const foldMatches = (backend: Backend, { live, pageSize, perEvent, sessions }: FoldCase) =>
  Effect.gen(function*() {
    const database = yield* backend.fresh
    yield* Effect.gen(function*() {
      const log = yield* EventLog
      const runner = yield* ProjectionRunner
      yield* Effect.forEach(
        sessions,
        (spec) => {
          const id = newSessionId()
          return Effect.forEach(chunks(eventsOf(id, spec), spec.chunk), (batch) => log.append(sessionStream(id), "any", batch), {
            discard: true
          })
        },
        { concurrency: 3, discard: true }
      )
      yield* caughtUp(live)

      const processed = yield* tableRows
      assert.deepStrictEqual(processed, foldSessions(yield* decodedLog))
      yield* runner.rebuild("sessions")
      yield* caughtUp(live)
      assert.deepStrictEqual(yield* tableRows, processed)
    }).pipe(
      Effect.provide(SessionsQuery.Default.pipe(Layer.provideMerge(
        world(database(), [perEvent ? eventByEvent : SessionsProjection], { live, pageSize })
      )))
    )
  })

/** Appends each stream's batches in order, lets the page-at-once projection run, and compares with the pure fold. */
const batchesMatch = (backend: Backend, pageSize: number, streams: ReadonlyArray<readonly [SessionId, ReadonlyArray<ReadonlyArray<TauEvent>>]>) =>
  Effect.gen(function*() {
    const database = yield* backend.fresh
    return yield* Effect.gen(function*() {
      const log = yield* EventLog
      for (const [id, batches] of streams) {
        for (const batch of batches) yield* log.append(sessionStream(id), "any", batch)
      }
      yield* caughtUp(false)
      const processed = yield* tableRows
      assert.deepStrictEqual(processed, foldSessions(yield* decodedLog))
      return processed
    }).pipe(
      Effect.provide(SessionsQuery.Default.pipe(Layer.provideMerge(world(database(), [SessionsProjection], { live: false, pageSize }))))
    )
  })

/** The projection without its page-at-once `applyAll`: the runner then applies event by event (its fallback path). */
const { applyAll: _pageAtOnce, ...eventByEvent } = SessionsProjection

const suite = (backend: Backend, numRuns: number) => {
  it.scopedLive("list filters by status, newest first; get finds one row", () =>
    Effect.gen(function*() {
      const database = yield* backend.fresh
      yield* Effect.gen(function*() {
        const log = yield* EventLog
        const a = newSessionId()
        const b = newSessionId()
        yield* log.append(sessionStream(a), "no_stream", [started(a, "task")])
        yield* log.append(sessionStream(b), "no_stream", [
          started(b, "chat"),
          new SessionCompleted({ sessionId: b, reason: "ended_by_user", turns: 0 })
        ])
        yield* log.append(stream("misc-1"), "no_stream", [started(newSessionId(), "chat")])
        yield* (yield* ProjectionRunner).catchUp()
        const query = yield* SessionsQuery
        assert.deepStrictEqual((yield* query.list()).map((s) => s.sessionId), [b, a])
        assert.deepStrictEqual((yield* query.list({ status: "active" })).map((s) => s.sessionId), [a])
        const done = Option.getOrThrow(yield* query.get(b))
        assert.strictEqual(done.status, "completed")
        assert.deepStrictEqual(done.endReason, Option.some("ended_by_user"))
        assert.isTrue(Option.isSome(done.endedAt))
        assert.isTrue(Option.isNone(yield* query.get(newSessionId())))
      }).pipe(Effect.provide(SessionsQuery.Default.pipe(Layer.provideMerge(world(database(), [SessionsProjection])))))
    }))

  it.scopedLive.prop(
    "the sessions table equals a pure fold of the log (page at once and event by event), and a rebuild equals what live processing wrote",
    {
      sessions: fc.array(SessionSpec, { minLength: 1, maxLength: 6 }),
      live: fc.boolean(),
      pageSize: fc.integer({ min: 1, max: 8 }),
      perEvent: fc.boolean()
    },
    (input) => foldMatches(backend, input),
    { timeout: 120_000, fastCheck: { numRuns } }
  )

  it.scopedLive("a page with two costs and two endings folds as event by event: costs in order, the first ending counts", () =>
    foldMatches(backend, {
      sessions: [{
        started: true,
        mode: "chat",
        steps: [
          { _tag: "respond", prompt: 1, completion: 2, cost: 0.1 },
          { _tag: "respond", prompt: 3, completion: 4, cost: 0.2 },
          { _tag: "end", kind: 1 },
          { _tag: "end", kind: 0 }
        ],
        chunk: 1
      }],
      live: false,
      pageSize: 8,
      perEvent: false
    }))

  it.scopedLive("a second SessionStarted inserts nothing: the first one's row gets the later events, in the same page or a later one", () =>
    Effect.gen(function*() {
      const a = newSessionId()
      const b = newSessionId()
      const respond = (sessionId: SessionId, cost: number) =>
        new ModelResponded({
          sessionId,
          turn: 1,
          model: ModelName.make("test-model"),
          content: "ok",
          toolCalls: [],
          finishReason: "stop",
          usage: { promptTokens: 3, completionTokens: 4, totalTokens: 7 },
          latencyMs: 5,
          costUsd: cost,
          attempts: 1
        })
      const rows = yield* batchesMatch(backend, 3, [
        // a: both starts in one page (page size 3), then more events; b: its second start in a later page.
        [a, [[started(a, "task"), started(a, "chat"), respond(a, 0.1)], [respond(a, 0.2)]]],
        [b, [[started(b, "chat")], [respond(b, 0.3), started(b, "task"), respond(b, 0.4)], [
          new SessionCompleted({ sessionId: b, reason: "final_answer", turns: 1 })
        ]]]
      ])
      const [rowA, rowB] = [rows.find((r) => r.sessionId === a)!, rows.find((r) => r.sessionId === b)!]
      assert.strictEqual(rowA.mode, "task")
      assert.strictEqual(rowA.promptTokens, 6)
      assert.strictEqual(rowB.mode, "chat")
      assert.strictEqual(rowB.costUsd, 0.3 + 0.4)
      assert.strictEqual(rowB.status, "completed")
    }))

  it.scopedLive("a page with more costs than one UPDATE adds folds in several UPDATEs, in order", () =>
    foldMatches(backend, {
      sessions: [{
        started: true,
        mode: "task",
        steps: Array.from({ length: 450 }, (_, i) => ({ _tag: "respond" as const, prompt: i, completion: 1, cost: (i + 1) / 1e6 })),
        chunk: 150
      }],
      live: false,
      pageSize: 1000,
      perEvent: false
    }), 60_000)
}

describe("sessions projection [sqlite]", () => suite(sqliteBackend, 100))
describePg("sessions projection", () => suite(pgBackend, 6))
