/**
 * What a projection (read model) is: a name, a version, the tables it owns and an `apply` that turns one
 * event into SQL writes. The runner calls `apply` inside the transaction that also moves the projection's
 * checkpoint, so a projection is updated exactly once per event, also across crashes.
 */
import { Data, Schema } from "effect"
import type { Effect } from "effect"
import type { SqlClient } from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import type { Envelope } from "../events/Envelope.ts"
import type { TauEvent, TauEventType } from "../events/TauEvent.ts"

export interface Projection {
  /** Unique, stable: the key of its checkpoint and dead letters. */
  readonly name: string
  /** Bump it when `setup` or `apply` change meaning: the runner then rebuilds the projection from position 1. */
  readonly version: number
  /** Tables it owns (dropped by `teardown`). */
  readonly tables: ReadonlyArray<string>
  /** CREATE TABLE/INDEX IF NOT EXISTS for both dialects. */
  readonly setup: Effect.Effect<void, SqlError, SqlClient>
  /** DROP its tables. */
  readonly teardown: Effect.Effect<void, SqlError, SqlClient>
  /**
   * The event types `apply` can change anything for; the runner skips the others without decoding them for this
   * projection. Leave it out to see every event. A type missing here is silently never applied.
   */
  readonly handles?: ReadonlyArray<TauEventType>
  /** Writes what `envelope` changes; events it does not care about are a no-op. Must not read the event log. */
  readonly apply: (envelope: Envelope<TauEvent>) => Effect.Effect<void, ProjectionError | SqlError, SqlClient>
  /**
   * Optional: writes what `apply` on each of `envelopes` in turn would write, in fewer statements (a turn's events
   * touch one row of each read model several times). The runner uses it for a page's events; if it fails, the
   * page is redone with `apply`, event by event, so a poison event is still found and dead-lettered alone.
   */
  readonly applyAll?: (
    envelopes: ReadonlyArray<Envelope<TauEvent>>
  ) => Effect.Effect<void, ProjectionError | SqlError, SqlClient>
}

/** An event a projection cannot apply (a poison event): it is dead-lettered and the projection moves on. */
export class ProjectionError extends Data.TaggedError("ProjectionError")<{
  readonly projection: string
  readonly message: string
  readonly cause?: unknown
}> {}

/** `rebuild` or `catchUp` named a projection that is not registered. */
export class ProjectionNotFound extends Schema.TaggedError<ProjectionNotFound>()("ProjectionNotFound", {
  name: Schema.String
}) {
  override get message() {
    return `no projection named ${this.name}`
  }
}

export const ProjectionState = Schema.Literal("live", "catching-up", "rebuilding", "stopped")
export type ProjectionState = typeof ProjectionState.Type

export class ProjectionStatus extends Schema.Class<ProjectionStatus>("ProjectionStatus")({
  name: Schema.String,
  version: Schema.Int,
  /** Last position applied (0: nothing yet). */
  position: Schema.Int,
  /** Head of the event log when the status was taken. */
  head: Schema.Int,
  lag: Schema.Int,
  /** Dead-lettered events since the last rebuild. */
  deadLetters: Schema.Int,
  state: ProjectionState
}) {}

export class DeadLetter extends Schema.Class<DeadLetter>("DeadLetter")({
  name: Schema.String,
  position: Schema.Int,
  eventId: Schema.String,
  type: Schema.String,
  error: Schema.String,
  recordedAt: Schema.Date
}) {}
