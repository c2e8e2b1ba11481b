/**
 * The event catalogue: one union of every event Tau writes. (Placeholder subset; the full catalogue lives in
 * src/events/catalogue/ and is re-exported here.)
 */
import { Schema } from "effect"
import { SessionId } from "../domain/Ids.ts"

export class SessionStarted extends Schema.TaggedClass<SessionStarted>()("SessionStarted", {
  sessionId: SessionId
}) {}

export class UserMessageReceived extends Schema.TaggedClass<UserMessageReceived>()("UserMessageReceived", {
  sessionId: SessionId,
  content: Schema.String
}) {}

export const TauEvent = Schema.Union(SessionStarted, UserMessageReceived)
export type TauEvent = typeof TauEvent.Type
