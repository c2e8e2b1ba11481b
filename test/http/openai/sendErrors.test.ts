import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import {
  InvalidSessionCommand,
  SessionAlreadyEnded,
  SessionNotFound,
  SessionStorageError,
  SessionWriterConflict
} from "../../../src/actors/session/Errors.ts"
import type { SessionReply } from "../../../src/actors/session/Progress.ts"
import { ModelNotConfigured } from "../../../src/agent/llm/Errors.ts"
import { ModelName, SessionId } from "../../../src/domain/Ids.ts"
import { ModelCallFailed, SessionFailed } from "../../../src/events/TauEvent.ts"
import { failureOfParseError, failureOfReply, failureOfSendError } from "../../../src/http/openai/SendErrors.ts"

const sessionId = SessionId.make("0190b5d2-0000-7000-8000-000000000000")
const noReply: SessionReply = {
  sessionId,
  inboundBlocked: false,
  status: "ended",
  ending: "SessionFailed",
  turns: 1,
  costUsd: 0,
  promptTokens: 0,
  completionTokens: 0
}
const modelFailed = (kind: "timeout" | "server_error") =>
  new ModelCallFailed({ sessionId, turn: 1, model: ModelName.make("m"), kind, message: "boom", retryable: true, attempt: 1 })
const sessionFailed = new SessionFailed({ sessionId, reason: "model_error", message: "model gave up", turns: 1 })

describe("SendErrors", () => {
  it("maps each SendError to its status and code", () => {
    const cases = [
      [new ModelNotConfigured({ detail: "no key" }), 503, "model_not_configured"],
      [new SessionNotFound({ sessionId }), 404, "session_not_found"],
      [new SessionAlreadyEnded({ sessionId, ending: "SessionCompleted" }), 409, "session_ended"],
      [new InvalidSessionCommand({ sessionId, command: "Send", status: "awaiting_model", detail: "busy" }), 409, "session_busy"],
      [new SessionWriterConflict({ sessionId, expected: 3, actual: 4 }), 409, "session_conflict"],
      [new SessionStorageError({ sessionId, message: "disk" }), 500, "storage_error"]
    ] as const
    for (const [error, status, code] of cases) assert.deepInclude(failureOfSendError(error), { status, code })
    assert.match(failureOfSendError(cases[0][0]).message, /OPENAI_BASE_URL.*TAU_MODEL[\s\S]*docs\/models\.md/)
  })

  it("a reply-less outcome: 502 for a model failure, 504 for a timeout, 400 for an inbound block", () => {
    assert.deepInclude(failureOfReply(noReply, [modelFailed("server_error"), sessionFailed]), { status: 502, code: "upstream_error" })
    assert.deepInclude(failureOfReply(noReply, [modelFailed("timeout"), sessionFailed]), { status: 504, code: "upstream_timeout" })
    assert.deepInclude(failureOfReply({ ...noReply, inboundBlocked: true, status: "idle" }, []), { status: 400, code: "content_blocked" })
    assert.isUndefined(failureOfReply({ ...noReply, reply: { turn: 1, content: "hi", stopReason: "final_answer" } }, []))
  })

  it.effect("a Schema failure names the path of the first offending field", () =>
    Effect.gen(function*() {
      const schema = Schema.Struct({ input: Schema.Array(Schema.Struct({ content: Schema.String })) })
      const error = yield* Effect.flip(Schema.decodeUnknown(schema)({ input: [{ content: "a" }, { content: 1 }] }))
      assert.deepInclude(failureOfParseError(error), { status: 400, param: "input[1].content" })
    }))
})
