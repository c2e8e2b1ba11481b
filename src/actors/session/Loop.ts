/**
 * The agent loop of one session, on one actor: while the decider's state says a step is due, run it and hand
 * its result back as a command — model call (streamed or not, each failed attempt recorded), then the turn's
 * tool calls (up to `maxParallelTools` at once, each validated against its Schema by the registry and its
 * output inspected by the safety stage), then the next model call, until the run replies or ends.
 */
import { Duration, Effect, Either, Stream } from "effect"
import type { Chunk } from "effect"
import { resolve } from "node:path"
import type { LanguageModel } from "../../agent/llm/LanguageModel.ts"
import type { LanguageModelError } from "../../agent/llm/Errors.ts"
import { estimateToolTokens } from "../../agent/llm/Tokens.ts"
import type { AttemptFailure, ModelResponse, StreamDelta, ToolSpec } from "../../agent/llm/Types.ts"
import { ModelRequest } from "../../agent/llm/Types.ts"
import type { Safety } from "../../agent/safety/Safety.ts"
import { makeStreamRedactor } from "../../agent/safety/StreamRedaction.ts"
import { failureReasonOf } from "../../agent/tools/Errors.ts"
import type { ToolRegistry } from "../../agent/tools/ToolRegistry.ts"
import type { ToolCall } from "../../domain/ModelCall.ts"
import { ToolName } from "../../domain/Ids.ts"
import { unchecked } from "../../domain/Unchecked.ts"
import type { SessionActor } from "./Actor.ts"
import type { AttemptRecord, Inspection, ToolOutcome } from "./Commands.ts"
import { allowed, SessionCommand } from "./Commands.ts"
import type { SessionError } from "./Errors.ts"
import type { Emit } from "./Progress.ts"
import type { SessionSettings } from "./SessionConfig.ts"
import type { SessionState } from "./State.ts"
import { messagesOf } from "./Transcript.ts"

export interface LoopServices {
  readonly model: LanguageModel
  readonly tools: ToolRegistry
  readonly safety: Safety
  readonly settings: SessionSettings
}

export const attemptOf = (failure: AttemptFailure): AttemptRecord => ({
  model: failure.model,
  attempt: failure.attempt,
  kind: failure.error.reason,
  status: failure.error.status,
  message: failure.error.message,
  retrying: failure.retrying,
  retryAfterMs: failure.error.retryAfterMs,
  latencyMs: failure.latencyMs
})

/** The error that ended a call, numbered after the attempts reported so far. */
export const finalAttempt = (error: LanguageModelError, model: string, reported: ReadonlyArray<AttemptRecord>): AttemptRecord => {
  const last = reported.at(-1)
  const attempt = last !== undefined && !last.retrying ? last.attempt : (last?.attempt ?? 0) + 1
  switch (error._tag) {
    case "LlmError":
      return {
        model: error.model.length > 0 ? error.model : model,
        attempt,
        kind: error.reason,
        status: error.status,
        message: error.message,
        retrying: false,
        retryAfterMs: error.retryAfterMs
      }
    case "RateLimited":
      return { model, attempt, kind: "rate_limited", message: error.message, retrying: false, retryAfterMs: error.retryAfterMs }
    case "ModelNotConfigured":
      return { model, attempt, kind: "not_configured", message: error.message, retrying: false }
  }
}

const toModelSpec = (spec: { readonly function: { readonly name: string; readonly description: string; readonly parameters: { readonly [k: string]: unknown } } }): ToolSpec => ({
  name: ToolName.make(spec.function.name),
  description: spec.function.description,
  parameters: spec.function.parameters
})

/** The registry's specs in the model's shape, one array per registry content: every run offers the same one. */
const modelSpecs = new WeakMap<ReadonlyArray<Parameters<typeof toModelSpec>[0]>, ReadonlyArray<ToolSpec>>()
const modelSpecsOf = (registered: ReadonlyArray<Parameters<typeof toModelSpec>[0]>): ReadonlyArray<ToolSpec> => {
  let specs = modelSpecs.get(registered)
  if (specs === undefined) {
    specs = registered.map(toModelSpec)
    modelSpecs.set(registered, specs)
  }
  return specs
}

const actionRank = { allow: 0, warn: 1, redact: 2, block: 3 } as const

/** The `command` field of run_command's JSON arguments, when there is one. */
const commandOf = (argumentsJson: string): string | undefined => {
  try {
    const parsed: unknown = JSON.parse(argumentsJson)
    if (typeof parsed !== "object" || parsed === null || !("command" in parsed)) return undefined
    return typeof parsed.command === "string" ? parsed.command : undefined
  } catch {
    return undefined
  }
}

export const runLoop = (
  actor: SessionActor,
  services: LoopServices,
  emit: Emit,
  stream: boolean = services.settings.stream
): Effect.Effect<void, SessionError> =>
  Effect.gen(function*() {
    const { model, safety, settings, tools } = services
    const specs = modelSpecsOf(yield* tools.specs)
    const toolsTokens = estimateToolTokens(specs)
    const clock = yield* Effect.clock
    let turnStarted = clock.unsafeCurrentTimeMillis()
    const elapsed = Effect.sync(() => clock.unsafeCurrentTimeMillis() - turnStarted)

    const callModel = (state: SessionState) =>
      Effect.gen(function*() {
        const started = state.started!
        // Built from the folded (already validated) transcript and the registry's specs: not validated again,
        // which also keeps `specs` the same array across the run's calls (its token estimate is memoised).
        const request = unchecked(ModelRequest, {
          messages: messagesOf(state.systemPrompt, state.transcript),
          tools: specs,
          model: started.model
        })
        const reported: Array<AttemptRecord> = []
        const options = {
          onAttemptFailed: (failure: AttemptFailure) => Effect.sync(() => void reported.push(attemptOf(failure)))
        }
        // Streamed text reaches the caller through the same secret redaction as everything stored.
        const redactor = makeStreamRedactor(safety.redact)
        const release = (text: string) => {
          if (text.length > 0) emit({ _tag: "TextDelta", turn: state.turn, text })
        }
        let completed: ModelResponse | undefined
        // Deltas that arrived together are handled in one step (a model's stream is read in batches).
        const handle = (deltas: Chunk.Chunk<StreamDelta>) =>
          Effect.sync(() => {
            for (const delta of deltas) {
              if (delta._tag === "TextDelta") release(redactor.push(delta.text))
              else if (delta._tag === "Completed") {
                release(redactor.end())
                completed = delta.response
              }
            }
          })
        const result: Either.Either<ModelResponse, LanguageModelError> = stream
          ? yield* Stream.runForEachChunk(model.stream(request, options), handle).pipe(
            Effect.flatMap(() =>
              completed === undefined
                ? Effect.dieMessage("model stream ended without a Completed element")
                : Effect.succeed(completed)
            ),
            Effect.either
          )
          : yield* Effect.either(model.complete(request, options))
        if (Either.isLeft(result)) {
          return yield* actor.execute(
            SessionCommand.RecordModelFailure({ failures: reported, error: finalAttempt(result.left, started.model, reported) }),
            emit
          )
        }
        const response = result.right
        for (const call of response.toolCalls) originals.set(call.id, call.arguments)
        const outbound: Inspection = response.toolCalls.length === 0 && response.content.length > 0
          ? yield* safety.inspect("outbound", response.content)
          : allowed(response.content)
        return yield* actor.execute(
          SessionCommand.RecordModelResponse({ response, failures: reported, outbound, durationMs: yield* elapsed }),
          emit
        )
      })

    // The model's own arguments by call id: the stored ones (which the tools run with) are already sealed, so a
    // secret in them could no longer be seen, and recorded, by the tool_call stage. Absent after a restart.
    const originals = new Map<string, string>()

    /**
     * The tool_call stage sees the arguments' JSON text, and for run_command also the shell command itself (the
     * command detectors read shell syntax, not JSON); the stronger decision wins.
     */
    const inspectCall = (call: ToolCall) =>
      Effect.gen(function*() {
        const args = originals.get(call.id) ?? call.arguments
        const whole = yield* safety.inspect("tool_call", args)
        const command = call.name === "run_command" ? commandOf(args) : undefined
        if (command === undefined) return whole
        const shell = yield* safety.inspect("tool_call", command)
        return actionRank[shell.action] > actionRank[whole.action] ? shell : whole
      })

    const runTool = (state: SessionState, call: ToolCall): Effect.Effect<ToolOutcome> =>
      Effect.gen(function*() {
        const inspected = yield* inspectCall(call)
        // Recorded as SafetyViolationDetected (stage tool_call) with the call's result. The tool runs with the
        // stored arguments, where the sealed append already replaced any secret.
        const gate = inspected.action === "allow" ? undefined : inspected
        if (inspected.action === "block") {
          return {
            _tag: "Failed",
            toolCallId: call.id,
            reason: "policy_denied",
            message: `the call was blocked by the safety policy (${inspected.rules.join(", ")})`,
            durationMs: 0,
            gate
          } as const
        }
        const workspace = state.started?.workspace ?? resolve(".")
        const result = yield* Effect.either(tools.run(call.name, call.arguments, { workspace, sessionId: state.sessionId }))
        if (Either.isLeft(result)) {
          const error = result.left
          return {
            _tag: "Failed",
            toolCallId: call.id,
            reason: failureReasonOf(error),
            message: error.message,
            durationMs: error.durationMs ?? 0,
            gate
          } as const
        }
        const out = result.right
        const exitCode = out.metadata?.exitCode
        return {
          _tag: "Completed",
          toolCallId: call.id,
          output: out.output,
          truncated: out.truncated,
          originalBytes: out.originalBytes,
          durationMs: out.durationMs,
          ...(typeof exitCode === "number" && Number.isInteger(exitCode) ? { exitCode } : {}),
          safety: yield* safety.inspect("tool_output", out.output),
          gate
        } as const
      })

    for (;;) {
      const state = actor.current()
      switch (state.status) {
        case "ready": {
          turnStarted = clock.unsafeCurrentTimeMillis()
          const params = model.requestParams(unchecked(ModelRequest, { messages: [], tools: specs }), stream)
          // The model is called before its request is durable (a model call changes nothing outside): the request
          // is appended with the answer if that comes within `turnLinger`, else on its own during the call; the
          // response is recorded only after the request is, so the log's order is kept.
          yield* actor.execute(
            SessionCommand.BeginTurn({ toolsOffered: specs.map((s) => s.name), toolsTokens, params }),
            emit,
            { linger: Duration.toMillis(settings.turnLinger) }
          )
          break
        }
        case "awaiting_model":
          yield* callModel(state)
          break
        case "awaiting_tools": {
          const results = yield* Effect.forEach(state.pendingToolCalls, (call) => runTool(state, call), {
            concurrency: settings.maxParallelTools
          })
          yield* actor.execute(SessionCommand.RecordToolResults({ results, durationMs: yield* elapsed }), emit)
          break
        }
        default:
          return
      }
    }
  })
