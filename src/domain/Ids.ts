/**
 * Branded identifiers. Every id that crosses a module boundary is one of these, never a raw string.
 */
import { Schema } from "effect"
import { uuidv7 } from "./Uuid.ts"

const NonEmpty = Schema.String.pipe(Schema.minLength(1), Schema.maxLength(256))

/** Ids that become part of a stream id (`session-<id>`, `prompt-<name>`, …) use the stream id's alphabet. */
const StreamKey = Schema.String.pipe(Schema.pattern(/^[A-Za-z0-9_.:@-]{1,200}$/))

export const EventId = NonEmpty.pipe(Schema.brand("EventId"))
export type EventId = typeof EventId.Type

export const StreamId = NonEmpty.pipe(Schema.pattern(/^[A-Za-z0-9_.:@-]+(-[A-Za-z0-9_.:@-]+)*$/), Schema.brand("StreamId"))
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

/** Time-ordered ids (UUIDv7): they keep the event_id index append-mostly, which doubles batch append rate. */
export const newEventId = (): EventId => EventId.make(uuidv7())
export const newSessionId = (): SessionId => SessionId.make(uuidv7())
