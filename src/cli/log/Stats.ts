/**
 * `tau log stats`: size and shape of the log.
 */
import { Command, Options } from "@effect/cli"
import { Effect } from "effect"
import { EventLog } from "../../events/EventLog.ts"
import { describeDatabase, TauConfig } from "../../layers/Config.ts"
import { formatBytes, stdoutLine, table } from "../Output.ts"

const json = Options.boolean("json").pipe(Options.withDescription("Print the statistics as one JSON object"))

export const statsCommand = Command.make("stats", { json }, ({ json }) =>
  Effect.gen(function*() {
    const log = yield* EventLog
    const { database } = yield* TauConfig
    const stats = yield* log.stats
    if (json) {
      return yield* stdoutLine(JSON.stringify({ backend: log.backend, database: describeDatabase(database), ...stats }))
    }
    const summary = table([
      ["database", describeDatabase(database)],
      ["events", String(stats.events)],
      ["streams", String(stats.streams)],
      ["head position", String(stats.head)],
      ["size on disk", formatBytes(stats.bytes)]
    ])
    const byType = stats.byType.length === 0
      ? "  (no events yet)"
      : table(stats.byType.map(({ count, type }) => [`  ${type}`, String(count)]))
    yield* stdoutLine(`${summary}\nevents by type:\n${byType}`)
  })).pipe(Command.withDescription("Events, streams, head position, size on disk and per-type counts"))
