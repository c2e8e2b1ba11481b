/**
 * Branded identifiers. Every id that crosses a module boundary is one of these, never a raw string.
 */
import { Schema } from "effect"
import { uuidv7 } from "./Uuid.ts"

const NonEmpty = Schema.String.pipe(Schema.minLength(1), Schema.maxLength(256))

/** Ids that become part of a stream id (`session-<id>`, `prompt-<name>`, …) use the stream id's alphabet. */
const streamKeyPattern = /^[A-Za-z0-9_.:@-]{1,200}$/
const StreamKey = Schema.String.pipe(Schema.pattern(streamKeyPattern))

const streamIdPattern = /^[A-Za-z0-9_.:@-]+(-[A-Za-z0-9_.:@-]+)*$/

/**
 * Gives a brand a `make` that checks its rule as one predicate. Schema's own `make` builds a validator on every
 * call (~2 µs and ~1.7 KB per id), and ids are made on every append; a value the predicate refuses still goes
 * through Schema's `make`, which throws its ParseError. `test/domain/Ids.test.ts` checks that both agree.
 */
const quickMake = <A, B>(schema: { readonly make: (a: A, options?: Schema.MakeOptions) => B }, valid: (a: A) => boolean) => {
  const checked = schema.make
  Object.defineProperty(schema, "make", {
    value: (a: A, options?: Schema.MakeOptions): B => valid(a) ? a as unknown as B : checked(a, options)
  })
}
const nonEmpty = (a: string) => a.length >= 1 && a.length <= 256
const streamKey = (a: string) => streamKeyPattern.test(a)
const nonNegativeInt = (a: number) => Number.isSafeInteger(a) && a >= 0

export const EventId = NonEmpty.pipe(Schema.brand("EventId"))
export type EventId = typeof EventId.Type

export const StreamId = NonEmpty.pipe(Schema.pattern(streamIdPattern), Schema.brand("StreamId"))
export type StreamId = typeof StreamId.Type

export const SessionId = StreamKey.pipe(Schema.brand("SessionId"))
export type SessionId = typeof SessionId.Type

export const TurnId = NonEmpty.pipe(Schema.brand("TurnId"))
export type TurnId = typeof TurnId.Type

export const ToolCallId = NonEmpty.pipe(Schema.brand("ToolCallId"))
export type ToolCallId = typeof ToolCallId.Type

export const MemoryId = StreamKey.pipe(Schema.brand("MemoryId"))
export type MemoryId = typeof MemoryId.Type

export const PromptName = StreamKey.pipe(Schema.brand("PromptName"))
export type PromptName = typeof PromptName.Type

export const PromptVersionId = NonEmpty.pipe(Schema.brand("PromptVersionId"))
export type PromptVersionId = typeof PromptVersionId.Type

export const HeuristicId = NonEmpty.pipe(Schema.brand("HeuristicId"))
export type HeuristicId = typeof HeuristicId.Type

export const BulletinId = NonEmpty.pipe(Schema.brand("BulletinId"))
export type BulletinId = typeof BulletinId.Type

export const ExperimentId = StreamKey.pipe(Schema.brand("ExperimentId"))
export type ExperimentId = typeof ExperimentId.Type

export const RolloutId = NonEmpty.pipe(Schema.brand("RolloutId"))
export type RolloutId = typeof RolloutId.Type

export const ApiKeyId = StreamKey.pipe(Schema.brand("ApiKeyId"))
export type ApiKeyId = typeof ApiKeyId.Type

export const ModelName = NonEmpty.pipe(Schema.brand("ModelName"))
export type ModelName = typeof ModelName.Type

export const ToolName = NonEmpty.pipe(Schema.brand("ToolName"))
export type ToolName = typeof ToolName.Type

/** A safety detector rule, e.g. "secret.openai_key" or "injection.ignore_previous". */
export const SafetyRuleId = NonEmpty.pipe(Schema.brand("SafetyRuleId"))
export type SafetyRuleId = typeof SafetyRuleId.Type

export const PolicyUpdateId = NonEmpty.pipe(Schema.brand("PolicyUpdateId"))
export type PolicyUpdateId = typeof PolicyUpdateId.Type

/** Global position in the log: 1, 2, 3, … with no gaps as seen by readers. */
export const Position = Schema.Int.pipe(Schema.nonNegative(), Schema.brand("Position"))
export type Position = typeof Position.Type

/** Version of one stream: 1 for its first event. */
export const StreamVersion = Schema.Int.pipe(Schema.nonNegative(), Schema.brand("StreamVersion"))
export type StreamVersion = typeof StreamVersion.Type

for (const id of [EventId, TurnId, ToolCallId, PromptVersionId, HeuristicId, BulletinId, RolloutId, ModelName, ToolName,
  SafetyRuleId, PolicyUpdateId]) quickMake(id, nonEmpty)
for (const id of [SessionId, MemoryId, PromptName, ExperimentId, ApiKeyId]) quickMake(id, streamKey)
quickMake(StreamId, (a) => nonEmpty(a) && streamIdPattern.test(a))
quickMake(Position, nonNegativeInt)
quickMake(StreamVersion, nonNegativeInt)

/**
 * Time-ordered ids (UUIDv7): they keep the event_id index append-mostly, which doubles batch append rate. A UUID
 * is a valid EventId and SessionId, so no check is needed.
 */
export const newEventId = (): EventId => uuidv7() as EventId
export const newSessionId = (): SessionId => uuidv7() as SessionId
