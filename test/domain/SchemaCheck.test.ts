import { assert, describe, expect, it } from "@effect/vitest"
import { Arbitrary, Either, FastCheck as fc, Schema } from "effect"
import { compileCheck, compileClassCheck, Invalid } from "../../src/domain/SchemaCheck.ts"
import { makeModelResponse, ModelResponse } from "../../src/agent/llm/Types.ts"
import { TauEvent } from "../../src/events/TauEvent.ts"
import { ChatCompletionRequest } from "../../src/http/openai/ChatWire.ts"
import { ResponsesRequest } from "../../src/http/openai/ResponsesApi.ts"
import { throws } from "../support/Throws.ts"


/** Changes that break a value's type somewhere (or nothing), applied to its fields. */
const mutate = fc.oneof(
  fc.constant((d: Record<string, unknown>) => d),
  fc.constant((d: Record<string, unknown>) => ({ ...d, sessionId: 42 })),
  fc.constant((d: Record<string, unknown>) => Object.fromEntries(Object.entries(d).map(([k, v]) => [k, typeof v === "number" ? -1.5 : v]))),
  fc.constant((d: Record<string, unknown>) => Object.fromEntries(Object.entries(d).map(([k, v]) => [k, typeof v === "string" ? 7 : v]))),
  fc.constant((d: Record<string, unknown>) => Object.fromEntries(Object.entries(d).map(([k, v]) => [k, Array.isArray(v) ? [...v, { x: 1 }] : v]))),
  fc.constant((d: Record<string, unknown>) => {
    const copy = { ...d }
    delete copy[Object.keys(copy)[1] ?? ""]
    return copy
  }),
  fc.constant((d: Record<string, unknown>) => ({ ...d, excess: "dropped" }))
)

describe("SchemaCheck", () => {
  const members = TauEvent.members.map((member) => ({
    member,
    check: compileClassCheck(member),
    encode: Schema.encodeSync(member as unknown as Schema.Schema<TauEvent, unknown>)
  }))

  it("compiles every catalogue event (so the event log never falls back to Schema's encoder for a valid event)", () => {
    expect(members.filter((m) => m.check === undefined).map((m) => m.member._tag)).toEqual([])
  })

  it("gives exactly what Schema's encoder gives, and refuses exactly what it refuses", () => {
    let refused = 0
    fc.assert(
      fc.property(Arbitrary.make(TauEvent), mutate, (event, change) => {
        const { check, encode, member } = members.find((m) => m.member._tag === event._tag)!
        const { _tag, ...fields } = { ...event } as Record<string, unknown>
        // Made as the decider makes events (no validation in the constructor): the check is what stands guard.
        const Member = member as unknown as new (props: Record<string, unknown>, disableValidation: boolean) => TauEvent
        const made = new Member(change(fields), true)
        const checked = check!(made)
        if (throws(() => encode(made))) {
          refused++
          assert.strictEqual(checked, Invalid)
        } else {
          assert.notStrictEqual(checked, Invalid)
          // Same keys, same order, same values.
          assert.strictEqual(JSON.stringify(checked), JSON.stringify(encode(made)))
          expect(checked).toStrictEqual(encode(made))
        }
      }),
      { numRuns: 1500 }
    )
    assert.isAbove(refused, 300)
  })

  it("a checked constructor refuses exactly what the validating constructor refuses", () => {
    let refused = 0
    fc.assert(
      fc.property(Arbitrary.make(ModelResponse), mutate, (response, change) => {
        const props = change({ ...response }) as ConstructorParameters<typeof ModelResponse>[0]
        const bySchema = throws(() => new ModelResponse(props))
        if (bySchema) refused++
        assert.strictEqual(throws(() => makeModelResponse(props)), bySchema)
        if (bySchema) return
        const made = makeModelResponse(props)
        assert.instanceOf(made, ModelResponse)
        expect(made).toStrictEqual(new ModelResponse(props))
      }),
      { numRuns: 500 }
    )
    assert.isAbove(refused, 100)
  })

  it("keeps known keys only, copies structures, and passes optional keys given as undefined", () => {
    const S = Schema.Struct({
      a: Schema.String,
      b: Schema.optional(Schema.Number),
      list: Schema.Array(Schema.Struct({ x: Schema.Int.pipe(Schema.positive()) }))
    })
    const check = compileCheck(S.ast)!
    const input = { a: "a", b: undefined, list: [{ x: 1, y: 2 }], z: true }
    const out = check(input)
    expect(out).toStrictEqual(Schema.encodeSync(S)(input))
    expect(Object.keys(out as object)).toEqual(["a", "b", "list"])
    assert.notStrictEqual((out as typeof input).list, input.list)
    assert.strictEqual(check({ a: "a", list: [{ x: 0 }] }), Invalid)
    assert.strictEqual(check({ a: "a", list: {} }), Invalid)
    assert.strictEqual(check([]), Invalid)
  })

  it("checks records as ParseResult does: keys the signature refuses are left out, values are checked", () => {
    const S = Schema.Struct({ n: Schema.Number }, Schema.Record({ key: Schema.String.pipe(Schema.minLength(2)), value: Schema.Number }))
    const check = compileCheck(S.ast)!
    const input = { n: 1, ab: 2, c: "not checked: key too short", de: 3 }
    expect(check(input)).toStrictEqual(Schema.encodeSync(S)(input as never))
    expect(Object.keys(check(input) as object)).toEqual(["n", "ab", "de"])
    assert.strictEqual(check({ n: 1, ab: "x" }), Invalid)
  })

  it("declines what it cannot check exactly: transformations, classes, symbol keys, unions of two structures", () => {
    expect(compileCheck(Schema.NumberFromString.ast)).toBeUndefined()
    expect(compileCheck(ModelResponse.ast)).toBeUndefined()
    expect(compileCheck(Schema.Record({ key: Schema.SymbolFromSelf, value: Schema.Number }).ast)).toBeUndefined()
    expect(compileCheck(Schema.Union(Schema.Struct({ a: Schema.String }), Schema.Struct({ b: Schema.String })).ast))
      .toBeUndefined()
    expect(compileCheck(Schema.Union(Schema.Unknown, Schema.Struct({ a: Schema.String })).ast)).toBeUndefined()
    expect(compileCheck(Schema.Union(Schema.Struct({ a: Schema.String }), Schema.Null, Schema.Literal("x")).ast))
      .toBeDefined()
  })
})

describe("SchemaCheck on request bodies", () => {
  it.each([["chat completions", ChatCompletionRequest], ["responses", ResponsesRequest]] as const)(
    "%s: the compiled check accepts exactly what Schema decodes, with the same result",
    (_name, schema) => {
      const check = compileCheck(schema.ast)
      assert.isDefined(check)
      const decode = Schema.decodeUnknownEither(schema as Schema.Schema<unknown, unknown>, { onExcessProperty: "ignore" })
      let refused = 0
      fc.assert(
        fc.property(Arbitrary.make(schema as Schema.Schema<unknown, unknown>), mutate, (body, change) => {
          const json = JSON.parse(JSON.stringify(change(body as Record<string, unknown>))) as unknown
          const decoded = decode(json)
          const checked = check!(json)
          if (Either.isLeft(decoded)) {
            refused++
            assert.strictEqual(checked, Invalid)
          } else expect(checked).toStrictEqual(decoded.right)
        }),
        { numRuns: 500 }
      )
      // Not vacuous: the mutations make refused bodies too (~10 % of runs; 48 of 500 once, so the bound is lower).
      assert.isAbove(refused, 25)
    }
  )
})
