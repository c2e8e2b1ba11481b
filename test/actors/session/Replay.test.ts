/**
 * The replay guarantee: folding a session's events (read back through the log's JSON shape) reproduces its
 * transcript — the messages the model would be sent next — exactly, with no model or tool involved.
 */
import { describe, expect, it } from "@effect/vitest"
import { Either, FastCheck as fc } from "effect"
import type { ChatMessage } from "../../../src/agent/llm/Types.ts"
import { ChatMessages } from "../../../src/agent/llm/Types.ts"
import { ToolCallId, ToolName } from "../../../src/domain/Ids.ts"
import { SessionCommand } from "../../../src/actors/session/Commands.ts"
import { decide, replanHint } from "../../../src/actors/session/Decider.ts"
import type { DeciderSettings, SessionState } from "../../../src/actors/session/State.ts"
import { defaultDeciderSettings, foldEvents, initialState } from "../../../src/actors/session/State.ts"
import { messagesOf } from "../../../src/actors/session/Transcript.ts"
import type { SessionEvent } from "../../../src/events/TauEvent.ts"
import {
  beginTurn,
  completed,
  failed,
  responded,
  response,
  roundTrip,
  send,
  sessionId,
  startSpec,
  toolResults
} from "./fixtures.ts"

const text = (max: number) => fc.string({ maxLength: max, unit: "grapheme" })

const call = fc.record({ ok: fc.boolean(), output: text(300), name: fc.constantFrom("read_file", "edit_file", "run_command") })
const step = fc.oneof(
  fc.record({ kind: fc.constant("tools" as const), content: text(40), calls: fc.array(call, { minLength: 1, maxLength: 5 }) }),
  fc.record({ kind: fc.constant("final" as const), content: text(120) })
)
const userRun = fc.record({ message: text(200), steps: fc.array(step, { maxLength: 5 }) })
const sessionScript = fc.record({
  mode: fc.constantFrom("chat" as const, "task" as const),
  maxTurns: fc.integer({ min: 1, max: 5 }),
  runs: fc.array(userRun, { minLength: 1, maxLength: 4 }),
  feedback: fc.boolean()
})
type Script = typeof sessionScript extends fc.Arbitrary<infer A> ? A : never

interface Simulation {
  readonly events: ReadonlyArray<SessionEvent>
  /** What the live actor would have sent at each model call, and how many events preceded that call. */
  readonly sent: ReadonlyArray<{ readonly upTo: number; readonly messages: ReadonlyArray<ChatMessage> }>
  /** An independent account of the conversation, kept from the script (valid without compaction). */
  readonly oracle: ReadonlyArray<ChatMessage>
}

/** Plays a script through the decider as the runtime would, answering model and tool calls from the script. */
const simulate = (script: Script, settings: DeciderSettings): Simulation => {
  let state: SessionState = initialState(sessionId, settings)
  const events: Array<SessionEvent> = []
  const sent: Array<Simulation["sent"][number]> = []
  const spec = startSpec({ mode: script.mode, maxTurns: script.maxTurns })
  const oracle: Array<ChatMessage> = [ChatMessages.system(spec.prompt.text)]
  let hints = 0
  const apply = (command: SessionCommand) => {
    const decision = decide(command, state)
    if (Either.isLeft(decision)) throw new Error(`${command._tag}: ${decision.left.message}`)
    events.push(...decision.right)
    state = foldEvents(state, decision.right)
  }
  script.runs.forEach((userRun, runIndex) => {
    if (state.status === "ended") return
    apply(send(userRun.message, runIndex === 0 ? spec : undefined))
    oracle.push(ChatMessages.user(userRun.message))
    let turnsThisRun = 0
    let next = 0
    while (state.status === "ready") {
      apply(beginTurn(20))
      sent.push({ upTo: events.length, messages: messagesOf(state.systemPrompt, state.transcript) })
      turnsThisRun++
      const s = userRun.steps[next++] ?? { kind: "final" as const, content: "done" }
      if (s.kind === "final") {
        apply(responded(response(s.content)))
        oracle.push(ChatMessages.assistant(s.content))
        continue
      }
      const calls = s.calls.map((c, i) => ({ ...c, id: `t${state.turn}-${i}` }))
      apply(responded(response(s.content, calls.map((c) => ({ id: c.id, name: c.name, arguments: `{"n":${c.output.length}}` })))))
      oracle.push(ChatMessages.assistant(
        s.content,
        calls.map((c) => ({ id: ToolCallId.make(c.id), name: ToolName.make(c.name), arguments: `{"n":${c.output.length}}` }))
      ))
      apply(toolResults(...[...calls].reverse().map((c) => (c.ok ? completed(c.id, c.output) : failed(c.id, c.output)))))
      for (const c of calls) {
        oracle.push(ChatMessages.tool(ToolCallId.make(c.id), c.ok ? c.output : `Error (error): ${c.output}`))
      }
      if (calls.every((c) => !c.ok) && hints < settings.maxReplans && turnsThisRun < script.maxTurns) {
        hints++
        oracle.push(ChatMessages.user(replanHint))
      }
    }
  })
  if (script.feedback && state.status !== "new") {
    apply(SessionCommand.RecordFeedback({ rating: -0.5, source: "cli" }))
  }
  return { events, sent, oracle }
}

const replay = (events: ReadonlyArray<SessionEvent>) => {
  // A fresh state with other settings: the transcript must not depend on anything outside the events.
  const state = foldEvents(initialState(sessionId), roundTrip(events))
  return messagesOf(state.systemPrompt, state.transcript)
}

describe("session replay", () => {
  it("folding a session's events reproduces its transcript exactly (independent account)", () => {
    fc.assert(
      fc.property(sessionScript, (script) => {
        const sim = simulate(script, defaultDeciderSettings)
        expect(replay(sim.events)).toEqual(sim.oracle)
      }),
      { numRuns: 150 }
    )
  })

  it("with compaction, every model call saw exactly what a replay of the events before it rebuilds", () => {
    const tight: DeciderSettings = {
      ...defaultDeciderSettings,
      compaction: { contextWindow: 600, threshold: 0.5, keepTurns: 1 }
    }
    fc.assert(
      fc.property(sessionScript, (script) => {
        const sim = simulate(script, tight)
        for (const { messages, upTo } of sim.sent) {
          const prefix = sim.events.slice(0, upTo)
          expect(replay(prefix)).toEqual(messages)
          const request = prefix.at(-1)
          expect(request?._tag === "ModelRequested" && request.messageCount).toBe(messages.length)
        }
        expect(replay(sim.events)).toEqual(
          (() => {
            const live = foldEvents(initialState(sessionId, tight), sim.events)
            return messagesOf(live.systemPrompt, live.transcript)
          })()
        )
      }),
      { numRuns: 150 }
    )
  })

  it("compaction does happen in the tight setting (the property above is not vacuous)", () => {
    const script: Script = {
      mode: "chat",
      maxTurns: 5,
      feedback: false,
      runs: [{
        message: "go",
        steps: [1, 2, 3, 4].map(() => ({ kind: "tools" as const, content: "", calls: [{ ok: true, output: "y".repeat(500), name: "read_file" }] }))
      }]
    }
    const sim = simulate(script, { ...defaultDeciderSettings, compaction: { contextWindow: 600, threshold: 0.5, keepTurns: 1 } })
    expect(sim.events.some((e) => e._tag === "ContextCompacted")).toBe(true)
  })
})
