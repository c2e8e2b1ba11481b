/**
 * The tool_call safety stage through the runtime: a dangerous command is blocked before it runs and a secret in
 * a call's arguments is redacted from the log, each recorded as SafetyViolationDetected (stage tool_call).
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { Sessions } from "../../../src/actors/session/Sessions.ts"
import { Reply, loopbackModel } from "../../support/LoopbackModel.ts"
import { tempSqliteFile } from "../../support/Sqlite.ts"
import { samples } from "../../agent/safety/fixtures.ts"
import { rawStreamText, sessionsLayer, streamOf, workspace } from "./runtime.ts"

describe("session runtime: tool_call safety stage", () => {
  it.scopedLive("a dangerous command is blocked (not run) and a secret in arguments is redacted, both recorded", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      const file = yield* tempSqliteFile
      const ws = yield* workspace
      const marker = path.join(ws, "marker")
      fs.writeFileSync(marker, "keep")
      lb.enqueue(
        Reply.toolCalls([
          { id: "c1", name: "run_command", arguments: { command: "shutdown -h now" } },
          { id: "c2", name: "write_file", arguments: { path: "key.txt", content: `key=${samples.openai}` } }
        ]),
        Reply.text("done")
      )
      const layer = sessionsLayer(file, lb)
      const reply = yield* Effect.flatMap(Sessions, (s) => s.ask("go", { workspace: ws, mode: "task" })).pipe(Effect.provide(layer))
      expect(reply).toMatchObject({ status: "ended", ending: "SessionCompleted" })
      const stored = (yield* streamOf(reply.sessionId).pipe(Effect.provide(layer))).map((e) => e.event)
      const violations = stored.filter((e) => e._tag === "SafetyViolationDetected")
      expect(violations).toMatchObject([
        { stage: "tool_call", action: "block", toolCallId: "c1", turn: 1 },
        { stage: "tool_call", action: "redact", toolCallId: "c2", turn: 1 }
      ])
      const tags = stored.map((e) => e._tag)
      const c1 = stored.findIndex((e) => e._tag === "ToolCallFailed" && e.toolCallId === "c1")
      expect(stored[c1]).toMatchObject({ reason: "policy_denied" })
      expect(tags[c1 - 1]).toBe("SafetyViolationDetected")
      expect(stored.some((e) => e._tag === "ToolCallCompleted" && e.toolCallId === "c2")).toBe(true)
      expect(fs.readFileSync(marker, "utf8")).toBe("keep")
      // The tool ran with the stored (sealed) arguments: the secret never reached the workspace either.
      expect(fs.readFileSync(path.join(ws, "key.txt"), "utf8")).toBe("key=[REDACTED:secret.openai_key]")
      expect(yield* rawStreamText(reply.sessionId).pipe(Effect.provide(layer))).not.toContain(samples.openai)
    }))
})
