import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { StderrLoggerLive } from "../layers/Logging.ts"
import { main } from "./Main.ts"

main(process.argv).pipe(
  Effect.provide(Layer.merge(NodeContext.layer, StderrLoggerLive)),
  NodeRuntime.runMain({ disableErrorReporting: true, disablePrettyLogger: true })
)
