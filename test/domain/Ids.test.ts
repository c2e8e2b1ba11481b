/**
 * Ids: every brand's quick `make` (one predicate) accepts exactly what their schemas accept and throws Schema's
 * ParseError for the rest; UUIDv7 ids are well-formed, carry their millisecond and sort in creation order.
 */
import { assert, describe, it } from "@effect/vitest"
import { ParseResult, Schema } from "effect"
import fc from "fast-check"
import * as Ids from "../../src/domain/Ids.ts"
import { uuidv7 } from "../../src/domain/Uuid.ts"

interface Brand<A> {
  readonly is: (u: unknown) => boolean
  readonly make: (a: A) => unknown
}
const brand = <A>(is: (u: unknown) => boolean, make: (a: A) => unknown): Brand<A> => ({ is, make })
const strings: ReadonlyArray<Brand<string>> = [
  brand(Schema.is(Ids.EventId), Ids.EventId.make),
  brand(Schema.is(Ids.StreamId), Ids.StreamId.make),
  brand(Schema.is(Ids.SessionId), Ids.SessionId.make),
  brand(Schema.is(Ids.TurnId), Ids.TurnId.make),
  brand(Schema.is(Ids.ToolCallId), Ids.ToolCallId.make),
  brand(Schema.is(Ids.MemoryId), Ids.MemoryId.make),
  brand(Schema.is(Ids.PromptName), Ids.PromptName.make),
  brand(Schema.is(Ids.PromptVersionId), Ids.PromptVersionId.make),
  brand(Schema.is(Ids.HeuristicId), Ids.HeuristicId.make),
  brand(Schema.is(Ids.BulletinId), Ids.BulletinId.make),
  brand(Schema.is(Ids.ExperimentId), Ids.ExperimentId.make),
  brand(Schema.is(Ids.RolloutId), Ids.RolloutId.make),
  brand(Schema.is(Ids.ApiKeyId), Ids.ApiKeyId.make),
  brand(Schema.is(Ids.ModelName), Ids.ModelName.make),
  brand(Schema.is(Ids.ToolName), Ids.ToolName.make),
  brand(Schema.is(Ids.SafetyRuleId), Ids.SafetyRuleId.make),
  brand(Schema.is(Ids.PolicyUpdateId), Ids.PolicyUpdateId.make)
]
const numbers: ReadonlyArray<Brand<number>> = [
  brand(Schema.is(Ids.Position), Ids.Position.make),
  brand(Schema.is(Ids.StreamVersion), Ids.StreamVersion.make)
]

const agrees = <A>(schema: Brand<A>, value: A) => {
  const valid = schema.is(value)
  let made: unknown
  let thrown: unknown
  try {
    made = schema.make(value)
  } catch (error) {
    thrown = error
  }
  if (valid) assert.strictEqual(made, value)
  else assert.isTrue(ParseResult.isParseError(thrown), `expected a ParseError for ${JSON.stringify(value)}`)
}

const idLike = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.stringMatching(/^[A-Za-z0-9_.:@-]{0,210}$/),
  fc.array(fc.stringMatching(/^[A-Za-z0-9_.:@]{0,6}$/), { maxLength: 5 }).map((parts) => parts.join("-")),
  fc.constantFrom("", "-", "a-", "-a", "a--b", "a".repeat(256), "a".repeat(257), "é", "a b")
)
const numberLike = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -0, -1, 1.5, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 1, Number.NaN, Number.POSITIVE_INFINITY)
)

describe("ids", () => {
  it("property: the string brands' make accepts exactly what their schema accepts", () => {
    fc.assert(fc.property(idLike, (value) => {
      for (const schema of strings) agrees(schema, value)
    }), { numRuns: 2000 })
  })

  it("property: positions and stream versions accept exactly the non-negative safe integers", () => {
    fc.assert(fc.property(numberLike, (value) => {
      for (const schema of numbers) agrees(schema, value)
    }), { numRuns: 2000 })
  })

  it("UUIDv7: well-formed, carries its millisecond, sorts in creation order", () => {
    const ids = Array.from({ length: 20_000 }, () => uuidv7())
    for (const id of ids) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    assert.deepStrictEqual([...ids].sort(), ids)
    assert.strictEqual(new Set(ids).size, ids.length)
    const at = Date.UTC(2031, 4, 6, 7, 8, 9, 123)
    assert.strictEqual(parseInt(uuidv7(at).replace(/-/g, "").slice(0, 12), 16), at)
  })
})
