import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import { makeSafetyEngine } from "../../../src/agent/safety/Engine.ts"
import { defaultPolicy } from "../../../src/agent/safety/Policy.ts"
import { makeStreamRedactor } from "../../../src/agent/safety/StreamRedaction.ts"
import { samples } from "./fixtures.ts"

const engine = makeSafetyEngine(defaultPolicy)

/** Where each secret sits in a text (its own context included, e.g. `Authorization: Bearer …`). */
const embeddings: Record<string, (secret: string) => string> = {
  bearer: (s) => `curl -H "Authorization: Bearer ${s}" https://api.example.com`,
  urlPassword: (s) => `connect to postgres://admin:${s}@db.internal:5432/app please`,
  genericPassword: (s) => `set DB_PASSWORD="${s}" in the environment`,
  awsSecret: (s) => `aws_secret_access_key = ${s}`
}
const secrets = Object.entries(samples).map(([kind, secret]) => ({
  kind,
  secret,
  text: (embeddings[kind] ?? ((s: string) => `here is the value: ${s} and more words`))(secret)
}))

/** Splits `text` at the given cut points (sorted, deduplicated). */
const split = (text: string, cuts: ReadonlyArray<number>): ReadonlyArray<string> => {
  const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b)
  const out: Array<string> = []
  let at = 0
  for (const p of points) {
    out.push(text.slice(at, p))
    at = p
  }
  out.push(text.slice(at))
  return out
}

const stream = (chunks: ReadonlyArray<string>) => {
  const redactor = makeStreamRedactor(engine.redact)
  const released: Array<string> = []
  for (const chunk of chunks) released.push(redactor.push(chunk))
  released.push(redactor.end())
  return released
}

describe("streamed text redaction", () => {
  it("whatever the chunking, the released text is the redaction of the whole text, and no secret is released", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...secrets),
        fc.string({ maxLength: 120 }),
        fc.string({ maxLength: 120 }),
        fc.array(fc.nat({ max: 2000 }), { maxLength: 40 }),
        (sample, before, after, cuts) => {
          const text = `${before}\n${sample.text}\n${after}`
          const released = stream(split(text, cuts))
          const whole = released.join("")
          expect(whole).toBe(engine.redact(text))
          expect(whole).not.toContain(sample.secret)
          for (const piece of released) expect(piece).not.toContain(sample.secret.slice(0, 12))
        }
      ),
      { numRuns: 400 }
    )
  })

  it("plain text is released as it comes, held back by a bounded window", () => {
    const words = Array.from({ length: 200 }, (_, i) => `word${i}`).join(" ")
    const released = stream(words.match(/.{1,7}/gs) ?? [])
    expect(released.join("")).toBe(words)
    expect(released.filter((piece) => piece.length > 0).length).toBeGreaterThan(10)
    expect(released.at(-1)!.length).toBeLessThanOrEqual(64 + 32)
  })
})
