/**
 * Decisions on the results the runtime hands back: a model response or failure, a turn's tool results. They
 * end a turn, start the tools, reply, or stop the run (max turns, budget).
 */
import { unchecked } from "../../domain/Unchecked.ts"
import {
  AssistantReplied,
  BudgetAlertRaised,
  ModelResponded,
  ReplanHintInjected,
  SessionCompleted,
  SessionFailed,
  ToolCallCompleted,
  ToolCallFailed,
  ToolCallRequested
} from "../../events/TauEvent.ts"
import type { SessionEvent } from "../../events/TauEvent.ts"
import { budgetExhausted, crossedThresholds } from "./Budget.ts"
import type { SessionCommand } from "./Commands.ts"
import type { Decision } from "./DecideSupport.ts"
import { guard, invalid, modelFailed, ms, ok, turnCompleted, violation } from "./DecideSupport.ts"
import type { SessionState } from "./State.ts"

export const replanHint =
  "Every tool call of the last turn failed. Stop and rethink: read the errors above, check paths and arguments " +
  "against the tool descriptions, and try a different approach before calling tools again."

export const withheldReply = "[The reply was withheld by the safety policy.]"

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
    unchecked(AssistantReplied, { sessionId: state.sessionId, turn: state.turn, content: input.content, stopReason: input.stopReason }),
    turnCompleted(state, input.tally, input.durationMs, true)
  ]
  if (state.mode === "task") {
    events.push(
      input.stopReason === "blocked"
        ? unchecked(SessionFailed, {
          sessionId: state.sessionId,
          reason: "safety_block",
          message: "the reply was blocked by the safety policy",
          turns: state.turn
        })
        : unchecked(SessionCompleted, {
          sessionId: state.sessionId,
          reason: input.stopReason === "max_turns" ? "max_turns" : "final_answer",
          turns: state.turn
        })
    )
  }
  return events
}

export const recordModelResponse = (
  state: SessionState,
  command: Extract<SessionCommand, { _tag: "RecordModelResponse" }>
): Decision =>
  guard(state, command, ["awaiting_model"], () => {
    const started = state.started!
    const r = command.response
    const cost = r.costUsd
    const responded = unchecked(ModelResponded, {
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
      unchecked(BudgetAlertRaised, {
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
        unchecked(SessionFailed, {
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
          unchecked(ToolCallRequested, {
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

export const recordModelFailure = (
  state: SessionState,
  command: Extract<SessionCommand, { _tag: "RecordModelFailure" }>
): Decision =>
  guard(state, command, ["awaiting_model"], () => {
    const reported = command.failures.some((f) => f.attempt === command.error.attempt && !f.retrying)
    const failures = reported ? command.failures : [...command.failures, command.error]
    return ok([
      ...failures.map((f) => modelFailed(state, f)),
      unchecked(SessionFailed, {
        sessionId: state.sessionId,
        reason: "model_error",
        message: command.error.message,
        turns: state.turn
      })
    ])
  })

export const recordToolResults = (
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
      if (result.gate !== undefined) {
        events.push(...violation(state, "tool_call", result.gate, { turn: state.turn, toolCallId: call.id }))
      }
      if (result._tag === "Failed") {
        failed++
        events.push(unchecked(ToolCallFailed, { ...base, reason: result.reason, message: result.message, durationMs: ms(result.durationMs) }))
        continue
      }
      events.push(...violation(state, "tool_output", result.safety, { turn: state.turn, toolCallId: call.id }))
      if (result.safety.action === "block") {
        failed++
        events.push(
          unchecked(ToolCallFailed, {
            ...base,
            reason: "policy_denied",
            message: `the tool output was withheld by the safety policy (${result.safety.rules.join(", ")})`,
            durationMs: ms(result.durationMs)
          })
        )
        continue
      }
      events.push(
        unchecked(ToolCallCompleted, {
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
        unchecked(ReplanHintInjected, {
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
