/**
 * The session decider: `decide(command, state)` → the events that record what happened, or why the command
 * does not apply. Pure: model, tool and safety results come in as command data (Commands.ts); the runtime
 * appends the events and folds them with `evolve` (State.ts).
 */
import { Either, Option } from "effect"
import type { ToolCallId } from "../../domain/Ids.ts";
import { ModelName, SafetyRuleId } from "../../domain/Ids.ts"
import {
  AssistantReplied,
  BudgetAlertRaised,
  ContextCompacted,
  FeedbackReceived,
  ModelCallFailed,
  ModelRequested,
  ModelResponded,
  ReplanHintInjected,
  SafetyViolationDetected,
  SessionAbandoned,
  SessionCancelled,
  SessionCompleted,
  SessionFailed,
  SessionStarted,
  ToolCallCompleted,
  ToolCallFailed,
  ToolCallRequested,
  TurnCompleted,
  UserMessageReceived
} from "../../events/TauEvent.ts"
import type { SessionEvent } from "../../events/TauEvent.ts"
import type { SafetyStage } from "../../events/catalogue/SafetyEvents.ts"
import { budgetExhausted, crossedThresholds } from "./Budget.ts"
import type { AttemptRecord, Inspection, SessionCommand } from "./Commands.ts"
import { estimateTokens, planCompaction } from "./Compaction.ts"
import type { DecideError } from "./Errors.ts"
import { InvalidSessionCommand, SessionAlreadyEnded, SessionNotFound } from "./Errors.ts"
import type { SessionState, SessionStatus } from "./State.ts"
import { applyCompaction } from "./Transcript.ts"

export type Decision = Either.Either<ReadonlyArray<SessionEvent>, DecideError>

export const replanHint =
  "Every tool call of the last turn failed. Stop and rethink: read the errors above, check paths and arguments " +
  "against the tool descriptions, and try a different approach before calling tools again."

export const withheldReply = "[The reply was withheld by the safety policy.]"

const ms = (n: number) => Math.max(0, Math.round(n))

const ok = (events: ReadonlyArray<SessionEvent>): Decision => Either.right(events)

const invalid = (state: SessionState, command: SessionCommand, detail: string): Decision =>
  Either.left(
    new InvalidSessionCommand({ sessionId: state.sessionId, command: command._tag, status: state.status, detail })
  )

/** The session exists and has not ended. */
const requireOpen = (state: SessionState): Option.Option<DecideError> => {
  if (state.status === "new") return Option.some(new SessionNotFound({ sessionId: state.sessionId }))
  if (state.status === "ended") {
    return Option.some(new SessionAlreadyEnded({ sessionId: state.sessionId, ending: state.ending ?? "ended" }))
  }
  return Option.none()
}

const guard = (
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

const violation = (
  state: SessionState,
  stage: SafetyStage,
  inspection: Inspection,
  where: { readonly turn?: number; readonly toolCallId?: ToolCallId } = {}
): ReadonlyArray<SessionEvent> => {
  const [first, ...rest] = inspection.rules
  if (inspection.action === "allow" || first === undefined) return []
  return [
    new SafetyViolationDetected({
      sessionId: state.sessionId,
      stage,
      ...where,
      rules: [SafetyRuleId.make(first), ...rest.map((r) => SafetyRuleId.make(r))],
      action: inspection.action,
      matches: Math.max(1, inspection.matches)
    })
  ]
}

const modelFailed = (state: SessionState, failure: AttemptRecord) =>
  new ModelCallFailed({
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

const turnCompleted = (state: SessionState, tally: SessionState["tally"], durationMs: number, final: boolean) =>
  new TurnCompleted({
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

const sendUserMessage = (state: SessionState, command: Extract<SessionCommand, { _tag: "SendUserMessage" }>): Decision => {
  const started: Array<SessionEvent> = []
  if (state.status === "new") {
    const spec = command.start
    if (spec === undefined) return Either.left(new SessionNotFound({ sessionId: state.sessionId }))
    started.push(
      new SessionStarted({
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
    new UserMessageReceived({ sessionId: state.sessionId, content: command.inbound.text })
  ])
}

const beginTurn = (state: SessionState, command: Extract<SessionCommand, { _tag: "BeginTurn" }>): Decision =>
  guard(state, command, ["ready"], () => {
    const started = state.started!
    const turn = state.turn + 1
    if (budgetExhausted(state.spentUsd, started.budgetUsd)) {
      return ok([
        new SessionFailed({
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
      new ContextCompacted({
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
      new ModelRequested({
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
const reply = (
  state: SessionState,
  input: {
    readonly content: string
    readonly stopReason: AssistantReplied["stopReason"]
    readonly tally: SessionState["tally"]
    readonly durationMs: number
  }
): ReadonlyArray<SessionEvent> => {
  const events: Array<SessionEvent> = [
    new AssistantReplied({ sessionId: state.sessionId, turn: state.turn, content: input.content, stopReason: input.stopReason }),
    turnCompleted(state, input.tally, input.durationMs, true)
  ]
  if (state.mode === "task") {
    events.push(
      input.stopReason === "blocked"
        ? new SessionFailed({
          sessionId: state.sessionId,
          reason: "safety_block",
          message: "the reply was blocked by the safety policy",
          turns: state.turn
        })
        : new SessionCompleted({
          sessionId: state.sessionId,
          reason: input.stopReason === "max_turns" ? "max_turns" : "final_answer",
          turns: state.turn
        })
    )
  }
  return events
}

const recordModelResponse = (
  state: SessionState,
  command: Extract<SessionCommand, { _tag: "RecordModelResponse" }>
): Decision =>
  guard(state, command, ["awaiting_model"], () => {
    const started = state.started!
    const r = command.response
    const cost = r.costUsd
    const responded = new ModelResponded({
      sessionId: state.sessionId,
      turn: state.turn,
      model: r.model,
      content: r.content,
      toolCalls: r.toolCalls,
      finishReason: r.finishReason,
      usage: r.usage,
      latencyMs: ms(r.latencyMs),
      ...(r.firstTokenMs !== undefined ? { firstTokenMs: ms(r.firstTokenMs) } : {}),
      ...(r.logprobs !== undefined ? { logprobs: r.logprobs } : {}),
      ...(cost > 0 ? { costUsd: cost } : {}),
      ...(r.responseId !== undefined ? { responseId: r.responseId } : {}),
      attempts: Math.max(1, r.attempts)
    })
    const spent = state.spentUsd + cost
    const alerts = crossedThresholds({
      thresholds: state.settings.budgetAlertThresholds,
      raised: state.alertsRaised,
      spentUsd: spent,
      budgetUsd: started.budgetUsd
    }).map((threshold) =>
      new BudgetAlertRaised({
        sessionId: state.sessionId,
        turn: state.turn,
        threshold,
        spentUsd: spent,
        budgetUsd: started.budgetUsd!
      })
    )
    const tally = {
      ...state.tally,
      promptTokens: state.tally.promptTokens + r.usage.promptTokens,
      completionTokens: state.tally.completionTokens + r.usage.completionTokens,
      costUsd: state.tally.costUsd + cost
    }
    const head = [...command.failures.map((f) => modelFailed(state, f)), responded, ...alerts]
    if (budgetExhausted(spent, started.budgetUsd)) {
      return ok([
        ...head,
        ...reply(state, {
          content: "Stopped: this session's budget is spent.",
          stopReason: "budget_exhausted",
          tally,
          durationMs: command.durationMs
        }).filter((e) => e._tag !== "SessionCompleted"),
        new SessionFailed({
          sessionId: state.sessionId,
          reason: "budget_exhausted",
          message: `spent $${spent.toFixed(6)} of a $${started.budgetUsd} budget`,
          turns: state.turn
        })
      ])
    }
    if (r.toolCalls.length > 0) {
      return ok([
        ...head,
        ...r.toolCalls.map((call) =>
          new ToolCallRequested({
            sessionId: state.sessionId,
            turn: state.turn,
            toolCallId: call.id,
            name: call.name,
            arguments: call.arguments,
            executor: "server"
          })
        )
      ])
    }
    const blocked = command.outbound.action === "block"
    return ok([
      ...head,
      ...violation(state, "outbound", command.outbound, { turn: state.turn }),
      ...reply(state, {
        content: blocked ? withheldReply : command.outbound.text,
        stopReason: blocked ? "blocked" : "final_answer",
        tally,
        durationMs: command.durationMs
      })
    ])
  })

const recordModelFailure = (
  state: SessionState,
  command: Extract<SessionCommand, { _tag: "RecordModelFailure" }>
): Decision =>
  guard(state, command, ["awaiting_model"], () => {
    const reported = command.failures.some((f) => f.attempt === command.error.attempt && !f.retrying)
    const failures = reported ? command.failures : [...command.failures, command.error]
    return ok([
      ...failures.map((f) => modelFailed(state, f)),
      new SessionFailed({
        sessionId: state.sessionId,
        reason: "model_error",
        message: command.error.message,
        turns: state.turn
      })
    ])
  })

const recordToolResults = (
  state: SessionState,
  command: Extract<SessionCommand, { _tag: "RecordToolResults" }>
): Decision =>
  guard(state, command, ["awaiting_tools"], () => {
    const byId = new Map(command.results.map((r) => [r.toolCallId as string, r]))
    const missing = state.pendingToolCalls.filter((c) => !byId.has(c.id))
    if (missing.length > 0 || byId.size !== state.pendingToolCalls.length) {
      return invalid(state, command, `results must answer exactly the pending calls (${state.pendingToolCalls.length})`)
    }
    const events: Array<SessionEvent> = []
    let failed = 0
    for (const call of state.pendingToolCalls) {
      const result = byId.get(call.id)!
      const base = { sessionId: state.sessionId, turn: state.turn, toolCallId: call.id, name: call.name }
      if (result._tag === "Failed") {
        failed++
        events.push(new ToolCallFailed({ ...base, reason: result.reason, message: result.message, durationMs: ms(result.durationMs) }))
        continue
      }
      events.push(...violation(state, "tool_output", result.safety, { turn: state.turn, toolCallId: call.id }))
      if (result.safety.action === "block") {
        failed++
        events.push(
          new ToolCallFailed({
            ...base,
            reason: "policy_denied",
            message: `the tool output was withheld by the safety policy (${result.safety.rules.join(", ")})`,
            durationMs: ms(result.durationMs)
          })
        )
        continue
      }
      events.push(
        new ToolCallCompleted({
          ...base,
          output: result.safety.text,
          truncated: result.truncated,
          originalBytes: Math.max(0, Math.round(result.originalBytes)),
          durationMs: ms(result.durationMs),
          ...(result.exitCode !== undefined ? { exitCode: result.exitCode } : {})
        })
      )
    }
    const tally = { ...state.tally, failedToolCalls: state.tally.failedToolCalls + failed }
    const maxTurns = state.started!.maxTurns
    if (state.runTurns >= maxTurns) {
      return ok([
        ...events,
        ...reply(state, {
          content: `I stopped after ${maxTurns} turns without reaching a final answer.`,
          stopReason: "max_turns",
          tally,
          durationMs: command.durationMs
        })
      ])
    }
    if (tally.toolCalls > 0 && tally.failedToolCalls === tally.toolCalls && state.replansUsed < state.settings.maxReplans) {
      events.push(
        new ReplanHintInjected({
          sessionId: state.sessionId,
          turn: state.turn,
          hint: replanHint,
          ordinal: state.replansUsed + 1,
          failedToolCalls: tally.failedToolCalls
        })
      )
    }
    return ok([...events, turnCompleted(state, tally, command.durationMs, false)])
  })

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
        return new SessionCancelled({
          sessionId: state.sessionId,
          by: command.by,
          ...(inFlight ? { turn: state.turn } : {}),
          turns: state.turn
        })
      })
    case "End":
      return guard(state, command, ["idle"], () =>
        ok([new SessionCompleted({ sessionId: state.sessionId, reason: "ended_by_user", turns: state.turn })]))
    case "Abandon":
      return ending(state, command, () =>
        new SessionAbandoned({ sessionId: state.sessionId, idleMs: ms(command.idleMs), turns: state.turn }))
    case "Fail":
      return ending(state, command, () =>
        new SessionFailed({ sessionId: state.sessionId, reason: command.reason, message: command.message, turns: state.turn }))
    case "RecordFeedback": {
      if (state.status === "new") return Either.left(new SessionNotFound({ sessionId: state.sessionId }))
      if (command.turn !== undefined && (command.turn < 1 || command.turn > state.turn)) {
        return invalid(state, command, `turn ${command.turn} does not exist (the session has ${state.turn})`)
      }
      if (command.rating < -1 || command.rating > 1 || !Number.isFinite(command.rating)) {
        return invalid(state, command, "rating must be between -1 and 1")
      }
      return ok([
        new FeedbackReceived({
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
