// An Effect application that embeds Tau: it provides Tau's layer (SQLite), appends to a stream, follows the
// log, and reads the `streams` projection that Tau keeps live.
import { NodeRuntime } from "@effect/platform-node"
import { Config, Console, Effect, Fiber, Layer, Stream } from "effect"
import {
  EventLog,
  newSessionId,
  ProjectionRunner,
  sessionStream,
  SessionStarted,
  StreamsQuery,
  TauSqlite,
  UserMessageReceived
} from "tau-runtime"
import type { ModelName, PromptName, PromptVersionId } from "tau-runtime"

// The app decides where Tau keeps its log; TauLive would read TAU_DATABASE_URL instead.
const TauLayer = Layer.unwrapEffect(
  Config.string("APP_EVENTS_DB").pipe(
    Config.withDefault("./app-events.db"),
    Effect.map((filename) => TauSqlite({ filename }))
  )
)

const program = Effect.gen(function*() {
  const log = yield* EventLog
  const sessionId = newSessionId()
  const stream = sessionStream(sessionId)

  // Follow the log from the current head: catch-up from storage, then live.
  const from = (yield* log.head) + 1
  const follower = yield* log.subscribe(from).pipe(
    Stream.filter((envelope) => envelope.streamId === stream),
    Stream.take(2),
    Stream.runCollect,
    Effect.fork
  )

  const result = yield* log.append(stream, "no_stream", [
    new SessionStarted({
      sessionId,
      model: "my-model" as ModelName,
      promptName: "default" as PromptName,
      promptVersion: "default@1" as PromptVersionId,
      heuristicIds: [],
      maxTurns: 8,
      source: "cli"
    }),
    new UserMessageReceived({ sessionId, content: "hello from the host app" })
  ])
  yield* Console.log(`appended ${result.positions.length} events, stream version ${result.streamVersion}`)
  for (const envelope of yield* Fiber.join(follower)) {
    yield* Console.log(`followed ${envelope.streamId}@${envelope.streamVersion} ${envelope.event._tag}`)
  }

  // Projections are live: wait until they have applied our append, then query one.
  yield* (yield* ProjectionRunner).waitFor(result.positions[result.positions.length - 1]!)
  const info = yield* (yield* StreamsQuery).get(stream).pipe(Effect.flatten)
  yield* Console.log(`streams projection: version ${info.version}, last event ${info.lastEventType}`)
})

program.pipe(
  Effect.provide(StreamsQuery.Default.pipe(Layer.provideMerge(TauLayer))),
  NodeRuntime.runMain
)
