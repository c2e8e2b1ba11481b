/**
 * The session decider: `decide(command, state)` → the events that record what happened, or why the command
 * does not apply. Pure: model, tool and safety results come in as command data (Commands.ts); the runtime
 * appends the events and folds them with `evolve` (State.ts). Result commands are decided in Results.ts.
 *
 * Events are made without their constructor's validation (`unchecked(X, fields)`, here, in Results.ts and in the
 * proxy recorder): every event is sealed — encoded — before append, and encoding checks every field, so an
 * invalid event still never reaches the log; checking twice cost ~10 % of a turn's CPU.
 */
import { Either, Option } from "effect"
import { unchecked } from "../../domain/Unchecked.ts"
import {
  ContextCompacted,
  FeedbackReceived,
  ModelRequested,
  SessionAbandoned,
  SessionCancelled,
  SessionCompleted,
  SessionFailed,
  SessionStarted,
  UserMessageReceived
} from "../../events/TauEvent.ts"
import type { SessionEvent } from "../../events/TauEvent.ts"
import { budgetExhausted } from "./Budget.ts"
import type { SessionCommand } from "./Commands.ts"
import { estimateTokens, planCompaction } from "./Compaction.ts"
import type { Decision } from "./DecideSupport.ts"
import { guard, invalid, ms, ok, requireOpen, violation } from "./DecideSupport.ts"
import { SessionNotFound } from "./Errors.ts"
import { recordModelFailure, recordModelResponse, recordToolResults } from "./Results.ts"
import type { SessionState } from "./State.ts"
import { applyCompaction } from "./Transcript.ts"

export type { Decision } from "./DecideSupport.ts"
export { replanHint, withheldReply } from "./Results.ts"

const sendUserMessage = (state: SessionState, command: Extract<SessionCommand, { _tag: "SendUserMessage" }>): Decision => {
  const started: Array<SessionEvent> = []
  if (state.status === "new") {
    const spec = command.start
    if (spec === undefined) return Either.left(new SessionNotFound({ sessionId: state.sessionId }))
    started.push(
      unchecked(SessionStarted, {
        sessionId: state.sessionId,
        ...(spec.workspace !== undefined ? { workspace: spec.workspace } : {}),
        model: spec.model,
        promptName: spec.prompt.promptName,
        promptVersion: spec.prompt.promptVersion,
        heuristicIds: spec.prompt.heuristicIds,
        ...(spec.prompt.bulletinId !== undefined ? { bulletinId: spec.prompt.bulletinId } : {}),
        memoryIds: spec.prompt.memoryIds,
        ...(spec.prompt.experimentId !== undefined ? { experimentId: spec.prompt.experimentId } : {}),
        maxTurns: spec.maxTurns,
        ...(spec.budgetUsd !== undefined ? { budgetUsd: spec.budgetUsd } : {}),
        source: spec.source,
        ...(spec.userId !== undefined ? { userId: spec.userId } : {}),
        systemPrompt: spec.prompt.text,
        mode: spec.mode
      })
    )
  } else {
    const closed = requireOpen(state)
    if (Option.isSome(closed)) return Either.left(closed.value)
    if (state.status !== "idle") return invalid(state, command, "a reply is still in progress")
  }
  const safety = violation(state, "inbound", command.inbound)
  if (command.inbound.action === "block") return ok([...started, ...safety])
  return ok([
    ...started,
    ...safety,
    unchecked(UserMessageReceived, { sessionId: state.sessionId, content: command.inbound.text })
  ])
}

const beginTurn = (state: SessionState, command: Extract<SessionCommand, { _tag: "BeginTurn" }>): Decision =>
  guard(state, command, ["ready"], () => {
    const started = state.started!
    const turn = state.turn + 1
    if (budgetExhausted(state.spentUsd, started.budgetUsd)) {
      return ok([
        unchecked(SessionFailed, {
          sessionId: state.sessionId,
          reason: "budget_exhausted",
          message: `budget of $${started.budgetUsd} spent`,
          turns: state.turn
        })
      ])
    }
    const plan = planCompaction({
      systemPrompt: state.systemPrompt,
      transcript: state.transcript,
      nextTurn: turn,
      toolsTokens: command.toolsTokens,
      settings: state.settings.compaction
    })
    const compacted = Option.map(plan, (p) =>
      unchecked(ContextCompacted, {
        sessionId: state.sessionId,
        turn,
        tokensBefore: p.tokensBefore,
        tokensAfter: p.tokensAfter,
        fromTurn: p.fromTurn,
        toTurn: p.toTurn,
        summarizedTurns: p.summarizedTurns,
        summary: p.summary
      }))
    const after = Option.match(compacted, {
      onNone: () => state.transcript,
      onSome: (event) => applyCompaction(state.transcript, event)
    })
    return ok([
      ...Option.toArray(compacted),
      unchecked(ModelRequested, {
        sessionId: state.sessionId,
        turn,
        model: started.model,
        messageCount: after.length + 1,
        estimatedPromptTokens: estimateTokens(state.systemPrompt, after, command.toolsTokens),
        toolsOffered: command.toolsOffered,
        params: command.params
      })
    ])
  })

/** The end of a run: the reply, its turn's tally, and for a task session its ending. */

const ending = (state: SessionState, command: SessionCommand, make: () => SessionEvent): Decision =>
  guard(state, command, ["idle", "ready", "awaiting_model", "awaiting_tools"], () => ok([make()]))

export const decide = (command: SessionCommand, state: SessionState): Decision => {
  switch (command._tag) {
    case "SendUserMessage":
      return sendUserMessage(state, command)
    case "BeginTurn":
      return beginTurn(state, command)
    case "RecordModelResponse":
      return recordModelResponse(state, command)
    case "RecordModelFailure":
      return recordModelFailure(state, command)
    case "RecordToolResults":
      return recordToolResults(state, command)
    case "Cancel":
      return ending(state, command, () => {
        const inFlight = state.status === "awaiting_model" || state.status === "awaiting_tools"
        return unchecked(SessionCancelled, {
          sessionId: state.sessionId,
          by: command.by,
          ...(inFlight ? { turn: state.turn } : {}),
          turns: state.turn
        })
      })
    case "End":
      return guard(state, command, ["idle"], () =>
        ok([unchecked(SessionCompleted, { sessionId: state.sessionId, reason: "ended_by_user", turns: state.turn })]))
    case "Abandon":
      return ending(state, command, () =>
        unchecked(SessionAbandoned, { sessionId: state.sessionId, idleMs: ms(command.idleMs), turns: state.turn }))
    case "Fail":
      return ending(state, command, () =>
        unchecked(SessionFailed, { sessionId: state.sessionId, reason: command.reason, message: command.message, turns: state.turn }))
    case "RecordFeedback": {
      if (state.status === "new") return Either.left(new SessionNotFound({ sessionId: state.sessionId }))
      if (command.turn !== undefined && (command.turn < 1 || command.turn > state.turn)) {
        return invalid(state, command, `turn ${command.turn} does not exist (the session has ${state.turn})`)
      }
      if (command.rating < -1 || command.rating > 1 || !Number.isFinite(command.rating)) {
        return invalid(state, command, "rating must be between -1 and 1")
      }
      return ok([
        unchecked(FeedbackReceived, {
          sessionId: state.sessionId,
          rating: command.rating,
          ...(command.comment !== undefined ? { comment: command.comment } : {}),
          ...(command.turn !== undefined ? { turn: command.turn } : {}),
          source: command.source
        })
      ])
    }
  }
}
