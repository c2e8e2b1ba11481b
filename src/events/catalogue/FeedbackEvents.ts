/**
 * Explicit feedback on a session (`session-<id>` stream, written by the session actor on a feedback command;
 * read by the reward evaluator, where ratings dominate the composite).
 *
 * Schema version 2. Version 1 had no `source` and no `turn`; see Upcasters.ts.
 */
import { Schema } from "effect"
import { SessionId } from "../../domain/Ids.ts"
import { Score, Turn } from "../../domain/Quantities.ts"

/** Which interface the rating came through; `unknown` for feedback stored before sources were recorded. */
export const FeedbackSource = Schema.Literal("cli", "http", "rpc", "dashboard", "channel", "unknown")
export type FeedbackSource = typeof FeedbackSource.Type

export class FeedbackReceived extends Schema.TaggedClass<FeedbackReceived>()("FeedbackReceived", {
  sessionId: SessionId,
  /** -1 (bad) … 1 (good). */
  rating: Score,
  comment: Schema.optional(Schema.String.pipe(Schema.maxLength(4000))),
  /** The turn whose reply is rated; absent for the session as a whole. */
  turn: Schema.optional(Turn),
  source: FeedbackSource
}) {}
