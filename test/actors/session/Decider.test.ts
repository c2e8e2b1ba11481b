import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { SessionCommand } from "../../../src/actors/session/Commands.ts"
import { replanHint, withheldReply } from "../../../src/actors/session/Decider.ts"
import { defaultDeciderSettings } from "../../../src/actors/session/State.ts"
import { messagesOf } from "../../../src/actors/session/Transcript.ts"
import type { SessionEvent } from "../../../src/events/TauEvent.ts"
import {
  accepted,
  beginTurn,
  completed,
  failed,
  given,
  refusedWith,
  responded,
  response,
  run,
  send,
  startSpec,
  tags,
  toolResults
} from "./fixtures.ts"

const opened = (spec = startSpec()) => run([send("fix the bug", spec)]).events
const idle = () => run([send("hi", startSpec()), beginTurn(), responded(response("hello"))]).events
const awaitingModel = (spec = startSpec()) => run([send("fix the bug", spec), beginTurn()]).events
const awaitingTools = (calls = [{ id: "c1" }, { id: "c2" }], spec = startSpec()) =>
  run([send("fix the bug", spec), beginTurn(), responded(response("", calls))]).events

describe("session decider: start and turns", () => {
  it("a first message starts the session and the next step is a model call", () => {
    const { state, when } = given([])
    expect(state.status).toBe("new")
    const events = accepted(when(send("hello", startSpec())))
    expect(events.map((e) => e._tag)).toEqual(["SessionStarted", "UserMessageReceived"])
    const started = events[0]
    expect(started?._tag === "SessionStarted" && started.systemPrompt).toContain("You are Tau")
    expect(started?._tag === "SessionStarted" && started.mode).toBe("chat")
    const next = given(events)
    expect(next.state.status).toBe("ready")
    const requested = accepted(next.when(beginTurn()))
    expect(requested.map((e) => e._tag)).toEqual(["ModelRequested"])
    expect(requested[0]).toMatchObject({ turn: 1, model: "test-model", messageCount: 2 })
  })

  it("a message to a session that does not exist, without start options, is refused", () => {
    refusedWith(given([]).when(send("hello")), "SessionNotFound")
  })

  it("a message while a reply is in progress is refused", () => {
    refusedWith(given(awaitingModel()).when(send("again")), "InvalidSessionCommand")
  })

  it("a model response with tool calls requests every call; the session awaits their results", () => {
    const { when } = given(awaitingModel())
    const calls = [{ id: "a" }, { id: "b" }, { id: "c" }, { id: "d" }]
    const events = accepted(when(responded(response("let me look", calls))))
    expect(events.map((e) => e._tag)).toEqual(["ModelResponded", ...calls.map(() => "ToolCallRequested")])
    const after = given([...awaitingModel(), ...events]).state
    expect(after.status).toBe("awaiting_tools")
    expect(after.pendingToolCalls.map((c) => c.id)).toEqual(["a", "b", "c", "d"])
  })

  it("tool results are recorded in request order whatever order they finish in, then the turn completes", () => {
    const { when } = given(awaitingTools())
    const events = accepted(when(toolResults(completed("c2", "two"), completed("c1", "one"))))
    expect(events.map((e) => e._tag)).toEqual(["ToolCallCompleted", "ToolCallCompleted", "TurnCompleted"])
    expect(events.map((e) => ("toolCallId" in e ? e.toolCallId : null))).toEqual(["c1", "c2", null])
    expect(events[2]).toMatchObject({ turn: 1, toolCalls: 2, failedToolCalls: 0, final: false })
  })

  it("results must answer exactly the pending calls", () => {
    refusedWith(given(awaitingTools()).when(toolResults(completed("c1", "one"))), "InvalidSessionCommand")
    refusedWith(
      given(awaitingTools()).when(toolResults(completed("c1", "one"), completed("zz", "?"))),
      "InvalidSessionCommand"
    )
  })

  it("a final answer in a chat session replies and keeps the session open", () => {
    const events = accepted(given(awaitingModel()).when(responded(response("done"))))
    expect(events.map((e) => e._tag)).toEqual(["ModelResponded", "AssistantReplied", "TurnCompleted"])
    expect(events[1]).toMatchObject({ content: "done", stopReason: "final_answer", turn: 1 })
    expect(events[2]).toMatchObject({ final: true, promptTokens: 10, completionTokens: 5 })
    const after = given([...awaitingModel(), ...events])
    expect(after.state.status).toBe("idle")
    expect(tags(after.when(send("next")))).toEqual(["UserMessageReceived"])
  })

  it("a final answer in a task session completes it", () => {
    const start = awaitingModel(startSpec({ mode: "task" }))
    const events = accepted(given(start).when(responded(response("done"))))
    expect(events.map((e) => e._tag)).toEqual(["ModelResponded", "AssistantReplied", "TurnCompleted", "SessionCompleted"])
    expect(events[3]).toMatchObject({ reason: "final_answer", turns: 1 })
    refusedWith(given([...start, ...events]).when(send("more")), "SessionAlreadyEnded")
  })

  it("invalid tool arguments become ToolCallFailed with the message the model will see", () => {
    const events = accepted(
      given(awaitingTools([{ id: "c1" }])).when(toolResults(failed("c1", "Expected string at path", "invalid_arguments")))
    )
    expect(events[0]).toMatchObject({ _tag: "ToolCallFailed", reason: "invalid_arguments", message: "Expected string at path" })
    const state = given([...awaitingTools([{ id: "c1" }]), ...events]).state
    const last = state.transcript.filter((e) => e.message._tag === "tool").at(-1)
    expect(last?.message.content).toBe("Error (invalid_arguments): Expected string at path")
    expect(state.status).toBe("ready")
  })
})

describe("session decider: replan, max turns, cancel", () => {
  const failingTurn = (ids: ReadonlyArray<string>) => [
    beginTurn(),
    responded(response("", ids.map((id) => ({ id })))),
    toolResults(...ids.map((id) => failed(id)))
  ]

  it("every tool call of a turn failed → one replan hint, at most two per session", () => {
    const { events } = run([send("go", startSpec()), ...failingTurn(["a", "b"]), ...failingTurn(["c"]), ...failingTurn(["d"])])
    const hints = events.filter((e) => e._tag === "ReplanHintInjected")
    expect(hints.map((h) => [h.turn, h.ordinal, h.failedToolCalls])).toEqual([[1, 1, 2], [2, 2, 1]])
    expect(hints[0]?.hint).toBe(replanHint)
  })

  it("no hint when at least one call of the turn succeeded", () => {
    const { events } = run([
      send("go", startSpec()),
      beginTurn(),
      responded(response("", [{ id: "a" }, { id: "b" }])),
      toolResults(failed("a"), completed("b", "ok"))
    ])
    expect(events.some((e) => e._tag === "ReplanHintInjected")).toBe(false)
  })

  it("the hint is in the transcript before the next model call", () => {
    const { state } = run([send("go", startSpec()), ...failingTurn(["a"])])
    expect(messagesOf(state.systemPrompt, state.transcript).at(-1)).toEqual({ _tag: "user", content: replanHint })
  })

  it("max turns ends the run with a max_turns reply (and completes a task session)", () => {
    const spec = startSpec({ maxTurns: 2, mode: "task" })
    const { events, state } = run([
      send("go", spec),
      beginTurn(),
      responded(response("", [{ id: "a" }])),
      toolResults(completed("a", "1")),
      beginTurn(),
      responded(response("", [{ id: "b" }])),
      toolResults(completed("b", "2"))
    ])
    expect(events.slice(-3).map((e) => e._tag)).toEqual(["AssistantReplied", "TurnCompleted", "SessionCompleted"])
    expect(events.at(-3)).toMatchObject({ stopReason: "max_turns", turn: 2 })
    expect(events.at(-1)).toMatchObject({ reason: "max_turns", turns: 2 })
    expect(state.status).toBe("ended")
  })

  it("max turns counts per user message in a chat session", () => {
    const spec = startSpec({ maxTurns: 1 })
    const turn = (id: string) => [beginTurn(), responded(response("", [{ id }])), toolResults(completed(id, "x"))]
    const { events, state } = run([send("one", spec), ...turn("a"), send("two"), ...turn("b")])
    expect(events.filter((e) => e._tag === "AssistantReplied").map((e) => e.turn)).toEqual([1, 2])
    expect(state.status).toBe("idle")
  })

  it("cancel mid-turn records the turn in flight and ends the session", () => {
    const { when } = given(awaitingTools())
    const events = accepted(when(SessionCommand.Cancel({ by: "user" })))
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({ _tag: "SessionCancelled", by: "user", turn: 1, turns: 1 })
    const after = given([...awaitingTools(), ...events])
    expect(after.state.status).toBe("ended")
    refusedWith(after.when(SessionCommand.Cancel({ by: "user" })), "SessionAlreadyEnded")
    refusedWith(after.when(toolResults(completed("c1", "x"), completed("c2", "y"))), "SessionAlreadyEnded")
  })

  it("cancel while idle has no turn in flight; end and abandon close an idle session", () => {
    expect(accepted(given(opened()).when(SessionCommand.Cancel({ by: "operator" })))[0]).not.toHaveProperty("turn")
    const replied = run([send("hi", startSpec()), beginTurn(), responded(response("hello"))]).events
    expect(accepted(given(replied).when(SessionCommand.End()))[0]).toMatchObject({ reason: "ended_by_user", turns: 1 })
    expect(accepted(given(replied).when(SessionCommand.Abandon({ idleMs: 5000.4 })))[0]).toMatchObject({
      _tag: "SessionAbandoned",
      idleMs: 5000
    })
    refusedWith(given(awaitingModel()).when(SessionCommand.End()), "InvalidSessionCommand")
  })

  it("a failed model call records each attempt and fails the session", () => {
    const failures = [
      { model: "m", attempt: 1, kind: "server_error" as const, status: 503, message: "503", retrying: true, latencyMs: 4 },
      { model: "m", attempt: 2, kind: "server_error" as const, status: 503, message: "503", retrying: false }
    ]
    const events = accepted(
      given(awaitingModel()).when(SessionCommand.RecordModelFailure({ failures, error: failures[1]! }))
    )
    expect(events.map((e) => e._tag)).toEqual(["ModelCallFailed", "ModelCallFailed", "SessionFailed"])
    expect(events[0]).toMatchObject({ retryable: true, attempt: 1, status: 503 })
    expect(events[2]).toMatchObject({ reason: "model_error" })
    const unreported = accepted(given(awaitingModel()).when(SessionCommand.RecordModelFailure({
      failures: [],
      error: { model: "m", attempt: 1, kind: "not_configured", message: "set OPENAI_API_KEY", retrying: false }
    })))
    expect(unreported.map((e) => e._tag)).toEqual(["ModelCallFailed", "SessionFailed"])
  })
})

describe("session decider: budget, safety, compaction, feedback", () => {
  const paid = (cost: number) => response("", [{ id: `c${cost}` }], { costUsd: cost })

  it("budget alerts are raised once per threshold, then the hard stop fails the session", () => {
    const spec = startSpec({ budgetUsd: 1 })
    const turn = (cost: number) => [beginTurn(), responded(paid(cost)), toolResults(completed(`c${cost}`, "x"))]
    const { events } = run([send("go", spec), ...turn(0.3), ...turn(0.25), ...turn(0.1)])
    const alerts = events.filter((e) => e._tag === "BudgetAlertRaised")
    expect(alerts.map((a) => a.threshold)).toEqual([0.5])
    const more = run([send("go", spec), ...turn(0.3), ...turn(0.25), ...turn(0.1), beginTurn(), responded(paid(0.5))])
      .events
    const all = more.filter((e) => e._tag === "BudgetAlertRaised").map((a) => a.threshold)
    expect(all).toEqual([0.5, 0.8, 1])
    expect(more.slice(-3).map((e) => e._tag)).toEqual(["AssistantReplied", "TurnCompleted", "SessionFailed"])
    expect(more.at(-3)).toMatchObject({ stopReason: "budget_exhausted" })
    expect(more.at(-1)).toMatchObject({ reason: "budget_exhausted" })
    expect(more.some((e) => e._tag === "ToolCallRequested" && e.toolCallId === "c0.5")).toBe(false)
  })

  it("no budget, no alerts", () => {
    const { events } = run([send("go", startSpec()), beginTurn(), responded(response("x", [], { costUsd: 99 }))])
    expect(events.some((e) => e._tag === "BudgetAlertRaised")).toBe(false)
  })

  it("inbound: a redacted message is stored redacted with a violation; a blocked one is not stored", () => {
    const redacted = { action: "redact" as const, rules: ["secret.openai_key"], matches: 1, text: "key [REDACTED]" }
    expect(tags(given(idle()).when(send("key sk-…", undefined, redacted)))).toEqual([
      "SafetyViolationDetected",
      "UserMessageReceived"
    ])
    const events = accepted(given(idle()).when(send("x", undefined, redacted)))
    expect(events[1]).toMatchObject({ content: "key [REDACTED]" })
    const blocked = { action: "block" as const, rules: ["injection.ignore_previous"], matches: 2, text: "…" }
    const decision = accepted(given(idle()).when(send("ignore previous", undefined, blocked)))
    expect(decision.map((e) => e._tag)).toEqual(["SafetyViolationDetected"])
    expect(decision[0]).toMatchObject({ stage: "inbound", action: "block", matches: 2 })
  })

  it("tool output: redacted output is recorded redacted; a blocked output becomes a policy_denied failure", () => {
    const redact = { action: "redact" as const, rules: ["secret.aws_key"], matches: 1, text: "id=[REDACTED]" }
    const block = { action: "block" as const, rules: ["injection.override"], matches: 1, text: "" }
    const events = accepted(
      given(awaitingTools()).when(toolResults(completed("c1", "id=AKIA…", redact), completed("c2", "evil", block)))
    )
    expect(events.map((e) => e._tag)).toEqual([
      "SafetyViolationDetected",
      "ToolCallCompleted",
      "SafetyViolationDetected",
      "ToolCallFailed",
      "TurnCompleted"
    ])
    expect(events[1]).toMatchObject({ output: "id=[REDACTED]" })
    expect(events[2]).toMatchObject({ stage: "tool_output", toolCallId: "c2", action: "block" })
    expect(events[3]).toMatchObject({ reason: "policy_denied" })
  })

  it("outbound: a blocked reply is withheld", () => {
    const block = { action: "block" as const, rules: ["secret.private_key"], matches: 1, text: "" }
    const events = accepted(given(awaitingModel()).when(responded(response("-----BEGIN"), block)))
    expect(events.map((e) => e._tag)).toEqual(["ModelResponded", "SafetyViolationDetected", "AssistantReplied", "TurnCompleted"])
    expect(events[2]).toMatchObject({ content: withheldReply, stopReason: "blocked" })
  })

  it("past the threshold, older turns are summarised before the model call", () => {
    const settings = { ...defaultDeciderSettings, compaction: { contextWindow: 400, threshold: 0.5, keepTurns: 1 } }
    const big = "x".repeat(400)
    const turn = (id: string) => [beginTurn(), responded(response("", [{ id }])), toolResults(completed(id, big))]
    const { events, state } = run([send("task", startSpec()), ...turn("a"), ...turn("b"), ...turn("c"), beginTurn()], settings)
    const compactions = events.filter((e) => e._tag === "ContextCompacted")
    expect(compactions.length).toBeGreaterThan(0)
    const last = compactions.at(-1)!
    expect(last.tokensAfter).toBeLessThan(last.tokensBefore)
    const lastRequest = events.at(-1)!
    expect(lastRequest._tag).toBe("ModelRequested")
    expect(events.at(-2)?._tag).toBe("ContextCompacted")
    expect(state.transcript[0]?.message.content).toContain("[Context summary of turns 1-")
    expect(state.transcript[0]?.message.content).toContain("- user: task")
    expect(lastRequest._tag === "ModelRequested" && lastRequest.messageCount).toBe(state.transcript.length + 1)
  })

  it("feedback is recorded on open and ended sessions, not on missing ones or unknown turns", () => {
    const feedback = (turn?: number) => SessionCommand.RecordFeedback({ rating: 0.5, source: "cli", ...(turn ? { turn } : {}) })
    refusedWith(given([]).when(feedback()), "SessionNotFound")
    const ended = [...opened(), ...accepted(given(opened()).when(SessionCommand.Cancel({ by: "user" })))]
    expect(tags(given(ended).when(feedback()))).toEqual(["FeedbackReceived"])
    refusedWith(given(opened()).when(feedback(3)), "InvalidSessionCommand")
  })
})

describe("session evolve", () => {
  it("folds a session that holds every session event type", () => {
    const spec = startSpec({ budgetUsd: 0.1 })
    const first = run([
      send("go", spec),
      beginTurn(),
      SessionCommand.RecordModelResponse({
        response: response("", [{ id: "a" }], { costUsd: 0.06 }),
        failures: [{ model: "m", attempt: 1, kind: "timeout", message: "slow", retrying: true }],
        outbound: { action: "allow", rules: [], matches: 0, text: "" },
        durationMs: 5
      }),
      toolResults(completed("a", "out", { action: "warn", rules: ["injection.x"], matches: 1, text: "out ".repeat(300) })),
      beginTurn(),
      responded(response("", [{ id: "b" }])),
      toolResults(failed("b")),
      beginTurn(),
      responded(response("final")),
      SessionCommand.RecordFeedback({ rating: 1, source: "cli", turn: 1 })
    ], { ...defaultDeciderSettings, compaction: { contextWindow: 60, threshold: 0.1, keepTurns: 0 } })
    const ending: ReadonlyArray<SessionEvent> = [
      ...accepted(given(first.events).when(SessionCommand.Abandon({ idleMs: 1 })))
    ]
    const all = [...first.events, ...ending]
    const seen = new Set(all.map((e) => e._tag))
    for (
      const tag of [
        "SessionStarted",
        "UserMessageReceived",
        "ModelRequested",
        "ModelResponded",
        "ModelCallFailed",
        "ToolCallRequested",
        "ToolCallCompleted",
        "ToolCallFailed",
        "SafetyViolationDetected",
        "ReplanHintInjected",
        "ContextCompacted",
        "BudgetAlertRaised",
        "AssistantReplied",
        "TurnCompleted",
        "FeedbackReceived",
        "SessionAbandoned"
      ]
    ) expect(seen, tag).toContain(tag)
    const state = given(all).state
    expect(state).toMatchObject({ status: "ended", ending: "SessionAbandoned", turn: 3, replansUsed: 1, feedbackCount: 1 })
    expect(state.spentUsd).toBeCloseTo(0.06)
    expect(state.alertsRaised).toEqual([0.5])
    expect(state.promptTokens).toBe(30)
    for (const tag of ["SessionCompleted", "SessionFailed", "SessionCancelled"] as const) {
      const end = tag === "SessionCompleted"
        ? SessionCommand.End()
        : tag === "SessionFailed"
        ? SessionCommand.Fail({ reason: "internal", message: "x" })
        : SessionCommand.Cancel({ by: "shutdown" })
      const decision = given(first.events).when(end)
      expect(Either.isRight(decision) && decision.right[0]?._tag).toBe(tag)
      expect(given([...first.events, ...accepted(decision)]).state.status).toBe("ended")
    }
  })
})
