/**
 * Random valid sessions for the reward property tests: a plan drawn by fast-check, turned into catalogue events
 * by SessionBuilder (so TurnCompleted counts always match the tool events).
 */
import { FastCheck as fc } from "effect"
import { SafetyRuleId, SessionId, ToolCallId, ToolName } from "../../../src/domain/Ids.ts"
import {
  FeedbackReceived,
  SafetyViolationDetected,
  type TauEvent,
  ToolCallFailed,
  ToolCallRequested
} from "../../../src/events/TauEvent.ts"
import type { ComparableBaseline } from "../../../src/learning/reward/Summary.ts"
import { session, type ToolSpec } from "./SessionBuilder.ts"

const messages = [
  "Fix the failing test in parser.ts",
  "What is a monad?",
  "thanks, that works!",
  "no, that's wrong",
  "ugh, useless",
  "Now add a --json flag to the export command",
  "ok",
  "still failing",
  "Refactor the config loader",
  "no problem, thanks"
]

const message = fc.oneof(fc.constantFrom(...messages), fc.string({ maxLength: 60 }))

const toolSpec: fc.Arbitrary<ToolSpec> = fc.record({
  name: fc.constantFrom("read_file", "run_command", "edit_file"),
  arguments: fc.constantFrom("{}", "{\"cmd\":\"npm test\"}", "{\"path\":\"a.ts\"}"),
  result: fc.oneof(
    fc.constant("ok" as const),
    fc.constant("failed" as const),
    fc.integer({ min: 0, max: 2 }).map((exitCode) => ({ exitCode }))
  )
})

const turnSpec = fc.record({
  tools: fc.array(toolSpec, { maxLength: 3 }),
  promptTokens: fc.integer({ min: 0, max: 20_000 }),
  completionTokens: fc.integer({ min: 0, max: 4_000 }),
  durationMs: fc.integer({ min: 0, max: 120_000 }),
  modelFailures: fc.integer({ min: 0, max: 2 })
})

const safetySpec = fc.record({
  stage: fc.constantFrom("inbound" as const, "tool_output" as const, "outbound" as const),
  action: fc.constantFrom("warn" as const, "redact" as const, "block" as const)
})

const exchange = fc.record({
  message,
  turns: fc.array(turnSpec, { maxLength: 3 }),
  reply: fc.option(fc.oneof(fc.constant(""), fc.string({ minLength: 1, maxLength: 20 })), { nil: undefined }),
  blockedReply: fc.boolean(),
  safety: fc.array(safetySpec, { maxLength: 2 })
})

const end = fc.oneof(
  fc.constant(undefined),
  fc.record({ kind: fc.constant("completed" as const), reason: fc.constantFrom("final_answer" as const, "max_turns" as const, "ended_by_user" as const) }),
  fc.record({ kind: fc.constant("abandoned" as const) }),
  fc.record({
    kind: fc.constant("failed" as const),
    reason: fc.constantFrom(
      "model_error" as const,
      "budget_exhausted" as const,
      "safety_block" as const,
      "tool_error" as const,
      "internal" as const
    )
  }),
  fc.record({ kind: fc.constant("cancelled" as const), by: fc.constantFrom("user" as const, "shutdown" as const, "operator" as const) })
)

export const rating = fc.double({ min: -1, max: 1, noNaN: true }).map((r) => (Object.is(r, -0) ? 0 : r))

const feedback = fc.record({ rating, turn: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }) })

export const baseline: fc.Arbitrary<ComparableBaseline | undefined> = fc.option(
  fc.record({
    medianTokens: fc.integer({ min: 0, max: 50_000 }),
    medianTurns: fc.integer({ min: 0, max: 10 }),
    medianLatencyMs: fc.integer({ min: 0, max: 200_000 }),
    sampleSize: fc.integer({ min: 0, max: 100 })
  }),
  { nil: undefined }
)

export const sessionPlan = fc.record({
  exchanges: fc.array(exchange, { minLength: 1, maxLength: 4 }),
  end,
  feedback: fc.array(feedback, { maxLength: 2 })
})
export type SessionPlan = typeof sessionPlan extends fc.Arbitrary<infer A> ? A : never

export const sessionId = SessionId.make("s-1")

/** Plays a plan's exchanges and ending (not its feedback) into a session builder. */
export const playSession = (b: ReturnType<typeof session>, plan: SessionPlan): void => {
  for (const ex of plan.exchanges) {
    b.user(ex.message)
    ex.turns.forEach((turn, i) => {
      const last = i === ex.turns.length - 1
      b.agentTurn({
        ...turn,
        ...(last && ex.reply !== undefined
          ? { reply: ex.reply, stopReason: ex.blockedReply ? "blocked" as const : "final_answer" as const }
          : {})
      })
    })
    for (const s of ex.safety) b.safety(s)
  }
  const e = plan.end
  if (e !== undefined) {
    if (e.kind === "completed") b.completed(e.reason)
    else if (e.kind === "abandoned") b.abandoned()
    else if (e.kind === "failed") b.failed(e.reason)
    else b.cancelled(e.by)
  }
}

export const buildSession = (plan: SessionPlan): Array<TauEvent> => {
  const b = session("s-1")
  playSession(b, plan)
  for (const f of plan.feedback) b.feedback(f.rating, f.turn)
  return b.events
}

/** Insert `extra` after position `at` (clamped so SessionStarted stays first). */
export const insertAt = (events: ReadonlyArray<TauEvent>, at: number, extra: ReadonlyArray<TauEvent>) => {
  const i = 1 + (at % events.length)
  return [...events.slice(0, i), ...extra, ...events.slice(i)]
}

export const blockEvent = (turn: number | undefined, stage: "inbound" | "tool_output" | "outbound") =>
  new SafetyViolationDetected({
    sessionId,
    stage,
    ...(turn === undefined ? {} : { turn }),
    rules: [SafetyRuleId.make("secret.openai_key")],
    action: "block",
    matches: 1
  })

export const failedCall = (turn: number, args: string, n: number): ReadonlyArray<TauEvent> => {
  const toolCallId = ToolCallId.make(`extra-${n}`)
  const name = ToolName.make("run_command")
  return [
    new ToolCallRequested({ sessionId, turn, toolCallId, name, arguments: args, executor: "server" }),
    new ToolCallFailed({ sessionId, turn, toolCallId, name, reason: "timeout", message: "timed out", durationMs: 5 })
  ]
}

export const ratingEvent = (value: number, turn?: number) =>
  new FeedbackReceived({ sessionId, rating: value, source: "http", ...(turn === undefined ? {} : { turn }) })
