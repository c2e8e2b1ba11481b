import { assert, describe, expect, it } from "@effect/vitest"
import { Arbitrary, FastCheck as fc } from "effect"
import type { Schema } from "effect"
import { unchecked } from "../../src/domain/Unchecked.ts"
import type { SchemaClass } from "../../src/domain/Unchecked.ts"
import { ModelRequest, ModelResponse } from "../../src/agent/llm/Types.ts"
import { SafetyDecision } from "../../src/agent/safety/Decision.ts"
import { TauEvent } from "../../src/events/TauEvent.ts"

type Props = Record<string, unknown>
type AnyClass = SchemaClass<Props, object> & Schema.Schema<object, unknown>

const classes: ReadonlyArray<AnyClass> = [
  ...TauEvent.members,
  ModelRequest,
  ModelResponse,
  SafetyDecision
] as unknown as ReadonlyArray<AnyClass>

/** Some of an instance's keys left out (defaults fill those that have one) or given as undefined. */
const trim = (props: Props, drop: ReadonlyArray<boolean>, undef: ReadonlyArray<boolean>): Props => {
  const out: Props = {}
  Object.keys(props).forEach((key, i) => {
    if (drop[i % drop.length] === true) return
    out[key] = undef[i % undef.length] === true ? undefined : props[key]
  })
  return out
}

describe("unchecked", () => {
  it("makes what `new Class(props, true)` makes: same prototype, same own keys in the same order, same values", () => {
    for (const Class of classes) {
      fc.assert(
        fc.property(
          Arbitrary.make(Class),
          fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
          fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
          (instance, drop, undef) => {
            const { _tag: _ignored, ...fields } = { ...instance } as Props
            const props = trim(fields, drop, undef)
            const expected = new Class(props, true)
            const made = unchecked(Class, props)
            assert.strictEqual(Object.getPrototypeOf(made), Object.getPrototypeOf(expected))
            assert.deepStrictEqual(Reflect.ownKeys(made), Reflect.ownKeys(expected))
            expect(made).toStrictEqual(expected)
            assert.strictEqual(JSON.stringify(made), JSON.stringify(expected))
          }
        ),
        { numRuns: 40 }
      )
    }
  })

  it("leaves the props it was given as they were", () => {
    const props = { sessionId: "s-1", content: "hi" }
    const made = unchecked(TauEvent.members.find((m) => m._tag === "UserMessageReceived")! as unknown as AnyClass, props)
    assert.deepStrictEqual(props, { sessionId: "s-1", content: "hi" })
    assert.strictEqual((made as { readonly _tag: string })._tag, "UserMessageReceived")
  })

  it("takes the constructor's path when the props carry a `_tag` (the constructor replaces it)", () => {
    const Class = TauEvent.members.find((m) => m._tag === "UserMessageReceived")! as unknown as AnyClass
    const made = unchecked(Class, { _tag: "Other", sessionId: "s-1", content: "hi" })
    assert.strictEqual((made as { readonly _tag: string })._tag, "UserMessageReceived")
    assert.deepStrictEqual(Reflect.ownKeys(made), Reflect.ownKeys(new Class({ _tag: "Other", sessionId: "s-1", content: "hi" }, true)))
  })
})
