/**
 * `tau log tail`: the last events (or from a position), optionally following new ones until Ctrl-C.
 */
import { Command, Options } from "@effect/cli"
import { Chunk, Effect, Option, Stream } from "effect"
import type { RecordedEvent } from "../../events/Envelope.ts"
import { EventLog } from "../../events/EventLog.ts"
import { stdout } from "../Output.ts"
import { humanLine, jsonLine } from "./Records.ts"

const defaultCount = 20
const pageSize = 1000

const from = Options.integer("from").pipe(
  Options.withDescription(`First position to print (default: the last ${defaultCount} events)`),
  Options.optional
)
const follow = Options.boolean("follow").pipe(
  Options.withAlias("f"),
  Options.withDescription("Keep printing new events as they are appended, until Ctrl-C")
)
const json = Options.boolean("json").pipe(Options.withDescription("One RecordedEventJson per line"))

export const tailCommand = Command.make("tail", { from, follow, json }, (options) =>
  Effect.gen(function*() {
    const log = yield* EventLog
    const head = yield* log.head
    const start = Option.getOrElse(options.from, () => Math.max(1, head - defaultCount + 1))
    const format = options.json ? jsonLine : humanLine
    const print = (rows: ReadonlyArray<RecordedEvent>) =>
      rows.length === 0 ? Effect.void : stdout(rows.map((row) => `${format(row)}\n`).join(""))

    if (options.follow) {
      return yield* log.subscribeRaw(start, { pageSize }).pipe(
        Stream.runForEachChunk((chunk) => print(Chunk.toReadonlyArray(chunk)))
      )
    }
    let cursor = start
    while (cursor <= head) {
      const page = yield* log.readAllRaw(cursor, Math.min(pageSize, head - cursor + 1))
      if (page.length === 0) break
      yield* print(page)
      cursor = page[page.length - 1]!.position + 1
    }
  })).pipe(Command.withDescription("Print events (position, stream@version, type, data); --follow keeps following"))
