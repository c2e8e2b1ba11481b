import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Option, Schedule } from "effect"
import OpenAI from "openai"
import { EventLog, ProjectionRunner, sessionStream, SessionsQuery, TauAgentSqlite } from "../../../src/index.ts"
import { rewardStream } from "../../../src/events/Streams.ts"
import type { SessionId } from "../../../src/domain/Ids.ts"
import { ChatCompletionsRoute } from "../../../src/http/openai/ChatCompletions.ts"
import { gatewayUrl, serveRoutes } from "../../support/Gateway.ts"
import type { LoopbackModel } from "../../support/LoopbackModel.ts"
import { loopbackModel, Reply } from "../../support/LoopbackModel.ts"
import { tempSqliteFile } from "../../support/Sqlite.ts"

const gateway = (filename: string, config: ConfigProvider.ConfigProvider) =>
  serveRoutes(ChatCompletionsRoute).pipe(
    Layer.provideMerge(TauAgentSqlite({ filename })),
    Layer.provide(Layer.setConfigProvider(config)),
    Layer.orDie
  )

/** A gateway over a fresh SQLite file with the loopback model; the body gets an SDK client pointed at it. */
const withGateway = <A, E, R>(
  body: (ctx: { readonly client: OpenAI; readonly url: string; readonly lb: LoopbackModel }) => Effect.Effect<A, E, R>,
  overrides: Readonly<Record<string, string>> = {}
) =>
  Effect.gen(function*() {
    const lb = yield* loopbackModel()
    const filename = yield* tempSqliteFile
    return yield* Effect.gen(function*() {
      const url = yield* gatewayUrl
      const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: "unused", maxRetries: 0 })
      return yield* body({ client, url, lb })
    }).pipe(Effect.provide(gateway(filename, lb.configProvider(overrides))))
  })

const tagsOf = (sessionId: string) =>
  Effect.gen(function*() {
    const envelopes = yield* (yield* EventLog).readStream(sessionStream(sessionId as SessionId))
    return envelopes.map((e) => e.event)
  })

/** Waits for the session's first reward, then checks that it ended by abandonment after its answer. */
const abandonedAndScored = (sessionId: SessionId) =>
  Effect.gen(function*() {
    const rewards = yield* (yield* EventLog).readStream(rewardStream(sessionId)).pipe(
      Effect.filterOrFail((envelopes) => envelopes.length > 0),
      Effect.retry({ schedule: Schedule.spaced("100 millis"), times: 80 }),
      Effect.orDie
    )
    assert.strictEqual(rewards[0]?.event._tag, "RewardAssigned")
    const events = yield* tagsOf(sessionId)
    assert.deepStrictEqual(events.slice(-3).map((e) => e._tag), ["AssistantReplied", "TurnCompleted", "SessionAbandoned"])
  })

const weatherTool = {
  type: "function" as const,
  function: {
    name: "get_weather",
    description: "Current weather of a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] }
  }
}

const post = (url: string, body: string, headers: Record<string, string> = {}) =>
  Effect.promise(async () => {
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body
    })
    return { status: response.status, headers: response.headers, json: (await response.json()) as { error: { param: string | null; code: string | null; message: string; type: string } } }
  })

describe("POST /v1/chat/completions, agent mode (no tools)", () => {
  it.scopedLive("answers with Tau's agent, names the session, and continues it from the log", () =>
    withGateway(({ client, lb }) =>
      Effect.gen(function*() {
        lb.enqueue(Reply.text("Hello there."), Reply.text("Still here."))
        const first = yield* Effect.promise(() =>
          client.chat.completions.create({ model: "loopback-model", messages: [{ role: "user", content: "hi" }] }).withResponse()
        )
        const sessionId = first.response.headers.get("x-tau-session")
        assert.isString(sessionId)
        assert.strictEqual(first.data.object, "chat.completion")
        assert.strictEqual(first.data.choices[0]?.message.content, "Hello there.")
        assert.strictEqual(first.data.choices[0]?.finish_reason, "stop")
        assert.isAbove(first.data.usage?.prompt_tokens ?? 0, 0)
        assert.strictEqual(first.data.usage?.total_tokens, (first.data.usage?.prompt_tokens ?? 0) + (first.data.usage?.completion_tokens ?? 0))

        // The client resends its history; only the latest user message is new (the rest comes from the log).
        const second = yield* Effect.promise(() =>
          client.chat.completions.create({
            model: "loopback-model",
            messages: [
              { role: "user", content: "hi" },
              { role: "assistant", content: "Hello there." },
              { role: "user", content: "still there?" }
            ],
            user: sessionId!
          }).withResponse()
        )
        assert.strictEqual(second.response.headers.get("x-tau-session"), sessionId)
        assert.strictEqual(second.data.choices[0]?.message.content, "Still here.")
        const events = yield* tagsOf(sessionId!)
        const started = events.find((e) => e._tag === "SessionStarted")
        assert.strictEqual(started?._tag === "SessionStarted" ? started.source : undefined, "http")
        assert.deepStrictEqual(
          events.flatMap((e) => (e._tag === "UserMessageReceived" ? [e.content] : [])),
          ["hi", "still there?"]
        )
        const seen = lb.chatRequests()[1]!.body.messages.filter((m) => m.role !== "system").map((m) => m.content)
        assert.deepStrictEqual(seen, ["hi", "Hello there.", "still there?"])
      })
    ))

  it.scopedLive("streams chat.completion.chunk events with usage, ending in [DONE], with the session header", () =>
    withGateway(({ client, lb, url }) =>
      Effect.gen(function*() {
        lb.enqueue(Reply.text("one two three"))
        const { data: stream, response } = yield* Effect.promise(() =>
          client.chat.completions.create({
            model: "loopback-model",
            messages: [{ role: "user", content: "count" }],
            stream: true,
            stream_options: { include_usage: true }
          }).withResponse()
        )
        const sessionId = response.headers.get("x-tau-session")
        assert.isString(sessionId)
        const chunks = yield* Effect.promise(async () => {
          const all = []
          for await (const chunk of stream) all.push(chunk)
          return all
        })
        assert.isTrue(chunks.every((c) => c.object === "chat.completion.chunk"))
        assert.strictEqual(chunks.map((c) => c.choices[0]?.delta.content ?? "").join(""), "one two three")
        assert.strictEqual(chunks.find((c) => c.choices[0]?.finish_reason != null)?.choices[0]?.finish_reason, "stop")
        const last = chunks.at(-1)!
        assert.deepStrictEqual(last.choices, [])
        assert.isAbove(last.usage?.completion_tokens ?? 0, 0)

        lb.enqueue(Reply.text("again"))
        const raw = yield* Effect.promise(async () => {
          const r = await fetch(`${url}/v1/chat/completions`, {
            method: "POST",
            headers: { "content-type": "application/json", "x-tau-session": sessionId! },
            body: JSON.stringify({ model: "loopback-model", messages: [{ role: "user", content: "more" }], stream: true })
          })
          return { session: r.headers.get("x-tau-session"), text: await r.text() }
        })
        assert.strictEqual(raw.session, sessionId)
        assert.isTrue(raw.text.trimEnd().endsWith("data: [DONE]"))
      })
    ))

  it.scopedLive("a session the client leaves is abandoned once idle past the timeout, then scored by the reward evaluator", () =>
    withGateway(({ client, lb }) =>
      Effect.gen(function*() {
        lb.enqueue(Reply.text("an answer"))
        const { response } = yield* Effect.promise(() =>
          client.chat.completions.create({ model: "loopback-model", messages: [{ role: "user", content: "one question" }] })
            .withResponse()
        )
        const sessionId = response.headers.get("x-tau-session")! as SessionId
        yield* abandonedAndScored(sessionId)
      }), { TAU_SESSION_IDLE_TIMEOUT_MS: "300" }))
})

describe("POST /v1/chat/completions, proxy mode (client tools)", () => {
  it.scopedLive("returns tool calls, continues the same session with the results, and records exactly the expected events", () =>
    withGateway(({ client, lb }) =>
      Effect.gen(function*() {
        lb.enqueue(
          Reply.toolCalls([{ id: "call_1", name: "get_weather", arguments: { city: "Paris" } }]),
          Reply.text("It is sunny in Paris.")
        )
        const secret = "sk-proj-" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8s9T0"
        const messages: Array<OpenAI.ChatCompletionMessageParam> = [
          { role: "system", content: "You are a weather bot." },
          { role: "user", content: `Weather in Paris? my key is ${secret}` }
        ]
        const first = yield* Effect.promise(() =>
          client.chat.completions.create({ model: "loopback-model", messages, tools: [weatherTool] }).withResponse()
        )
        const sessionId = first.response.headers.get("x-tau-session")!
        const choice = first.data.choices[0]!
        assert.strictEqual(choice.finish_reason, "tool_calls")
        const call = choice.message.tool_calls?.[0]
        assert.strictEqual(call?.id, "call_1")
        assert.strictEqual(call?.type === "function" ? call.function.name : undefined, "get_weather")
        const offered = lb.chatRequests()[0]!.body.tools as ReadonlyArray<{ function: { name: string } }>
        assert.deepStrictEqual(offered.map((t) => t.function.name), ["get_weather"])

        const second = yield* Effect.promise(() =>
          client.chat.completions.create({
            model: "loopback-model",
            messages: [
              ...messages,
              choice.message as OpenAI.ChatCompletionMessageParam,
              { role: "tool", tool_call_id: "call_1", content: "sunny, 24C" }
            ],
            tools: [weatherTool]
          }, { headers: { "x-tau-session": sessionId } }).withResponse()
        )
        assert.strictEqual(second.response.headers.get("x-tau-session"), sessionId)
        assert.strictEqual(second.data.choices[0]?.message.content, "It is sunny in Paris.")
        assert.strictEqual(second.data.choices[0]?.finish_reason, "stop")
        const toolSeen = lb.chatRequests()[1]!.body.messages.find((m) => m.role === "tool")
        assert.strictEqual(toolSeen?.content, "sunny, 24C")

        const events = yield* tagsOf(sessionId)
        assert.deepStrictEqual(events.map((e) => e._tag), [
          "SessionStarted",
          "SafetyViolationDetected",
          "UserMessageReceived",
          "ModelRequested",
          "ModelResponded",
          "ToolCallRequested",
          "ToolCallCompleted",
          "TurnCompleted",
          "ModelRequested",
          "ModelResponded",
          "AssistantReplied",
          "TurnCompleted"
        ])
        const [started] = events
        assert.isTrue(started?._tag === "SessionStarted" && started.source === "proxy" && started.workspace === undefined)
        const requested = events.find((e) => e._tag === "ToolCallRequested")
        assert.strictEqual(requested?._tag === "ToolCallRequested" ? requested.executor : undefined, "client")
        const completed = events.find((e) => e._tag === "ToolCallCompleted")
        assert.strictEqual(completed?._tag === "ToolCallCompleted" ? completed.output : undefined, "sunny, 24C")
        const turns = events.flatMap((e) => (e._tag === "TurnCompleted" ? [[e.turn, e.final] as const] : []))
        assert.deepStrictEqual(turns, [[1, false], [2, true]])
        // Secrets never enter the log, and the model did not see this one either.
        const stored = JSON.stringify(events)
        assert.notInclude(stored, secret)
        assert.notInclude(JSON.stringify(lb.chatRequests()[0]!.body.messages), secret)

        yield* (yield* ProjectionRunner).catchUp()
        const row = Option.getOrThrow(yield* (yield* SessionsQuery).get(sessionId as SessionId))
        assert.deepInclude(row, { status: "active", source: "proxy", turns: 2, toolCalls: 1 })
      })
    ))

  it.scopedLive("streams tool call deltas the SDK reassembles, then the final answer", () =>
    withGateway(({ client, lb }) =>
      Effect.gen(function*() {
        lb.enqueue(
          Reply.toolCalls([{ id: "call_s", name: "get_weather", arguments: { city: "Oslo" } }]),
          Reply.text("Cold in Oslo.")
        )
        const messages: Array<OpenAI.ChatCompletionMessageParam> = [{ role: "user", content: "Oslo?" }]
        const { data: stream, response } = yield* Effect.promise(() =>
          client.chat.completions.create({ model: "loopback-model", messages, tools: [weatherTool], stream: true }).withResponse()
        )
        const sessionId = response.headers.get("x-tau-session")!
        const chunks = yield* Effect.promise(async () => {
          const all = []
          for await (const chunk of stream) all.push(chunk)
          return all
        })
        const parts = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? [])
        assert.strictEqual(parts[0]?.id, "call_s")
        assert.strictEqual(parts.map((p) => p.function?.arguments ?? "").join(""), JSON.stringify({ city: "Oslo" }))
        assert.strictEqual(chunks.find((c) => c.choices[0]?.finish_reason != null)?.choices[0]?.finish_reason, "tool_calls")

        const final = yield* Effect.promise(() =>
          client.chat.completions.create({
            model: "loopback-model",
            messages: [
              ...messages,
              { role: "assistant", content: null, tool_calls: [{ id: "call_s", type: "function", function: { name: "get_weather", arguments: "{\"city\":\"Oslo\"}" } }] },
              { role: "tool", tool_call_id: "call_s", content: "-5C" }
            ],
            tools: [weatherTool],
            user: sessionId
          })
        )
        assert.strictEqual(final.choices[0]?.message.content, "Cold in Oslo.")
        const events = yield* tagsOf(sessionId)
        assert.strictEqual(events.filter((e) => e._tag === "ModelResponded").length, 2)
        assert.strictEqual(events.at(-1)?._tag, "TurnCompleted")
      })
    ))

  it.scopedLive("concurrent requests on one proxy session: one wins, the other gets 409; the session stays usable", () =>
    withGateway(({ client, lb }) =>
      Effect.gen(function*() {
        lb.enqueue(Reply.text("slow answer", { delayMs: 1500 }))
        const sessionId = "proxy-race-1"
        const ask = (content: string) =>
          Effect.promise(() =>
            client.chat.completions.create(
              { model: "loopback-model", messages: [{ role: "user", content }], tools: [weatherTool] },
              { headers: { "x-tau-session": sessionId } }
            ).then((r) => ({ ok: true as const, content: r.choices[0]?.message.content }), (e: unknown) => ({ ok: false as const, error: e }))
          )
        const results = yield* Effect.all([ask("first"), ask("second")], { concurrency: 2 })
        const wins = results.filter((r) => r.ok)
        const losses = results.flatMap((r) => (r.ok ? [] : [r.error]))
        assert.strictEqual(wins.length, 1)
        assert.strictEqual(losses.length, 1)
        assert.instanceOf(losses[0], OpenAI.APIError)
        const error = losses[0] as InstanceType<typeof OpenAI.APIError>
        assert.strictEqual(error.status, 409)
        assert.include(["session_busy", "session_conflict"], error.code)

        lb.enqueue(Reply.text("next"))
        const after = yield* ask("third")
        assert.deepStrictEqual(after, { ok: true, content: "next" })
        const events = yield* tagsOf(sessionId)
        assert.strictEqual(events.filter((e) => e._tag === "SessionStarted").length, 1)
        assert.strictEqual(events.filter((e) => e._tag === "ModelRequested").length, 2)
      })
    ))

  it.scopedLive("a failed model call is recorded; the client's retry continues the session without a duplicate message", () =>
    withGateway(({ client, lb }) =>
      Effect.gen(function*() {
        lb.enqueue(Reply.error(400), Reply.text("second try"))
        const ask = () =>
          Effect.promise(() =>
            client.chat.completions.create(
              { model: "loopback-model", messages: [{ role: "user", content: "hello?" }], tools: [weatherTool] },
              { headers: { "x-tau-session": "proxy-retry-1" } }
            ).then((r) => r.choices[0]?.message.content, (e: unknown) => e)
          )
        const failed = yield* ask()
        assert.instanceOf(failed, OpenAI.BadRequestError)
        assert.strictEqual(yield* ask(), "second try")
        const events = yield* tagsOf("proxy-retry-1")
        assert.deepStrictEqual(events.map((e) => e._tag), [
          "SessionStarted",
          "UserMessageReceived",
          "ModelRequested",
          "ModelCallFailed",
          "ModelRequested",
          "ModelResponded",
          "AssistantReplied",
          "TurnCompleted"
        ])
      })
    ))

  it.scopedLive("a client that goes away mid-call leaves a recorded failure, not a busy session", () =>
    withGateway(({ client, lb, url }) =>
      Effect.gen(function*() {
        lb.enqueue(Reply.text("too late", { delayMs: 1500 }))
        const body = JSON.stringify({ model: "loopback-model", messages: [{ role: "user", content: "hang on" }], tools: [weatherTool] })
        yield* Effect.promise(async () => {
          const abort = new AbortController()
          const pending = fetch(`${url}/v1/chat/completions`, {
            method: "POST",
            headers: { "content-type": "application/json", "x-tau-session": "proxy-gone-1" },
            body,
            signal: abort.signal
          }).catch(() => undefined)
          // Abort once the model has the request (the session is claimed and the call is in flight).
          while (lb.chatRequests().length === 0) await new Promise((resolve) => setTimeout(resolve, 20))
          abort.abort()
          await pending
        })
        const failed = yield* tagsOf("proxy-gone-1").pipe(
          Effect.filterOrFail((events) => events.at(-1)?._tag === "ModelCallFailed"),
          Effect.retry({ schedule: Schedule.spaced("50 millis"), times: 100 }),
          Effect.orDie
        )
        const last = failed.at(-1)
        assert.match(last?._tag === "ModelCallFailed" ? last.message : "", /went away/)
        lb.enqueue(Reply.text("back"))
        const again = yield* Effect.promise(() =>
          client.chat.completions.create(
            { model: "loopback-model", messages: [{ role: "user", content: "hang on" }], tools: [weatherTool] },
            { headers: { "x-tau-session": "proxy-gone-1" } }
          )
        )
        assert.strictEqual(again.choices[0]?.message.content, "back")
      })
    ))

  it.scopedLive("an idle proxy session is abandoned and then scored by the reward evaluator", () =>
    withGateway(({ client, lb }) =>
      Effect.gen(function*() {
        lb.enqueue(Reply.text("done"))
        const { response } = yield* Effect.promise(() =>
          client.chat.completions.create({
            model: "loopback-model",
            messages: [{ role: "user", content: "quick one" }],
            tools: [weatherTool]
          }).withResponse()
        )
        const sessionId = response.headers.get("x-tau-session")! as SessionId
        yield* abandonedAndScored(sessionId)
      }), { TAU_SESSION_IDLE_TIMEOUT_MS: "300" }))

  it.scopedLive("a proxy session left open by an earlier process is abandoned by the next one's sweep, then scored", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      const filename = yield* tempSqliteFile
      const serve = (overrides: Record<string, string>) => gateway(filename, lb.configProvider(overrides))
      lb.enqueue(Reply.text("done"))
      // The first process serves one proxied call and stops long before the session's idle timeout.
      const sessionId = yield* Effect.scoped(Effect.gen(function*() {
        const url = yield* gatewayUrl
        const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: "unused", maxRetries: 0 })
        const { response } = yield* Effect.promise(() =>
          client.chat.completions.create({ model: "loopback-model", messages: [{ role: "user", content: "quick one" }], tools: [weatherTool] })
            .withResponse()
        )
        return response.headers.get("x-tau-session")! as SessionId
      }).pipe(Effect.provide(serve({ TAU_SESSION_IDLE_TIMEOUT_MS: "600000" }))))
      // The next process never hears of the session: its sweep finds it in the sessions read model.
      yield* Effect.gen(function*() {
        yield* abandonedAndScored(sessionId)
      }).pipe(Effect.provide(serve({ TAU_SESSION_IDLE_TIMEOUT_MS: "300" })))
    }))

  it.scopedLive("a model call slower than the idle timeout keeps its session: the reply is recorded, then the session is abandoned", () =>
    withGateway(({ client, lb }) =>
      Effect.gen(function*() {
        lb.enqueue(Reply.text("slow but done", { delayMs: 900 }))
        const { data, response } = yield* Effect.promise(() =>
          client.chat.completions.create({
            model: "loopback-model",
            messages: [{ role: "user", content: "take your time" }],
            tools: [weatherTool]
          }).withResponse()
        )
        assert.strictEqual(data.choices[0]?.message.content, "slow but done")
        const sessionId = response.headers.get("x-tau-session")! as SessionId
        const ended = yield* tagsOf(sessionId).pipe(
          Effect.filterOrFail((events) => events.at(-1)?._tag === "SessionAbandoned"),
          Effect.retry({ schedule: Schedule.spaced("100 millis"), times: 80 }),
          Effect.orDie
        )
        assert.deepStrictEqual(ended.slice(-4).map((e) => e._tag), ["ModelResponded", "AssistantReplied", "TurnCompleted", "SessionAbandoned"])
      }), { TAU_SESSION_IDLE_TIMEOUT_MS: "300" }))
})

describe("POST /v1/chat/completions, errors", () => {
  it.scopedLive("400 in OpenAI's shape with param naming the failing path", () =>
    withGateway(({ client, url }) =>
      Effect.gen(function*() {
        const notJson = yield* post(url, "{not json")
        assert.strictEqual(notJson.status, 400)
        assert.strictEqual(notJson.json.error.type, "invalid_request_error")

        const wrongType = yield* post(url, JSON.stringify({ model: "m", messages: "hi" }))
        assert.strictEqual(wrongType.status, 400)
        assert.strictEqual(wrongType.json.error.param, "messages")

        const nested = yield* post(url, JSON.stringify({ model: "m", messages: [{ role: "user", content: 42 }] }))
        assert.strictEqual(nested.json.error.param, "messages[0].content")

        const badHeader = yield* post(url, JSON.stringify({ model: "m", messages: [{ role: "user", content: "x" }] }), {
          "x-tau-session": "no spaces allowed"
        })
        assert.strictEqual(badHeader.status, 400)
        assert.strictEqual(badHeader.json.error.param, "x-tau-session")

        const viaSdk = yield* Effect.promise(() =>
          client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "x" }], temperature: 7 }).then(
            () => undefined,
            (e: unknown) => e
          )
        )
        assert.instanceOf(viaSdk, OpenAI.BadRequestError)
        assert.strictEqual((viaSdk as InstanceType<typeof OpenAI.BadRequestError>).param, "temperature")
      })
    ))

  it.scopedLive("503 without a configured model, in both modes, saying how to configure one", () =>
    Effect.gen(function*() {
      const filename = yield* tempSqliteFile
      yield* Effect.gen(function*() {
        const url = yield* gatewayUrl
        const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: "unused", maxRetries: 0 })
        for (const tools of [undefined, [weatherTool]]) {
          const error = yield* Effect.promise(() =>
            client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }], ...(tools ? { tools } : {}) })
              .then(() => undefined, (e: unknown) => e)
          )
          assert.instanceOf(error, OpenAI.APIError)
          const api = error as InstanceType<typeof OpenAI.APIError>
          assert.strictEqual(api.status, 503)
          assert.match(api.message, /OPENAI_BASE_URL/)
        }
        const log = yield* EventLog
        assert.strictEqual(yield* log.head, 0)
      }).pipe(Effect.provide(gateway(filename, ConfigProvider.fromMap(new Map()))))
    }))
})
