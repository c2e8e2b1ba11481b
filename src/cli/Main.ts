/**
 * The `tau` command tree. Each group provides only the layers it needs, so `tau version` opens no database.
 */
import { Command } from "@effect/cli"
import { Console, Effect, Layer, Option } from "effect"
import packageJson from "../../package.json" with { type: "json" }
import { ApiKeys } from "../http/auth/ApiKeys.ts"
import { SessionsQuery } from "../projections/SessionsQuery.ts"
import { EventLogLive, TauAgentOneShot, TauOneShot } from "../layers/Tau.ts"
import { describeFailure } from "./Failure.ts"
import { exportCommand } from "./log/Export.ts"
import { keysCommand } from "./keys/Keys.ts"
import { importCommand } from "./log/Import.ts"
import { statsCommand } from "./log/Stats.ts"
import { tailCommand } from "./log/Tail.ts"
import { stdoutLine } from "./Output.ts"
import { MemoryCommandsLive } from "./memory/Layers.ts"
import { memoryCommand } from "./memory/Memory.ts"
import { rebuildCommand } from "./projections/Rebuild.ts"
import { serveCommand } from "./serve/Serve.ts"
import { statusCommand } from "./projections/Status.ts"
import { chatCommand } from "./session/Chat.ts"
import { sessionsCommand } from "./session/List.ts"
import { runCommand } from "./session/Run.ts"
import { feedbackCommand } from "./rewards/Feedback.ts"
import { RewardCommandsLive } from "./rewards/Layers.ts"
import { rescoreCommand } from "./rewards/Rescore.ts"
import { rewardsCommand } from "./rewards/Rewards.ts"

export const version: string = packageJson.version

const log = Command.make("log").pipe(
  Command.withDescription("Inspect, export and import the event log"),
  Command.withSubcommands([statsCommand, tailCommand, exportCommand, importCommand]),
  Command.provide(EventLogLive)
)

const projections = Command.make("projections").pipe(
  Command.withDescription("Status and rebuild of the read models"),
  Command.withSubcommands([statusCommand, rebuildCommand]),
  Command.provide(TauOneShot)
)

const run = runCommand.pipe(Command.provide(TauAgentOneShot))
const chat = chatCommand.pipe(Command.provide(TauAgentOneShot))
const sessions = sessionsCommand.pipe(Command.provide(SessionsQuery.Default.pipe(Layer.provideMerge(TauOneShot))))

const rewards = rewardsCommand.pipe(Command.provide(RewardCommandsLive.pipe(Layer.provideMerge(TauOneShot))))
const rescore = rescoreCommand.pipe(Command.provide(RewardCommandsLive.pipe(Layer.provideMerge(TauOneShot))))
const feedback = feedbackCommand.pipe(Command.provide(TauAgentOneShot))
const keys = keysCommand.pipe(Command.provide(ApiKeys.Default.pipe(Layer.provideMerge(TauOneShot))))

const memory = memoryCommand.pipe(Command.provide(MemoryCommandsLive))

const versionCommand = Command.make("version", {}, () => stdoutLine(`tau ${version}`)).pipe(
  Command.withDescription("Print the version")
)

export const tau = Command.make("tau").pipe(
  Command.withDescription("Tau: an event-sourced, self-improving agent runtime"),
  Command.withSubcommands([serveCommand, run, chat, sessions, rewards, feedback, rescore, memory, keys, log, projections, versionCommand])
)

const cli = Command.run(tau, { name: "tau", version })

/** Runs the CLI on `argv` (process.argv shape); a failure is printed as one line on stderr and fails the effect. */
export const main = (argv: ReadonlyArray<string>) =>
  cli(argv).pipe(
    Effect.tapErrorCause((cause) =>
      Option.match(describeFailure(cause), { onNone: () => Effect.void, onSome: (line) => Console.error(line) })
    )
  )
