/**
 * Handlers of `TauRpcs`: they only orchestrate Sessions, the event log, SessionsQuery and the ProjectionRunner.
 * The caller (set by RpcAuth) is `currentCaller`. Storage failures of the log are defects (STYLE rule 4). Events
 * go out as the typed HTTP API sends them (src/http/events/Wire.ts: no key hashes).
 */
import { Duration, Effect, Layer, Option, Stream } from "effect"
import { ModelNotConfigured } from "../../agent/llm/Errors.ts"
import { Sessions } from "../../actors/session/Sessions.ts"
import { Position } from "../../domain/Ids.ts"
import type { RecordedEvent } from "../../events/Envelope.ts"
import { EventLog } from "../../events/EventLog.ts"
import { sessionStream } from "../../events/Streams.ts"
import { ProjectionNotFound } from "../../projections/Projection.ts"
import { ProjectionRunner } from "../../projections/ProjectionRunner.ts"
import { SessionsQuery } from "../../projections/SessionsQuery.ts"
import { SessionNotFound } from "../../actors/session/Errors.ts"
import { currentCaller } from "../Caller.ts"
import { matches, recordedToJson } from "../events/Wire.ts"
import { SessionOwners } from "../SessionOwners.ts"
import { TauRpcs } from "./Rpcs.ts"
import type { EventFilter } from "./Schemas.ts"

/** How long GetSession waits for the sessions projection to catch up with a session that is in the log. */
const readYourWritesWait = Duration.seconds(2)

/** Rows scanned at most by one ReadEvents call when filters skip most of them. */
const maxScan = 20_000

const matching = (filter: EventFilter) =>
  matches({
    stream: filter.streamPrefix,
    types: filter.types === undefined || filter.types.length === 0 ? undefined : new Set(filter.types)
  })

/** Cancel and feedback never start a model call, so a missing model cannot fail them. */
const noModelNeeded = <A, E, R>(self: Effect.Effect<A, E | ModelNotConfigured, R>): Effect.Effect<A, Exclude<E, ModelNotConfigured>, R> =>
  Effect.catchIf(self, (e): e is ModelNotConfigured => e instanceof ModelNotConfigured, Effect.die) as Effect.Effect<
    A,
    Exclude<E, ModelNotConfigured>,
    R
  >

export const TauRpcsLive = TauRpcs.toLayer(Effect.gen(function*() {
  const sessions = yield* Sessions
  const log = yield* EventLog
  const query = yield* SessionsQuery
  const runner = yield* ProjectionRunner
  const owners = yield* SessionOwners

  const head = Effect.orDie(log.head)

  const getSession = Effect.fn("TauRpcs.GetSession")(function*(sessionId: Parameters<typeof sessionStream>[0]) {
    const row = yield* query.get(sessionId)
    if (Option.isSome(row)) return row.value
    if ((yield* Effect.orDie(log.streamVersion(sessionStream(sessionId)))) === 0) {
      return yield* new SessionNotFound({ sessionId })
    }
    // In the log but not yet projected (a session started a moment ago): wait for the projection, briefly.
    yield* runner.waitFor(yield* head, "sessions").pipe(Effect.timeout(readYourWritesWait), Effect.ignore)
    return yield* Effect.flatten(query.get(sessionId)).pipe(
      Effect.catchTag("NoSuchElementException", () => new SessionNotFound({ sessionId }))
    )
  })

  return {
    ListSessions: (filters) => query.list(filters),
    GetSession: ({ sessionId }) => getSession(sessionId),
    SessionEvents: ({ fromVersion, sessionId }) =>
      Effect.gen(function*() {
        const stream = sessionStream(sessionId)
        const events = yield* Effect.orDie(log.readStreamRaw(stream, fromVersion))
        if (events.length === 0 && (yield* Effect.orDie(log.streamVersion(stream))) === 0) {
          return yield* new SessionNotFound({ sessionId })
        }
        return events.map(recordedToJson)
      }),
    SendMessage: ({ message, ...options }) =>
      Stream.unwrap(Effect.gen(function*() {
        const caller = yield* currentCaller
        if (options.sessionId !== undefined) yield* owners.checkWrite(options.sessionId)
        return sessions.send(message, { ...options, source: "rpc", userId: caller.keyId })
      })),
    CancelSession: ({ sessionId }) =>
      Effect.zipRight(owners.checkWrite(sessionId), sessions.cancel(sessionId, "user")).pipe(noModelNeeded),
    SendFeedback: ({ sessionId, ...feedback }) =>
      Effect.zipRight(owners.checkWrite(sessionId), sessions.feedback(sessionId, { ...feedback, source: "rpc" })).pipe(
        noModelNeeded
      ),
    ReadEvents: ({ fromPosition, limit = 100, ...filter }) =>
      Effect.gen(function*() {
        const keep = matching(filter)
        const last = yield* head
        const found: Array<RecordedEvent> = []
        let next: number = fromPosition ?? 1
        let scanned = 0
        while (found.length < limit && next <= last && scanned < maxScan) {
          const rows = yield* Effect.orDie(log.readAllRaw(next, Math.min(Math.max(limit, 100), maxScan - scanned)))
          if (rows.length === 0) break
          for (const row of rows) {
            next = row.position + 1
            scanned++
            if (keep(row)) found.push(row)
            if (found.length === limit) break
          }
        }
        return {
          events: found.map(recordedToJson),
          nextPosition: Position.make(Math.max(next, fromPosition ?? 1)),
          head: last
        }
      }),
    TailEvents: ({ fromPosition, ...filter }) =>
      Stream.unwrap(Effect.map(fromPosition === undefined ? Effect.map(head, (h) => h + 1) : Effect.succeed(fromPosition), (from) =>
        log.subscribeRaw(from).pipe(
          Stream.orDie,
          Stream.filter(matching(filter)),
          Stream.map(recordedToJson)
        ))),
    ProjectionsStatus: () => Effect.orDie(runner.status()),
    RebuildProjection: ({ name }) =>
      Effect.gen(function*() {
        yield* runner.rebuild(name).pipe(
          Effect.catchIf((e) => !(e instanceof ProjectionNotFound), Effect.die)
        )
        const all = yield* Effect.orDie(runner.status())
        return name === undefined ? all : all.filter((status) => status.name === name)
      })
  }
})).pipe(Layer.provide(SessionOwners.Default))
