/**
 * The tool_call safety stage in the decider: each non-allow inspection of a call's arguments becomes
 * SafetyViolationDetected (stage tool_call, with the call id) just before the call's result.
 */
import { describe, expect, it } from "@effect/vitest"
import { ToolCallId } from "../../../src/domain/Ids.ts"
import type { Inspection, ToolOutcome } from "../../../src/actors/session/Commands.ts"
import { accepted, beginTurn, completed, given, responded, response, run, send, startSpec, toolResults } from "./fixtures.ts"

const awaitingTools = () =>
  run([send("go", startSpec()), beginTurn(), responded(response("", [{ id: "c1" }, { id: "c2" }, { id: "c3" }]))]).events

const inspection = (action: Inspection["action"], rule: string): Inspection => ({ action, rules: [rule], matches: 1, text: "" })

const refused = (id: string, gate: Inspection): ToolOutcome => ({
  _tag: "Failed",
  toolCallId: ToolCallId.make(id),
  reason: "policy_denied",
  message: "blocked",
  durationMs: 0,
  gate
})

describe("session decider: tool_call stage", () => {
  it("warn, redact and block at the tool_call stage are each recorded before the call's result", () => {
    const events = accepted(
      given(awaitingTools()).when(toolResults(
        { ...completed("c1", "ok"), gate: inspection("warn", "injection.ignore_previous") },
        { ...completed("c2", "ok"), gate: inspection("redact", "secret.openai_key") },
        refused("c3", inspection("block", "command.rm_rf_root"))
      ))
    )
    expect(events.map((e) => e._tag)).toEqual([
      "SafetyViolationDetected",
      "ToolCallCompleted",
      "SafetyViolationDetected",
      "ToolCallCompleted",
      "SafetyViolationDetected",
      "ToolCallFailed",
      "TurnCompleted"
    ])
    expect(events.filter((e) => e._tag === "SafetyViolationDetected")).toMatchObject([
      { stage: "tool_call", action: "warn", toolCallId: "c1", turn: 1, rules: ["injection.ignore_previous"] },
      { stage: "tool_call", action: "redact", toolCallId: "c2", turn: 1, rules: ["secret.openai_key"] },
      { stage: "tool_call", action: "block", toolCallId: "c3", turn: 1, rules: ["command.rm_rf_root"] }
    ])
  })

  it("an allowed or absent gate records nothing", () => {
    const events = accepted(
      given(awaitingTools()).when(toolResults(
        { ...completed("c1", "ok"), gate: inspection("allow", "x") },
        completed("c2", "ok"),
        completed("c3", "ok")
      ))
    )
    expect(events.map((e) => e._tag)).toEqual(["ToolCallCompleted", "ToolCallCompleted", "ToolCallCompleted", "TurnCompleted"])
  })
})
