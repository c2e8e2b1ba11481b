import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer } from "effect"
import type { ConfigProvider as CP } from "effect"
import OpenAI from "openai"
import { EventLog, Sessions, sessionStream, TauAgentSqlite } from "../../../src/index.ts"
import { SessionId } from "../../../src/domain/Ids.ts"
import type { EventLogService } from "../../../src/events/EventLog.ts"
import { ModelsRoute } from "../../../src/http/openai/Models.ts"
import { ResponsesRoute } from "../../../src/http/openai/Responses.ts"
import { gatewayUrl, serveRoutes } from "../../support/Gateway.ts"
import { Reply, loopbackModel } from "../../support/LoopbackModel.ts"
import { tempSqliteFile } from "../../support/Sqlite.ts"

/** Responses + Models served over a fresh SQLite agent configured by `config`; yields the SDK client and the log. */
const withGateway = <A, E>(
  config: CP.ConfigProvider,
  body: (client: OpenAI, log: EventLogService) => Effect.Effect<A, E, Sessions>
) =>
  Effect.gen(function*() {
    const filename = yield* tempSqliteFile
    const app = TauAgentSqlite({ filename }).pipe(Layer.provide(Layer.setConfigProvider(config)), Layer.orDie)
    const layer = serveRoutes(Layer.mergeAll(ResponsesRoute, ModelsRoute)).pipe(Layer.provideMerge(app))
    return yield* Effect.gen(function*() {
      const client = new OpenAI({ baseURL: `${yield* gatewayUrl}/v1`, apiKey: "unused", maxRetries: 0 })
      return yield* body(client, yield* EventLog)
    }).pipe(Effect.provide(layer))
  })

const promise = <A>(f: () => Promise<A>) => Effect.promise(f)

/** The error an SDK call rejects with. */
const rejection = (f: () => Promise<unknown>) =>
  Effect.promise(() => f().then(() => assert.fail("expected the call to fail"), (e: unknown) => e))

const userMessages = (log: EventLogService, sessionId: string) =>
  Effect.map(
    log.readStream(sessionStream(SessionId.make(sessionId))).pipe(Effect.orDie),
    (envelopes) => envelopes.flatMap((e) => e.event._tag === "UserMessageReceived" ? [e.event.content] : [])
  )

describe("POST /v1/responses", () => {
  it.scopedLive("answers a string input with a completed Response object and x-tau-session", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      lb.enqueue(Reply.text("Paris is the capital."))
      yield* withGateway(lb.configProvider({ TAU_SESSION_STREAM: "false" }), (client, log) =>
        Effect.gen(function*() {
          const { data, response } = yield* promise(() =>
            client.responses.create({ model: "loopback-model", input: "capital of France?" }).withResponse()
          )
          assert.strictEqual(data.object, "response")
          assert.strictEqual(data.status, "completed")
          assert.match(data.id, /^resp_/)
          assert.strictEqual(data.output_text, "Paris is the capital.")
          const item = data.output[0]
          assert.strictEqual(item?.type, "message")
          assert.deepInclude(item?.type === "message" ? item.content[0] : {}, { type: "output_text", text: "Paris is the capital." })
          assert.isAbove(data.usage?.input_tokens ?? 0, 0)
          assert.strictEqual(data.usage?.total_tokens, (data.usage?.input_tokens ?? 0) + (data.usage?.output_tokens ?? 0))
          const sessionId = response.headers.get("x-tau-session")
          assert.isString(sessionId)
          assert.deepStrictEqual(yield* userMessages(log, sessionId!), ["capital of France?"])
          assert.strictEqual(lb.chatRequests()[0]?.body.messages.at(-1)?.content, "capital of France?")
        }))
    }))

  it.scopedLive("a model Tau is not configured for is answered by the primary model", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel({ models: ["primary-model", "second-model"] })
      yield* withGateway(lb.configProvider({ TAU_SESSION_STREAM: "false", TAU_FALLBACK_MODELS: "second-model" }), (client) =>
        Effect.gen(function*() {
          const hardCoded = yield* promise(() => client.responses.create({ model: "gpt-4o", input: "hi" }))
          assert.strictEqual(hardCoded.model, "primary-model")
          assert.strictEqual(lb.chatRequests()[0]?.body.model, "primary-model")
          const chosen = yield* promise(() => client.responses.create({ model: "second-model", input: "hi" }))
          assert.strictEqual(chosen.model, "second-model")
          assert.strictEqual(lb.chatRequests()[1]?.body.model, "second-model")
        }))
    }))

  it.scopedLive("input items: the latest user message is sent, instructions and developer items come before it", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      yield* withGateway(lb.configProvider({ TAU_SESSION_STREAM: "false" }), (client) =>
        Effect.gen(function*() {
          const data = yield* promise(() =>
            client.responses.create({
              model: "loopback-model",
              instructions: "Answer in French.",
              input: [
                { role: "user", content: "old question" },
                { role: "assistant", content: "old answer" },
                { role: "developer", content: "Be brief." },
                { type: "message", role: "user", content: [{ type: "input_text", text: "What is 2+2?" }] }
              ]
            })
          )
          const sent = "Answer in French.\n\nBe brief.\n\nWhat is 2+2?"
          assert.strictEqual(lb.chatRequests()[0]?.body.messages.at(-1)?.content, sent)
          assert.strictEqual(data.output_text, `echo: ${sent}`)
          assert.strictEqual(data.instructions, "Answer in French.")
        }))
    }))

  it.scopedLive("previous_response_id continues the same session; an unknown one is a 404", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      yield* withGateway(lb.configProvider({ TAU_SESSION_STREAM: "false" }), (client, log) =>
        Effect.gen(function*() {
          const first = yield* promise(() => client.responses.create({ model: "loopback-model", input: "my name is Ada" }).withResponse())
          const second = yield* promise(() =>
            client.responses.create({ model: "loopback-model", input: "what is my name?", previous_response_id: first.data.id })
              .withResponse()
          )
          const sessionId = first.response.headers.get("x-tau-session")!
          assert.strictEqual(second.response.headers.get("x-tau-session"), sessionId)
          assert.notStrictEqual(second.data.id, first.data.id)
          assert.strictEqual(second.data.previous_response_id, first.data.id)
          assert.deepStrictEqual(yield* userMessages(log, sessionId), ["my name is Ada", "what is my name?"])
          // the model saw the whole conversation
          const contents = lb.chatRequests()[1]?.body.messages.map((m) => m.content)
          assert.includeMembers(contents ?? [], ["my name is Ada", "echo: my name is Ada", "what is my name?"])

          const unknownSession = yield* rejection(() =>
            client.responses.create({ model: "loopback-model", input: "hi", previous_response_id: "resp_0190b5d2-0000-7000-8000-000000000000_1" })
          )
          assert.instanceOf(unknownSession, OpenAI.NotFoundError)
          const versionZero = yield* rejection(() =>
            client.responses.create({ model: "loopback-model", input: "hi", previous_response_id: "resp_0190b5d2-0000-7000-8000-000000000001_0" })
          )
          assert.instanceOf(versionZero, OpenAI.NotFoundError)
          const notOurs = yield* rejection(() =>
            client.responses.create({ model: "loopback-model", input: "hi", previous_response_id: "resp_abc" })
          )
          assert.instanceOf(notOurs, OpenAI.NotFoundError)
          assert.strictEqual((notOurs as InstanceType<typeof OpenAI.NotFoundError>).param, "previous_response_id")
        }))
    }))

  it.scopedLive("continuing an ended session is a 409, streaming or not (the failure comes before any event)", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      yield* withGateway(lb.configProvider({ TAU_SESSION_STREAM: "false" }), (client) =>
        Effect.gen(function*() {
          const first = yield* promise(() => client.responses.create({ model: "loopback-model", input: "bye" }).withResponse())
          yield* (yield* Sessions).end(SessionId.make(first.response.headers.get("x-tau-session")!)).pipe(Effect.orDie)
          for (const stream of [false, true]) {
            const error = yield* rejection(() =>
              client.responses.create({ model: "loopback-model", input: "again", previous_response_id: first.data.id, stream })
            )
            assert.instanceOf(error, OpenAI.ConflictError)
            assert.strictEqual((error as InstanceType<typeof OpenAI.ConflictError>).code, "session_ended")
          }
        }))
    }))

  it.scopedLive("stream: the SDK's stream helper gets the Responses event sequence and the same text", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      // Long enough to pass the stream redactor's hold-back window (64 characters) more than once.
      const answer = `Streaming works fine today. ${"It keeps going for a while. ".repeat(8)}`.trim()
      lb.enqueue(Reply.text(answer, { chunkDelayMs: 5 }))
      yield* withGateway(lb.configProvider(), (client) =>
        Effect.gen(function*() {
          const result = yield* promise(async () => {
            const stream = client.responses.stream({ model: "loopback-model", input: "stream please" })
            const types: Array<string> = []
            const sequence: Array<number> = []
            let text = ""
            for await (const event of stream) {
              types.push(event.type)
              sequence.push(event.sequence_number)
              if (event.type === "response.output_text.delta") text += event.delta
            }
            return { types, sequence, text, final: await stream.finalResponse() }
          })
          assert.strictEqual(result.text, answer)
          assert.strictEqual(result.final.output_text, answer)
          assert.strictEqual(result.final.status, "completed")
          assert.isAbove(result.types.filter((t) => t === "response.output_text.delta").length, 1)
          assert.deepStrictEqual(result.types.filter((t) => t !== "response.output_text.delta"), [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.content_part.added",
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.completed"
          ])
          assert.deepStrictEqual(result.sequence, result.sequence.map((_, i) => i))
        }))
    }))

  it.scopedLive("stream: heartbeat comments flow while the model is silent; the SDK skips them", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      lb.enqueue(Reply.text("late answer", { delayMs: 300 }), Reply.text("late again", { delayMs: 300 }))
      yield* withGateway(lb.configProvider({ TAU_SSE_HEARTBEAT: "40 millis" }), (client) =>
        Effect.gen(function*() {
          const raw = yield* promise(() =>
            fetch(`${client.baseURL}/responses`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({ model: "loopback-model", input: "hi", stream: true })
            }).then(async (r) => ({ type: r.headers.get("content-type"), text: await r.text() }))
          )
          assert.strictEqual(raw.type, "text/event-stream")
          assert.isAbove(raw.text.split(": heartbeat\n\n").length - 1, 2)
          assert.match(raw.text, /event: response\.completed\ndata: \{"type":"response\.completed"/)
          const final = yield* promise(() => client.responses.stream({ model: "loopback-model", input: "hi" }).finalResponse())
          assert.strictEqual(final.output_text, "late again")
        }))
    }))

  it.scopedLive("stream: continuing a session streams into it, and a later model failure ends with response.failed", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      yield* withGateway(lb.configProvider({ TAU_LLM_MAX_RETRIES: "0" }), (client, log) =>
        Effect.gen(function*() {
          const first = yield* promise(() => client.responses.create({ model: "loopback-model", input: "one" }).withResponse())
          const sessionId = first.response.headers.get("x-tau-session")!
          const streamed = yield* promise(async () => {
            const stream = client.responses.stream({ model: "loopback-model", input: "two", previous_response_id: first.data.id })
            return (await stream.finalResponse()).output_text
          })
          assert.strictEqual(streamed, "echo: two")
          assert.deepStrictEqual(yield* userMessages(log, sessionId), ["one", "two"])

          lb.enqueue(Reply.error(400, { body: { error: { message: "bad upstream", type: "invalid_request_error" } } }))
          const failed = yield* promise(async () => {
            const stream = client.responses.stream({ model: "loopback-model", input: "three" })
            const types: Array<string> = []
            for await (const event of stream) types.push(event.type)
            return { types, final: await stream.finalResponse() }
          })
          assert.strictEqual(failed.types.at(-1), "response.failed")
          assert.strictEqual(failed.final.status, "failed")
          assert.strictEqual(failed.final.error?.code, "upstream_error" as never)
        }))
    }))

  it.scopedLive("an upstream model failure without streaming is a 502", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      lb.enqueue(Reply.error(500), Reply.error(500))
      yield* withGateway(lb.configProvider({ TAU_LLM_MAX_RETRIES: "1", TAU_LLM_RETRY_BASE_MS: "1", TAU_SESSION_STREAM: "false" }), (client) =>
        Effect.gen(function*() {
          const error = yield* rejection(() => client.responses.create({ model: "loopback-model", input: "hi" }))
          assert.instanceOf(error, OpenAI.APIError)
          assert.strictEqual((error as InstanceType<typeof OpenAI.APIError>).status, 502)
          assert.strictEqual((error as InstanceType<typeof OpenAI.APIError>).code, "upstream_error")
        }))
    }))

  it.scopedLive("malformed bodies are 400s naming the field", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      yield* withGateway(lb.configProvider(), (client) =>
        Effect.gen(function*() {
          const noInput = yield* rejection(() => client.responses.create({ model: "loopback-model" } as never))
          assert.instanceOf(noInput, OpenAI.BadRequestError)
          assert.strictEqual((noInput as InstanceType<typeof OpenAI.BadRequestError>).param, "input")
          const badType = yield* rejection(() => client.responses.create({ model: "loopback-model", input: 42 } as never))
          assert.strictEqual((badType as InstanceType<typeof OpenAI.BadRequestError>).param, "input")
          const image = yield* rejection(() =>
            client.responses.create({
              model: "loopback-model",
              input: [{ role: "user", content: [{ type: "input_image", image_url: "http://x/y.png", detail: "auto" }] }]
            })
          )
          assert.strictEqual((image as InstanceType<typeof OpenAI.BadRequestError>).param, "input[0].content[0].type")
          const noUser = yield* rejection(() =>
            client.responses.create({ model: "loopback-model", input: [{ role: "assistant", content: "hi" }] })
          )
          assert.strictEqual((noUser as InstanceType<typeof OpenAI.BadRequestError>).status, 400)
          const url = client.baseURL
          const notJson = yield* promise(() =>
            fetch(`${url}/responses`, { method: "POST", headers: { "content-type": "application/json" }, body: "{nope" })
          )
          assert.strictEqual(notJson.status, 400)
          assert.strictEqual(((yield* promise(() => notJson.json())) as { error: { type: string } }).error.type, "invalid_request_error")
          assert.strictEqual(lb.chatRequests().length, 0)
        }))
    }))

  it.scopedLive("no model configured: 503 naming the variables, streaming or not", () =>
    withGateway(ConfigProvider.fromMap(new Map()), (client) =>
      Effect.gen(function*() {
        for (const stream of [false, true]) {
          const error = yield* rejection(() => client.responses.create({ model: "loopback-model", input: "hi", stream }))
          assert.instanceOf(error, OpenAI.APIError)
          assert.strictEqual((error as InstanceType<typeof OpenAI.APIError>).status, 503)
          const message = (error as Error).message
          assert.match(message, /OPENAI_BASE_URL/)
          assert.match(message, /OPENAI_API_KEY/)
          assert.match(message, /TAU_MODEL/)
        }
      })))
})
