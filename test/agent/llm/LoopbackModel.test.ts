import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import OpenAI from "openai"
import { hashEmbedding, Reply, startLoopbackModel } from "../../support/LoopbackModel.ts"
import type { LoopbackModel } from "../../support/LoopbackModel.ts"

// The plain async API, as non-Effect tests (gateway bench, SDK clients) use it.
describe("loopback OpenAI-compatible server", () => {
  let lb: LoopbackModel
  let client: OpenAI
  beforeAll(async () => {
    lb = await startLoopbackModel({ models: ["m1", "m2"], embeddingDimensions: 16 })
    client = new OpenAI({ apiKey: "k", baseURL: lb.url, maxRetries: 0 })
  })
  afterAll(() => lb.close())

  it("lists its models", async () => {
    const page = await client.models.list()
    assert.deepStrictEqual(page.data.map((m) => m.id), ["m1", "m2"])
  })

  it("returns deterministic, normalised embeddings", async () => {
    const a = await client.embeddings.create({ model: "e", input: ["the cat sat", "the cat sat", "quantum flux"] })
    const [x, y, z] = a.data.map((d) => d.embedding)
    assert.strictEqual(x!.length, 16)
    assert.deepStrictEqual(x, y)
    assert.notDeepEqual(x, z)
    assert.closeTo(Math.hypot(...x!), 1, 1e-6)
    assert.deepStrictEqual([...x!], [...Float32Array.from(hashEmbedding("the cat sat", 16))])
    const floats = await client.embeddings.create({ model: "e", input: "the cat sat", encoding_format: "float" })
    assert.deepStrictEqual(floats.data[0]!.embedding, [...hashEmbedding("the cat sat", 16)])
    const sized = await client.embeddings.create({ model: "e", input: "hello", dimensions: 8 })
    assert.strictEqual(sized.data[0]!.embedding.length, 8)
  })

  it("serves scripted replies in order, by model when asked, and records requests", async () => {
    lb.reset()
    lb.enqueue(Reply.text("for m2", { model: "m2" }), Reply.text("first"))
    const first = await client.chat.completions.create({ model: "m1", messages: [{ role: "user", content: "a" }] })
    const second = await client.chat.completions.create({ model: "m2", messages: [{ role: "user", content: "b" }] })
    assert.strictEqual(first.choices[0]!.message.content, "first")
    assert.strictEqual(second.choices[0]!.message.content, "for m2")
    assert.strictEqual(lb.pending(), 0)
    assert.deepStrictEqual(lb.chatRequests().map((r) => r.body.model), ["m1", "m2"])
  })

  it("streams SSE chunks ending with [DONE]", async () => {
    lb.enqueue(Reply.text("a b c"))
    const stream = await client.chat.completions.create({
      model: "m1",
      messages: [{ role: "user", content: "x" }],
      stream: true,
      stream_options: { include_usage: true }
    })
    let text = ""
    let usage = 0
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? ""
      usage = chunk.usage?.total_tokens ?? usage
    }
    assert.strictEqual(text, "a b c")
    assert.isAbove(usage, 0)
  })

  it("answers scripted errors with their status and headers", async () => {
    lb.enqueue(Reply.rateLimited({ retryAfter: "7" }))
    const error = await client.chat.completions.create({ model: "m1", messages: [{ role: "user", content: "x" }] })
      .then(() => undefined, (e: unknown) => e)
    assert.instanceOf(error, OpenAI.APIError)
    assert.strictEqual((error as InstanceType<typeof OpenAI.APIError>).status, 429)
    assert.strictEqual((error as InstanceType<typeof OpenAI.APIError>).headers?.get("retry-after"), "7")
  })
})
