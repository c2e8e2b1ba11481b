/** Shared pieces of `tau memory …`: id arguments, readable memory errors, the read-side catch-up. */
import { Args, Options } from "@effect/cli"
import { Effect, Schema } from "effect"
import type { InvalidMemoryInput, MemoryNotFound, MemoryTooLarge } from "../../agent/memory/Errors.ts"
import { memoryProjectionName } from "../../agent/memory/MemoryProjection.ts"
import { MemoryId, SessionId } from "../../domain/Ids.ts"
import { ProjectionRunner } from "../../projections/ProjectionRunner.ts"
import { CliError } from "../CliError.ts"

export const json = Options.boolean("json").pipe(Options.withDescription("Print JSON (the HTTP API's encoding)"))

export const idArg = (name = "id") => Args.text({ name }).pipe(Args.withDescription("A memory id"))

export const parseId = (text: string) =>
  Schema.decodeUnknown(MemoryId)(text).pipe(
    Effect.mapError(() => new CliError({ message: `not a memory id: ${JSON.stringify(text)}` }))
  )

export const parseSession = (text: string) =>
  Schema.decodeUnknown(SessionId)(text).pipe(
    Effect.mapError(() => new CliError({ message: `not a session id: ${JSON.stringify(text)}` }))
  )

/** Tags given as repeated options and/or comma-separated lists. */
export const splitTags = (values: ReadonlyArray<string>) =>
  [...new Set(values.flatMap((v) => v.split(",")).map((t) => t.trim()).filter((t) => t.length > 0))]

/** The memory service's errors as one readable line (`no memory …`, `content is too large: …`). */
export const readable = <A, R>(
  effect: Effect.Effect<A, MemoryNotFound | MemoryTooLarge | InvalidMemoryInput, R>
): Effect.Effect<A, CliError, R> => Effect.mapError(effect, (e) => new CliError({ message: e.message }))

/** The CLI runs no live projections: bring the memory tables up to the log's head before reading them. */
export const catchUp = Effect.flatMap(ProjectionRunner, (runner) => runner.catchUp(memoryProjectionName)).pipe(
  Effect.mapError((e) => new CliError({ message: `memory projection: ${e.message}` }))
)
