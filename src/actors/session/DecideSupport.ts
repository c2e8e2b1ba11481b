/**
 * Shared pieces of the session decider: the decision type, guards and event builders.
 */
import { Either, Option } from "effect"
import type { ToolCallId } from "../../domain/Ids.ts"
import { ModelName, SafetyRuleId } from "../../domain/Ids.ts"
import { unchecked } from "../../domain/Unchecked.ts"
import { ModelCallFailed, SafetyViolationDetected, TurnCompleted } from "../../events/TauEvent.ts"
import type { SessionEvent } from "../../events/TauEvent.ts"
import type { SafetyStage } from "../../events/catalogue/SafetyEvents.ts"
import type { AttemptRecord, Inspection, SessionCommand } from "./Commands.ts"
import type { DecideError } from "./Errors.ts"
import { InvalidSessionCommand, SessionAlreadyEnded, SessionNotFound } from "./Errors.ts"
import type { SessionState, SessionStatus } from "./State.ts"

export type Decision = Either.Either<ReadonlyArray<SessionEvent>, DecideError>

export const ms = (n: number) => Math.max(0, Math.round(n))

export const ok = (events: ReadonlyArray<SessionEvent>): Decision => Either.right(events)

export const invalid = (state: SessionState, command: SessionCommand, detail: string): Decision =>
  Either.left(
    new InvalidSessionCommand({ sessionId: state.sessionId, command: command._tag, status: state.status, detail })
  )

/** The session exists and has not ended. */
export const requireOpen = (state: SessionState): Option.Option<DecideError> => {
  if (state.status === "new") return Option.some(new SessionNotFound({ sessionId: state.sessionId }))
  if (state.status === "ended") {
    return Option.some(new SessionAlreadyEnded({ sessionId: state.sessionId, ending: state.ending ?? "ended" }))
  }
  return Option.none()
}

export const guard = (
  state: SessionState,
  command: SessionCommand,
  statuses: ReadonlyArray<SessionStatus>,
  body: () => Decision
): Decision => {
  const closed = requireOpen(state)
  if (Option.isSome(closed)) return Either.left(closed.value)
  if (!statuses.includes(state.status)) return invalid(state, command, `expected ${statuses.join(" or ")}`)
  return body()
}

export const violation = (
  state: SessionState,
  stage: SafetyStage,
  inspection: Inspection,
  where: { readonly turn?: number; readonly toolCallId?: ToolCallId } = {}
): ReadonlyArray<SessionEvent> => {
  const [first, ...rest] = inspection.rules
  if (inspection.action === "allow" || first === undefined) return []
  return [
    unchecked(SafetyViolationDetected, {
      sessionId: state.sessionId,
      stage,
      ...where,
      rules: [SafetyRuleId.make(first), ...rest.map((r) => SafetyRuleId.make(r))],
      action: inspection.action,
      matches: Math.max(1, inspection.matches)
    })
  ]
}

export const modelFailed = (state: SessionState, failure: AttemptRecord) =>
  unchecked(ModelCallFailed, {
    sessionId: state.sessionId,
    turn: state.turn,
    model: ModelName.make(failure.model.length > 0 ? failure.model : "unknown"),
    kind: failure.kind,
    ...(failure.status !== undefined && failure.status >= 100 && failure.status <= 599 ? { status: failure.status } : {}),
    message: failure.message,
    retryable: failure.retrying,
    attempt: Math.max(1, failure.attempt),
    ...(failure.retryAfterMs !== undefined ? { retryAfterMs: ms(failure.retryAfterMs) } : {}),
    ...(failure.latencyMs !== undefined ? { latencyMs: ms(failure.latencyMs) } : {})
  })

export const turnCompleted = (state: SessionState, tally: SessionState["tally"], durationMs: number, final: boolean) =>
  unchecked(TurnCompleted, {
    sessionId: state.sessionId,
    turn: state.turn,
    toolCalls: tally.toolCalls,
    failedToolCalls: tally.failedToolCalls,
    promptTokens: tally.promptTokens,
    completionTokens: tally.completionTokens,
    ...(tally.costUsd > 0 ? { costUsd: tally.costUsd } : {}),
    durationMs: ms(durationMs),
    final
  })
