import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { Console, Effect, Layer, Option } from "effect"
import { StderrLoggerLive } from "../layers/Logging.ts"
import { describeFailure } from "./Failure.ts"
import { main } from "./Main.ts"

// `tau log export | head`: the reader went away. The pending write fails too, and Output.stdout ends the
// command quietly; without a listener Node would crash on the stream's 'error' event.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE") throw error
})

main(process.argv).pipe(
  Effect.provide(Layer.merge(NodeContext.layer, StderrLoggerLive).pipe(
    // `main` reports its own failures; this reports the logger's (e.g. an invalid TAU_LOG_LEVEL).
    Layer.tapErrorCause((cause) =>
      Option.match(describeFailure(cause), { onNone: () => Effect.void, onSome: (line) => Console.error(line) })
    )
  )),
  NodeRuntime.runMain({ disableErrorReporting: true, disablePrettyLogger: true })
)
