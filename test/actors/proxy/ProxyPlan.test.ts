import { assert, describe, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import { createHash } from "node:crypto"
import { promptVersionOf } from "../../../src/actors/proxy/ProxyPlan.ts"

const expected = (prompt: string) => `proxy-${createHash("sha256").update(prompt).digest("hex").slice(0, 16)}`

describe("promptVersionOf", () => {
  it("is the prompt's sha256 prefix, whatever prompts came before (the memo never answers for another prompt)", () =>
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 12 }), { minLength: 1, maxLength: 600 }), (prompts) => {
        for (const prompt of prompts) assert.strictEqual(promptVersionOf(prompt), expected(prompt))
        assert.strictEqual(promptVersionOf(prompts[0]!), expected(prompts[0]!))
      }),
      { numRuns: 50 }
    ))
})
