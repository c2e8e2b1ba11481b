/**
 * Applies one page of events to a group of projections in one transaction, together with their checkpoints.
 *
 * Each row is decoded once for the whole group, and only if some projection handles its type. The page first
 * runs without savepoints (one statement per write, the common case). If any projection's `apply` fails, that
 * transaction is rolled back and the page runs again with each projection in its own savepoint (a nested
 * `withTransaction`); a projection that fails there is redone with each event in its own savepoint, so a poison
 * event loses only its own writes in only that projection and is dead-lettered there, while the rest apply.
 */
import { Cause, Data, Effect, Either, Exit } from "effect"
import { SqlClient } from "@effect/sql"
import type { Envelope, RecordedEvent } from "../events/Envelope.ts"
import type { EventDecodeError } from "../events/Errors.ts"
import { decodeRecorded } from "../events/EventLogCore.ts"
import type { TauEvent } from "../events/TauEvent.ts"
import { lockCheckpoints, recordDeadLetter, writeCheckpoints } from "./Checkpoints.ts"
import type { Checkpoint } from "./Checkpoints.ts"
import type { Projection, ProjectionError } from "./Projection.ts"
import type { SqlError } from "@effect/sql/SqlError"

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

export interface PageMember {
  readonly projection: Projection
  /** Where this processor left the projection's checkpoint. */
  readonly expected: number
}

/** Per member, in order: its new position, or why it was left out of the page (nothing of it was written). */
export type PageOutcome = Either.Either<PageResult, CheckpointMoved>

const maxErrorText = 8000

const truncate = (text: string): string => text.length > maxErrorText ? `${text.slice(0, maxErrorText)}…` : text

const handledTypes = new WeakMap<Projection, ReadonlySet<string>>()

/** Whether `projection` wants rows of `type` (no `handles`: every type). */
export const handlesType = (projection: Projection, type: string): boolean => {
  if (projection.handles === undefined) return true
  let set = handledTypes.get(projection)
  if (set === undefined) {
    set = new Set(projection.handles)
    handledTypes.set(projection, set)
  }
  return set.has(type)
}

type Decoded = Either.Either<Envelope<TauEvent>, EventDecodeError>

/**
 * Applies `rows` (ascending positions) to every member after its checkpoint `expected`, and moves each checkpoint
 * to the last row. Rows at or below a member's stored checkpoint are skipped, so replaying a page is harmless.
 */
export const processGroupPage = (members: ReadonlyArray<PageMember>, rows: ReadonlyArray<RecordedEvent>) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient

    // Decode once for the group, outside the transaction, only the rows some member handles.
    const decoded: Array<Decoded | undefined> = new Array(rows.length)
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!
      if (members.some((m) => row.position > m.expected && handlesType(m.projection, row.type))) {
        decoded[i] = decodeRecorded(row)
      }
    }

    /** One member's pass over the page; `perEvent`: each event in its own savepoint, failures dead-lettered. */
    const applyMember = (member: PageMember, perEvent: boolean) =>
      Effect.gen(function*() {
        const { projection } = member
        let position = member.expected
        let deadLettered = 0
        const deadLetter = (row: RecordedEvent, error: string) => {
          deadLettered++
          return Effect.zipRight(
            Effect.logWarning(`projection ${projection.name}: event at position ${row.position} dead-lettered`, error),
            recordDeadLetter(projection.name, row, error)
          )
        }
        // Fast path: runs of decoded events go to `applyAll` in one call; any failure redoes the page event by event.
        const applyAll = perEvent ? undefined : projection.applyAll
        let run: Array<Envelope<TauEvent>> = []
        const flushRun: Effect.Effect<void, PoisonInPage | ProjectionError | SqlError, SqlClient.SqlClient> = Effect.suspend(() => {
          if (applyAll === undefined || run.length === 0) return Effect.void
          const envelopes = run
          run = []
          return Effect.catchAllCause(applyAll(envelopes), (cause): Effect.Effect<never, PoisonInPage | ProjectionError | SqlError> =>
            Cause.isInterruptedOnly(cause) ? Effect.failCause(cause) : Effect.fail(new PoisonInPage()))
        })
        for (let i = 0; i < rows.length; i++) {
          const row = rows[i]!
          if (row.position <= position) continue
          position = row.position
          if (!handlesType(projection, row.type)) continue
          const envelope = decoded[i]!
          if (Either.isLeft(envelope)) {
            yield* flushRun
            yield* deadLetter(row, truncate(`${envelope.left._tag}: ${envelope.left.message}`))
            continue
          }
          if (applyAll !== undefined) {
            run.push(envelope.right)
            continue
          }
          const exit = yield* Effect.exit(
            perEvent ? sql.withTransaction(projection.apply(envelope.right)) : projection.apply(envelope.right)
          )
          if (Exit.isSuccess(exit)) continue
          if (Cause.isInterruptedOnly(exit.cause)) return yield* Effect.failCause(exit.cause)
          if (!perEvent) return yield* new PoisonInPage()
          yield* deadLetter(row, truncate(Cause.pretty(exit.cause, { renderErrorCause: true })))
        }
        yield* flushRun
        return { position, deadLettered } satisfies PageResult
      })

    /** After a poison: the member in its own savepoint; if it fails there, again event by event. */
    const applyCarefully = (member: PageMember) =>
      sql.withTransaction(applyMember(member, false)).pipe(
        Effect.catchTag("PoisonInPage", () => applyMember(member, true))
      )

    const attempt = (careful: boolean) =>
      sql.withTransaction(Effect.gen(function*() {
        const stored = yield* lockCheckpoints(members.map((m) => m.projection.name))
        const outcomes: Array<PageOutcome> = []
        const moves: Array<Checkpoint> = []
        for (const member of members) {
          const { name, version } = member.projection
          const checkpoint = stored.get(name)
          const moved = checkpoint === undefined
            ? "missing"
            : checkpoint.version !== version
            ? "version"
            : checkpoint.position !== member.expected
            ? "position"
            : undefined
          if (moved !== undefined) {
            outcomes.push(Either.left(new CheckpointMoved({ name, expected: member.expected, reason: moved })))
            continue
          }
          const result = careful ? yield* applyCarefully(member) : yield* applyMember(member, false)
          outcomes.push(Either.right(result))
          if (result.position !== member.expected) moves.push({ name, version, position: result.position })
        }
        yield* writeCheckpoints(moves)
        return outcomes
      }))

    return yield* attempt(false).pipe(Effect.catchTag("PoisonInPage", () => attempt(true)))
  })

/** `processGroupPage` for one projection; fails with `CheckpointMoved` when its checkpoint moved. */
export const processPage = (projection: Projection, rows: ReadonlyArray<RecordedEvent>, expected: number) =>
  Effect.flatMap(processGroupPage([{ projection, expected }], rows), ([outcome]) => outcome!)
