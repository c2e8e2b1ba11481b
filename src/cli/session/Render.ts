/**
 * How `tau run` and `tau chat` show a session's progress: the reply's text on stdout as it streams, and one
 * compact line on stderr per tool call, tool result, safety decision, failed model attempt or ending.
 */
import type { Terminal } from "@effect/platform"
import { Effect, Ref } from "effect"
import type { SessionProgress, SessionReply } from "../../actors/session/Progress.ts"
import type { SessionEvent } from "../../events/TauEvent.ts"
import type { CliError } from "../CliError.ts"
import { stderrLine, stdout } from "../Output.ts"

const clip = (text: string, max: number) => {
  const flat = text.replace(/\s+/g, " ").trim()
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat
}

/** The one stderr line an event deserves, if any. */
export const eventLine = (event: SessionEvent): string | undefined => {
  switch (event._tag) {
    case "ToolCallRequested":
      return `→ ${event.name} ${clip(event.arguments, 120)}`
    case "ToolCallCompleted": {
      const exit = event.exitCode !== undefined && event.exitCode !== 0 ? ` exit ${event.exitCode}` : ""
      const out = clip(event.output, 100)
      return `← ${event.name} ok${exit} (${event.durationMs} ms)${out.length > 0 ? `: ${out}` : ""}`
    }
    case "ToolCallFailed":
      return `✗ ${event.name} ${event.reason}: ${clip(event.message, 140)}`
    case "SafetyViolationDetected":
      return `! safety ${event.stage}: ${event.action} (${event.rules.join(", ")})`
    case "ModelCallFailed":
      return `! model ${event.model} attempt ${event.attempt} failed: ${clip(event.message, 140)}${event.retryable ? " (retrying)" : ""}`
    case "ReplanHintInjected":
      return `! every tool call failed: replan hint ${event.ordinal}`
    case "ContextCompacted":
      return `! context compacted: ${event.tokensBefore} → ${event.tokensAfter} tokens`
    case "BudgetAlertRaised":
      return `! budget: $${event.spentUsd.toFixed(4)} of $${event.budgetUsd} spent`
    case "SessionFailed":
      return `session failed (${event.reason}): ${clip(event.message, 200)}`
    case "SessionCancelled":
      return `session cancelled (${event.by})`
    case "SessionAbandoned":
      return "session abandoned (idle)"
    default:
      return undefined
  }
}

export interface Renderer {
  /** Shows one progress item. With `quiet`, nothing goes to stdout (the reply text is streamed to stderr). */
  readonly show: (progress: SessionProgress) => Effect.Effect<void, CliError, Terminal.Terminal>
  /** Ends the reply's line; prints the recorded reply when it differs from what streamed (redacted, withheld). */
  readonly finish: (reply: SessionReply) => Effect.Effect<void, CliError, Terminal.Terminal>
}

export const makeRenderer = (options: { readonly quiet: boolean }): Effect.Effect<Renderer> =>
  Effect.gen(function*() {
    /** Text streamed for the current turn, and whether the output line is open. */
    const streamed = yield* Ref.make({ turn: 0, text: "" })
    const out = (text: string) => (options.quiet ? Effect.sync(() => process.stderr.write(text)) : stdout(text))
    const closeLine = Effect.flatMap(Ref.getAndUpdate(streamed, (s) => ({ ...s, text: "" })), (s) =>
      s.text.length > 0 && !s.text.endsWith("\n") ? out("\n") : Effect.void)

    const show = (progress: SessionProgress) =>
      Effect.gen(function*() {
        switch (progress._tag) {
          case "TextDelta": {
            const current = yield* Ref.get(streamed)
            yield* Ref.set(streamed, {
              turn: progress.turn,
              text: (current.turn === progress.turn ? current.text : "") + progress.text
            })
            return yield* out(progress.text)
          }
          case "Event": {
            const event = progress.event
            if (event._tag === "ModelResponded" && event.toolCalls.length > 0) yield* closeLine
            if (event._tag === "AssistantReplied") {
              const current = yield* Ref.get(streamed)
              const sameTurn = current.turn === event.turn
              if (!sameTurn || current.text !== event.content) {
                if (sameTurn && current.text.length > 0) {
                  yield* closeLine
                  yield* stderrLine("! the recorded reply differs from the streamed text (safety); it follows")
                }
                yield* out(event.content.endsWith("\n") ? event.content : `${event.content}\n`)
                yield* Ref.set(streamed, { turn: event.turn, text: "" })
              } else {
                yield* closeLine
              }
              return
            }
            const line = eventLine(event)
            if (line !== undefined) {
              yield* closeLine
              yield* stderrLine(line)
            }
            return
          }
          case "Finished":
            return
        }
      })

    const finish = () => closeLine

    return { show, finish } as const
  })

export type SessionOutcome = "active" | "completed" | "failed" | "cancelled" | "abandoned"

export const outcomeOf = (reply: SessionReply): SessionOutcome => {
  switch (reply.ending) {
    case "SessionCompleted":
      return "completed"
    case "SessionFailed":
      return "failed"
    case "SessionCancelled":
      return "cancelled"
    case "SessionAbandoned":
      return "abandoned"
    default:
      return "active"
  }
}

/** One stderr line summing a run up. */
export const summaryLine = (reply: SessionReply): string =>
  `session ${reply.sessionId} ${outcomeOf(reply)}: ${reply.turns} turn${reply.turns === 1 ? "" : "s"}, ` +
  `${reply.promptTokens} tokens in, ${reply.completionTokens} out, $${reply.costUsd.toFixed(4)}`
