/**
 * What `Sessions.send` streams back: every event the actor appended for the message, text deltas while the
 * model streams, and the final reply.
 */
import type { Position, SessionId, StreamVersion } from "../../domain/Ids.ts"
import type { SessionEvent } from "../../events/TauEvent.ts"
import type { SessionStatus } from "./State.ts"

export interface SessionReply {
  readonly sessionId: SessionId
  /** The reply to this message; absent when the message was blocked or the session ended without one. */
  readonly reply?: {
    readonly turn: number
    readonly content: string
    readonly stopReason: "final_answer" | "max_turns" | "budget_exhausted" | "blocked"
  } | undefined
  /** True when the inbound safety stage blocked the message (nothing of it was stored). */
  readonly inboundBlocked: boolean
  readonly status: SessionStatus
  /** The ending event's tag once the session has ended. */
  readonly ending?: string | undefined
  readonly turns: number
  readonly costUsd: number
  readonly promptTokens: number
  readonly completionTokens: number
}

export type SessionProgress =
  | { readonly _tag: "Event"; readonly event: SessionEvent; readonly position: Position; readonly streamVersion: StreamVersion }
  | { readonly _tag: "TextDelta"; readonly turn: number; readonly text: string }
  | { readonly _tag: "Finished"; readonly reply: SessionReply }

export type Emit = (progress: SessionProgress) => void
