import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { StderrLoggerLive } from "../layers/Logging.ts"
import { main } from "./Main.ts"

// `tau log export | head`: the reader went away. The pending write fails too, and Output.stdout ends the
// command quietly; without a listener Node would crash on the stream's 'error' event.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE") throw error
})

main(process.argv).pipe(
  Effect.provide(Layer.merge(NodeContext.layer, StderrLoggerLive)),
  NodeRuntime.runMain({ disableErrorReporting: true, disablePrettyLogger: true })
)
