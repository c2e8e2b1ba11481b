/**
 * Applies one page of events to one projection in one transaction, together with its checkpoint.
 *
 * The page first runs without savepoints (one statement per write, the common case). If any event fails, that
 * transaction is rolled back and the page runs again with each event in its own savepoint (a nested
 * `withTransaction`), so a poison event loses only its own writes and is dead-lettered while the others apply.
 */
import { Cause, Data, Effect, Either, Exit, Option } from "effect"
import { SqlClient } from "@effect/sql"
import type { RecordedEvent } from "../events/Envelope.ts"
import { decodeRecorded } from "../events/EventLogCore.ts"
import { lockCheckpoint, recordDeadLetter, writeCheckpoint } from "./Checkpoints.ts"
import type { Projection } from "./Projection.ts"

/** The stored checkpoint is not where this processor left it: another processor (or a rebuild) moved it. */
export class CheckpointMoved extends Data.TaggedError("CheckpointMoved")<{
  readonly name: string
  readonly expected: number
  readonly reason: "missing" | "version" | "position"
}> {}

class PoisonInPage extends Data.TaggedError("PoisonInPage")<{}> {}

export interface PageResult {
  readonly position: number
  readonly deadLettered: number
}

const maxErrorText = 8000

const truncate = (text: string): string => text.length > maxErrorText ? `${text.slice(0, maxErrorText)}…` : text

/**
 * Applies `rows` (ascending positions) after checkpoint `expected`, and moves the checkpoint to the last one.
 * Rows at or below the stored checkpoint are skipped, so replaying a page is harmless.
 */
export const processPage = (projection: Projection, rows: ReadonlyArray<RecordedEvent>, expected: number) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient

    const attempt = (careful: boolean) =>
      sql.withTransaction(Effect.gen(function*() {
        const stored = yield* lockCheckpoint(projection.name)
        const moved = Option.isNone(stored)
          ? "missing"
          : stored.value.version !== projection.version
          ? "version"
          : stored.value.position !== expected
          ? "position"
          : undefined
        if (moved !== undefined) return yield* new CheckpointMoved({ name: projection.name, expected, reason: moved })
        let position = expected
        let deadLettered = 0
        const deadLetter = (row: RecordedEvent, error: string) => {
          deadLettered++
          return Effect.zipRight(
            Effect.logWarning(`projection ${projection.name}: event at position ${row.position} dead-lettered`, error),
            recordDeadLetter(projection.name, row, error)
          )
        }
        for (const row of rows) {
          if (row.position <= position) continue
          position = row.position
          const decoded = decodeRecorded(row)
          if (Either.isLeft(decoded)) {
            yield* deadLetter(row, truncate(`${decoded.left._tag}: ${decoded.left.message}`))
            continue
          }
          const exit = yield* Effect.exit(
            careful ? sql.withTransaction(projection.apply(decoded.right)) : projection.apply(decoded.right)
          )
          if (Exit.isSuccess(exit)) continue
          if (Cause.isInterruptedOnly(exit.cause)) return yield* Effect.failCause(exit.cause)
          if (!careful) return yield* new PoisonInPage()
          yield* deadLetter(row, truncate(Cause.pretty(exit.cause, { renderErrorCause: true })))
        }
        if (position !== expected) {
          yield* writeCheckpoint({ name: projection.name, version: projection.version, position })
        }
        return { position, deadLettered } satisfies PageResult
      }))

    return yield* attempt(false).pipe(Effect.catchTag("PoisonInPage", () => attempt(true)))
  })
