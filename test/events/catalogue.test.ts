import { assert, describe, expect, it } from "@effect/vitest"
import { Arbitrary, Either, FastCheck as fc, Schema } from "effect"
import { readFileSync } from "node:fs"
import { MemoryId, Position, SessionId } from "../../src/domain/Ids.ts"
import { decodeEvent, decodeEventStrict, encodeEvent } from "../../src/events/Codec.ts"
import { streamFor, streamKind } from "../../src/events/Streams.ts"
import { SafetyViolationDetected, TauEvent } from "../../src/events/TauEvent.ts"
import { currentSchemaVersion } from "../../src/events/Upcasters.ts"
import { sampleEvent, sampleSessionStarted } from "../support/Events.ts"
import { throws } from "../support/Throws.ts"

// JSON has no negative zero: -0 is written as 0, which is the same number (=== equal).
expect.addEqualityTesters([(a, b) => (typeof a === "number" && typeof b === "number" ? a === b : undefined)])

const members = TauEvent.members
const tags: ReadonlyArray<string> = members.map((member) => member._tag)

const roundTrip = (event: TauEvent, position = 1) => {
  const payload = encodeEvent(event)
  const decoded = decodeEvent({
    position: Position.make(position),
    type: payload.type,
    schemaVersion: payload.schemaVersion,
    data: JSON.parse(payload.data)
  })
  return { payload, decoded }
}

describe("event catalogue", () => {
  it("the fast decoder refuses what the full decode refuses", () => {
    const mutate = fc.oneof(
      fc.constant((d: Record<string, unknown>) => ({ ...d, sessionId: 42 })),
      fc.constant((d: Record<string, unknown>) => {
        const { ...copy } = d
        delete copy[Object.keys(copy)[0] ?? ""]
        return copy
      }),
      fc.constant((d: Record<string, unknown>) => Object.fromEntries(Object.entries(d).map(([k, v]) => [k, typeof v === "number" ? "x" : v])))
    )
    fc.assert(
      fc.property(Arbitrary.make(TauEvent), mutate, (event, change) => {
        const payload = encodeEvent(event)
        const data = change(JSON.parse(payload.data) as Record<string, unknown>)
        const fast = decodeEvent({ position: Position.make(1), type: payload.type, schemaVersion: payload.schemaVersion, data })
        const strict = decodeEventStrict(payload.type, data)
        assert.strictEqual(Either.isRight(fast), Either.isRight(strict))
      }),
      { numRuns: 300 }
    )
  })

  it("the per-type encoder refuses what the union's encoder refuses (instances made without validation)", () => {
    const mutate = fc.oneof(
      fc.constant((d: Record<string, unknown>) => ({ ...d, sessionId: 42 })),
      fc.constant((d: Record<string, unknown>) => Object.fromEntries(Object.entries(d).map(([k, v]) => [k, typeof v === "number" ? "x" : v]))),
      fc.constant((d: Record<string, unknown>) => Object.fromEntries(Object.entries(d).map(([k, v]) => [k, typeof v === "string" ? 7 : v]))),
      fc.constant((d: Record<string, unknown>) => d)
    )
    let refused = 0
    fc.assert(
      fc.property(Arbitrary.make(TauEvent), mutate, (event, change) => {
        const member = members.find((m) => m._tag === event._tag)!
        const { _tag: _dropped, ...fields } = { ...event } as Record<string, unknown>
        // Made as the decider makes events: `new X(fields, true)` skips the constructor's validation.
        const Member = member as unknown as new (props: Record<string, unknown>, disableValidation: boolean) => TauEvent
        const made = new Member(change(fields), true)
        const union = throws(() => Schema.encodeSync(TauEvent)(made))
        if (union) refused++
        assert.strictEqual(throws(() => encodeEvent(made)), union)
      }),
      { numRuns: 300 }
    )
    assert.isAbove(refused, 50)
  })

  it("has one class per tag, and every tag is past tense and unique", () => {
    expect(new Set(tags).size).toBe(tags.length)
    expect(tags.length).toBeGreaterThanOrEqual(40)
    for (const tag of tags) expect(tag).toMatch(/^[A-Z][A-Za-z]+(ed|edBack)$/)
  })

  it.each(tags.map((tag, i) => [tag, members[i]!] as const))(
    "%s round-trips through the codec as JSON",
    (tag, member) => {
      // The members differ in type; each one's values are TauEvents, which is all the property needs.
      const arbitrary = Arbitrary.make(member as unknown as Schema.Schema<TauEvent, unknown>)
      fc.assert(
        fc.property(arbitrary, (event) => {
          const { decoded, payload } = roundTrip(event)
          assert.strictEqual(payload.type, tag)
          assert.strictEqual(payload.schemaVersion, currentSchemaVersion(tag))
          assert.strictEqual(JSON.stringify(JSON.parse(payload.data)), payload.data)
          assert.isFalse("_tag" in JSON.parse(payload.data))
          if (Either.isLeft(decoded)) assert.fail(decoded.left.message)
          // toEqual: an optional field set to undefined comes back absent, which is the same value.
          expect(decoded.right).toEqual(event)
          assert.strictEqual(encodeEvent(decoded.right).data, payload.data)
          // The per-type encoder writes exactly what the union's encoder writes.
          const { _tag: _unionTag, ...viaUnion } = Schema.encodeSync(TauEvent)(event) as { readonly _tag: string }
          assert.strictEqual(JSON.stringify(viaUnion), payload.data)
          // The fast per-type decoder builds exactly what the full class decode builds.
          const strict = decodeEventStrict(tag, JSON.parse(payload.data))
          if (Either.isLeft(strict)) assert.fail(String(strict.left))
          assert.strictEqual(Object.getPrototypeOf(decoded.right), Object.getPrototypeOf(strict.right))
          expect(decoded.right).toStrictEqual(strict.right)
        }),
        { numRuns: 60 }
      )
    }
  )

  it("round-trips arbitrary events of the whole union", () => {
    fc.assert(
      fc.property(Arbitrary.make(TauEvent), (event) => {
        const { decoded } = roundTrip(event)
        if (Either.isLeft(decoded)) return false
        expect(decoded.right).toEqual(event)
        return decoded.right._tag === event._tag
      }),
      { numRuns: 300 }
    )
  })

  it("decodes to the class instance, equal to the original", () => {
    const event = sampleSessionStarted()
    const { decoded } = roundTrip(event)
    assert.isTrue(Either.isRight(decoded))
    const value = Either.getOrThrow(decoded)
    expect(value).toBeInstanceOf(event.constructor)
    expect(value).toEqual(event)
  })

  it("rejects values outside their ranges when reading", () => {
    const bad = (type: string, data: object) =>
      decodeEvent({ position: Position.make(7), type, schemaVersion: currentSchemaVersion(type), data })
    const feedback = bad("FeedbackReceived", { sessionId: "s1", rating: 1.5, source: "cli" })
    assert.isTrue(Either.isLeft(feedback))
    if (Either.isLeft(feedback)) {
      assert.strictEqual(feedback.left._tag, "EventDecodeError")
      assert.strictEqual(feedback.left.position, 7)
      expect(feedback.left.message).toContain("rating")
    }
    const memory = {
      memoryId: "m1",
      scope: "global",
      kind: "fact",
      content: "x",
      tags: [],
      importance: 0.5,
      confidence: -0.1,
      sourceEventIds: []
    }
    assert.isTrue(Either.isLeft(bad("MemoryRecorded", memory)))
    assert.isTrue(Either.isRight(bad("MemoryRecorded", { ...memory, confidence: 1 })))
    assert.isTrue(Either.isLeft(bad("MemoryRecorded", { ...memory, scope: "team" })))
    assert.isTrue(Either.isLeft(bad("SessionAbandoned", { sessionId: "s 1", idleMs: 1, turns: 0 })))
    assert.isTrue(Either.isLeft(bad("NoSuchEvent", { sessionId: "s1" })))
  })

  it("records safety decisions without any matched text", () => {
    const fields = Object.keys(SafetyViolationDetected.fields).sort()
    expect(fields).toEqual(["_tag", "action", "matches", "rules", "sessionId", "stage", "toolCallId", "turn"])
  })

  it("keeps the test helpers valid", () => {
    for (let i = 0; i < 5; i++) {
      const { decoded } = roundTrip(sampleEvent(i))
      assert.isTrue(Either.isRight(decoded))
    }
  })
})

describe("streams", () => {
  it("puts every event on a stream whose kind matches its family", () => {
    const family = (tag: string): string => {
      if (tag.startsWith("Memor")) return "memory"
      if (tag === "RewardAssigned") return "reward"
      if (tag.startsWith("Heuristic") || tag === "BulletinPublished") return "cortex"
      if (tag.startsWith("Prompt")) return "prompt"
      if (tag.startsWith("Experiment")) return "experiment"
      if (["PolicyUpdateComputed", "TrainingPaused", "TrainingResumed", "CurriculumUpdated"].includes(tag)) {
        return "trainer"
      }
      if (tag.startsWith("ApiKey")) return "apikey"
      if (tag === "RequestAudited") return "audit"
      return "session"
    }
    fc.assert(
      fc.property(Arbitrary.make(TauEvent), (event) => streamKind(streamFor(event)) === family(event._tag)),
      { numRuns: 300 }
    )
  })

  it("classifies stream ids", () => {
    expect(streamKind("session-01")).toBe("session")
    expect(streamKind("reward-abc-def")).toBe("reward")
    expect(streamKind("cortex")).toBe("cortex")
    expect(streamKind("trainer")).toBe("trainer")
    expect(streamKind("prompt-default")).toBe("prompt")
    expect(streamKind("session")).toBe("other")
    expect(streamKind("session-")).toBe("other")
    expect(streamKind("cortex-1")).toBe("other")
    expect(streamKind("orders-1")).toBe("other")
    expect(streamFor(sampleEvent(1, SessionId.make("abc")))).toBe("session-abc")
  })

  it("accepts every id a stream name can be built from", () => {
    fc.assert(fc.property(Arbitrary.make(MemoryId), (id) => streamKind(`memory-${id}`) === "memory"))
  })
})

describe("docs/events.md", () => {
  it("lists every event of the catalogue", () => {
    const doc = readFileSync(new URL("../../docs/events.md", import.meta.url), "utf8")
    for (const tag of tags) expect(doc, tag).toContain(`| \`${tag}\``)
  })
})
