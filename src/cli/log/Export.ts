/**
 * `tau log export`: the log as JSONL on stdout, one RecordedEventJson per line, page by page (constant
 * memory). Raw: events are not decoded, so a backup never fails because this build's catalogue cannot read
 * an event; `tau log import` is where the catalogue is enforced.
 */
import { Command, Options } from "@effect/cli"
import { Effect } from "effect"
import { EventLog } from "../../events/EventLog.ts"
import { stdout } from "../Output.ts"
import * as Progress from "../Progress.ts"
import { jsonLine } from "./Records.ts"

const pageSize = 1000

const from = Options.integer("from").pipe(
  Options.withDescription("First position to export"),
  Options.withDefault(1)
)

export const exportCommand = Command.make("export", { from }, ({ from }) =>
  Effect.gen(function*() {
    const log = yield* EventLog
    // Everything committed when the export starts, and nothing after: the file is a consistent prefix of the log.
    const head = yield* log.head
    const start = Math.max(1, from)
    const progress = yield* Progress.make("exported", Math.max(0, head - start + 1))
    let cursor = start
    while (cursor <= head) {
      const page = yield* log.readAllRaw(cursor, Math.min(pageSize, head - cursor + 1))
      if (page.length === 0) break
      let text = ""
      for (const row of page) text += `${jsonLine(row)}\n`
      yield* stdout(text)
      yield* progress.advance(page.length)
      cursor = page[page.length - 1]!.position + 1
    }
    yield* progress.done
  })).pipe(Command.withDescription("Write the log as JSONL (one RecordedEventJson per line) to stdout"))
