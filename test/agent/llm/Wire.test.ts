import { assert, describe, it } from "@effect/vitest"
import { APIConnectionError, APIConnectionTimeoutError, APIError } from "openai"
import { LlmConfig } from "../../../src/agent/llm/Config.ts"
import { toLlmError, toWireParams } from "../../../src/agent/llm/internal/Wire.ts"
import { ToolCallId, ToolName } from "../../../src/domain/Ids.ts"
import { ChatMessages, ModelRequest } from "../../../src/agent/llm/Types.ts"
import { ConfigProvider, Effect } from "effect"

const loadDefaults = Effect.withConfigProvider(LlmConfig, ConfigProvider.fromMap(new Map()))

describe("wire format", () => {
  it.effect("OpenAI gets max_completion_tokens, other servers max_tokens; assistant tool calls and tool results map to roles", () =>
    Effect.gen(function*() {
      const settings = yield* loadDefaults
      const call = { id: ToolCallId.make("call_1"), name: ToolName.make("read_file"), arguments: "{\"path\":\"a\"}" }
      const request = new ModelRequest({
        messages: [
          ChatMessages.user("read a"),
          ChatMessages.assistant("", [call]),
          ChatMessages.tool(call.id, "contents")
        ],
        maxTokens: 100
      })
      const official = toWireParams("gpt-4.1", request, settings, true)
      const local = toWireParams("qwen", request, settings, false)
      assert.strictEqual(official.max_completion_tokens, 100)
      assert.isUndefined(official.max_tokens)
      assert.strictEqual(local.max_tokens, 100)
      assert.deepStrictEqual(official.messages, [
        { role: "user", content: "read a" },
        { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "read_file", arguments: "{\"path\":\"a\"}" } }] },
        { role: "tool", tool_call_id: "call_1", content: "contents" }
      ])
      assert.isUndefined(official.tools)
      assert.isUndefined(official.logprobs)
    }))

  it("classifies SDK failures", () => {
    const headers = new Headers({ "retry-after": "3" })
    const cases = [
      [new APIConnectionTimeoutError(), "timeout", true],
      [new APIConnectionError({ message: "refused" }), "network", true],
      [APIError.generate(429, { error: { message: "slow down" } }, undefined, headers), "rate_limited", true],
      [APIError.generate(409, { error: { message: "conflict" } }, undefined, new Headers()), "server_error", true],
      [APIError.generate(401, { error: { message: "bad key" } }, undefined, new Headers()), "auth", false],
      [APIError.generate(400, { error: { message: "This model's maximum context length is 8192 tokens" } }, undefined, new Headers()), "context_length", false],
      [new SyntaxError("Unexpected end of JSON input"), "invalid_response", false],
      [new TypeError("terminated"), "network", true]
    ] as const
    for (const [cause, reason, retryable] of cases) {
      const error = toLlmError("m", cause, 0)
      assert.strictEqual(error.reason, reason, String(cause))
      assert.strictEqual(error.retryable, retryable, String(cause))
    }
    assert.strictEqual(toLlmError("m", cases[2][0], 0).retryAfterMs, 3_000)
  })
})
