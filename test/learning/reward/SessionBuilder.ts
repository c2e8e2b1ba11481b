/**
 * Builds realistic session event sequences from the real catalogue classes, for the reward tests and the worked
 * examples of docs/rewards.md.
 */
import {
  ModelName,
  PromptName,
  PromptVersionId,
  SafetyRuleId,
  SessionId,
  ToolCallId,
  ToolName
} from "../../../src/domain/Ids.ts"
import {
  AssistantReplied,
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
  type TauEvent,
  ToolCallCompleted,
  ToolCallFailed,
  ToolCallRequested,
  TurnCompleted,
  UserMessageReceived
} from "../../../src/events/TauEvent.ts"

export interface ToolSpec {
  readonly name?: string
  readonly arguments?: string
  /** ok (default), failed, or a completed run_command with this exit code. */
  readonly result?: "ok" | "failed" | { readonly exitCode: number }
}

export interface TurnSpec {
  readonly tools?: ReadonlyArray<ToolSpec>
  readonly promptTokens?: number
  readonly completionTokens?: number
  readonly durationMs?: number
  /** The reply text of a final turn; a turn with a reply is final. */
  readonly reply?: string
  readonly stopReason?: "final_answer" | "max_turns" | "budget_exhausted" | "blocked"
  readonly modelFailures?: number
}

export interface SafetySpec {
  readonly stage: "inbound" | "tool_output" | "outbound"
  readonly action: "warn" | "redact" | "block"
  readonly rule?: string
  /** Set the turn (default: the current turn for tool_output/outbound, none for inbound). */
  readonly turn?: number | null
}

export class SessionBuilder {
  readonly sessionId: SessionId
  readonly events: Array<TauEvent> = []
  private turn = 0
  private calls = 0

  constructor(id = "s-1") {
    this.sessionId = SessionId.make(id)
    this.events.push(
      new SessionStarted({
        sessionId: this.sessionId,
        workspace: "/tmp/ws",
        model: ModelName.make("test-model"),
        promptName: PromptName.make("default"),
        promptVersion: PromptVersionId.make("default@1"),
        heuristicIds: [],
        maxTurns: 8,
        source: "test",
        memoryIds: []
      })
    )
  }

  get turns(): number {
    return this.turn
  }

  user(content: string): this {
    this.events.push(new UserMessageReceived({ sessionId: this.sessionId, content }))
    return this
  }

  /** One agent-loop turn: model request/response, its tool calls, the reply if any, TurnCompleted. */
  agentTurn(spec: TurnSpec = {}): this {
    const turn = ++this.turn
    const sessionId = this.sessionId
    const model = ModelName.make("test-model")
    const promptTokens = spec.promptTokens ?? 1000
    const completionTokens = spec.completionTokens ?? 100
    const durationMs = spec.durationMs ?? 2000
    const tools = spec.tools ?? []
    this.events.push(
      new ModelRequested({
        sessionId,
        turn,
        model,
        messageCount: 2 * turn,
        toolsOffered: [ToolName.make("read_file"), ToolName.make("run_command")],
        params: { stream: false, logprobs: false }
      })
    )
    for (let attempt = 1; attempt <= (spec.modelFailures ?? 0); attempt++) {
      this.events.push(
        new ModelCallFailed({ sessionId, turn, model, kind: "rate_limited", message: "429", retryable: true, attempt })
      )
    }
    const calls = tools.map((tool) => ({
      id: ToolCallId.make(`call-${++this.calls}`),
      name: ToolName.make(tool.name ?? "read_file"),
      arguments: tool.arguments ?? `{"n":${this.calls}}`,
      tool
    }))
    this.events.push(
      new ModelResponded({
        sessionId,
        turn,
        model,
        content: spec.reply ?? "",
        toolCalls: calls.map(({ arguments: a, id, name }) => ({ id, name, arguments: a })),
        finishReason: calls.length > 0 ? "tool_calls" : "stop",
        usage: { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens },
        latencyMs: Math.round(durationMs * 0.8),
        attempts: 1 + (spec.modelFailures ?? 0)
      })
    )
    let failed = 0
    for (const call of calls) {
      this.events.push(
        new ToolCallRequested({
          sessionId,
          turn,
          toolCallId: call.id,
          name: call.name,
          arguments: call.arguments,
          executor: "server"
        })
      )
      const result = call.tool.result ?? "ok"
      if (result === "failed") {
        failed++
        this.events.push(
          new ToolCallFailed({
            sessionId,
            turn,
            toolCallId: call.id,
            name: call.name,
            reason: "error",
            message: "failed",
            durationMs: 10
          })
        )
      } else {
        this.events.push(
          new ToolCallCompleted({
            sessionId,
            turn,
            toolCallId: call.id,
            name: call.name,
            output: "ok",
            truncated: false,
            originalBytes: 2,
            durationMs: 10,
            ...(result === "ok" ? {} : { exitCode: result.exitCode })
          })
        )
      }
    }
    if (calls.length > 0 && failed === calls.length && failed > 0) {
      this.events.push(
        new ReplanHintInjected({ sessionId, turn, hint: "change approach", ordinal: 1, failedToolCalls: failed })
      )
    }
    if (spec.reply !== undefined) {
      this.events.push(
        new AssistantReplied({ sessionId, turn, content: spec.reply, stopReason: spec.stopReason ?? "final_answer" })
      )
    }
    this.events.push(
      new TurnCompleted({
        sessionId,
        turn,
        toolCalls: calls.length,
        failedToolCalls: failed,
        promptTokens,
        completionTokens,
        durationMs,
        final: spec.reply !== undefined
      })
    )
    return this
  }

  safety(spec: SafetySpec): this {
    const turn = spec.turn === null
      ? undefined
      : spec.turn ?? (spec.stage === "inbound" ? undefined : Math.max(this.turn, 1))
    this.events.push(
      new SafetyViolationDetected({
        sessionId: this.sessionId,
        stage: spec.stage,
        ...(turn === undefined ? {} : { turn }),
        rules: [SafetyRuleId.make(spec.rule ?? (spec.stage === "inbound" ? "injection.ignore_previous" : "secret.openai_key"))],
        action: spec.action,
        matches: 1
      })
    )
    return this
  }

  completed(reason: "final_answer" | "max_turns" | "ended_by_user" = "final_answer"): this {
    this.events.push(new SessionCompleted({ sessionId: this.sessionId, reason, turns: this.turn }))
    return this
  }

  abandoned(): this {
    this.events.push(new SessionAbandoned({ sessionId: this.sessionId, idleMs: 1_800_000, turns: this.turn }))
    return this
  }

  failed(reason: "model_error" | "budget_exhausted" | "safety_block" | "tool_error" | "internal"): this {
    this.events.push(new SessionFailed({ sessionId: this.sessionId, reason, message: reason, turns: this.turn }))
    return this
  }

  cancelled(by: "user" | "shutdown" | "operator" = "user"): this {
    this.events.push(new SessionCancelled({ sessionId: this.sessionId, by, turns: this.turn }))
    return this
  }

  feedback(rating: number, turn?: number): this {
    this.events.push(
      new FeedbackReceived({
        sessionId: this.sessionId,
        rating,
        source: "cli",
        ...(turn === undefined ? {} : { turn })
      })
    )
    return this
  }
}

export const session = (id?: string) => new SessionBuilder(id)
