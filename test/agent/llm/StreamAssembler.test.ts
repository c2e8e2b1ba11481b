import { assert, describe, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import type { ChatCompletionChunk } from "openai/resources/chat/completions"
import type { StreamDelta } from "../../../src/agent/llm/Types.ts"
import { absorb, makeAttempt, makeLedger } from "../../../src/agent/llm/internal/StreamAssembler.ts"

const textChunk = (content: string): ChatCompletionChunk => ({
  id: "c",
  object: "chat.completion.chunk",
  created: 0,
  model: "m",
  choices: [{ index: 0, delta: { content }, finish_reason: null }]
})

/** Cuts `text` at the given positions. */
const split = (text: string, cuts: ReadonlyArray<number>) => {
  const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b)
  const parts: Array<string> = []
  let from = 0
  for (const p of [...points, text.length]) {
    if (p > from) parts.push(text.slice(from, p))
    from = Math.max(from, p)
  }
  return parts
}

const emitted = (deltas: ReadonlyArray<StreamDelta>) => deltas.flatMap((d) => (d._tag === "TextDelta" ? [d.text] : [])).join("")

describe("stream retry deduplication", () => {
  it.prop(
    "after any cut, a retry that regenerates the same text emits exactly the undelivered rest, however it is chunked",
    [fc.string({ minLength: 1, maxLength: 80 }), fc.nat(), fc.array(fc.nat()), fc.array(fc.nat())],
    ([text, cut, firstCuts, retryCuts]) => {
      const ledger = makeLedger()
      const delivered = text.slice(0, cut % (text.length + 1))
      let seen = ""
      const first = makeAttempt()
      for (const piece of split(delivered, firstCuts)) seen += emitted(absorb(ledger, first, textChunk(piece)))
      assert.strictEqual(seen, delivered)
      const retry = makeAttempt()
      let rest = ""
      for (const piece of split(text, retryCuts)) rest += emitted(absorb(ledger, retry, textChunk(piece)))
      assert.strictEqual(rest, text.slice(delivered.length))
      assert.strictEqual(seen + rest, text)
      assert.strictEqual(ledger.text, text)
      assert.isFalse(ledger.diverged)
    }
  )

  it("a retry that says something else is flagged, and still only what goes beyond the delivered length is emitted", () => {
    const ledger = makeLedger()
    absorb(ledger, makeAttempt(), textChunk("Hello wor"))
    const retry = makeAttempt()
    const out = emitted(absorb(ledger, retry, textChunk("Howdy, world!")))
    assert.strictEqual(out, "rld!")
    assert.isTrue(ledger.diverged)
    // the response is what the consumer saw, never a rewrite of delivered text
    assert.strictEqual(ledger.text, "Hello worrld!")
  })
})
