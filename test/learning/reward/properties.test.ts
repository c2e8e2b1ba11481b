import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc, Schema } from "effect"
import { EventId, Position, StreamId, StreamVersion } from "../../../src/domain/Ids.ts"
import type { Envelope } from "../../../src/events/Envelope.ts"
import type { TauEvent } from "../../../src/events/TauEvent.ts"
import { defaultEvaluatorConfig as config } from "../../../src/learning/reward/DefaultConfig.ts"
import { configHash, EvaluatorConfig, EvaluatorConfigFromJson } from "../../../src/learning/reward/EvaluatorConfig.ts"
import { evaluateSession, inferSessionReward, inferTurnRewards } from "../../../src/learning/reward/Infer.ts"
import {
  baseline,
  blockEvent,
  buildSession,
  failedCall,
  insertAt,
  rating,
  ratingEvent,
  sessionPlan
} from "./arbitraries.ts"

const runs = { numRuns: 300 }
const eps = 1e-12

const inRange = (x: number, low: number, high: number) => Number.isFinite(x) && x >= low && x <= high

describe("reward inference properties", () => {
  it("composite in [-1, 1], confidence in [0, 1], every dimension in [-1, 1], at session and turn level", () => {
    fc.assert(
      fc.property(sessionPlan, baseline, (plan, base) => {
        const events = buildSession(plan)
        const { session, turns } = evaluateSession(events, base, config)
        for (const reward of [session, ...turns]) {
          expect(inRange(reward.composite, -1, 1)).toBe(true)
          expect(inRange(reward.confidence, 0, 1)).toBe(true)
          for (const score of Object.values(reward.dimensions)) expect(inRange(score, -1, 1)).toBe(true)
          for (const signal of reward.signals) expect(Number.isFinite(signal.value)).toBe(true)
        }
      }),
      runs
    )
  })

  it("adding a safety block never raises the composite (and caps it)", () => {
    fc.assert(
      fc.property(
        sessionPlan,
        baseline,
        fc.nat(),
        fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
        fc.constantFrom("inbound" as const, "tool_output" as const, "outbound" as const),
        (plan, base, at, turn, stage) => {
          const events = buildSession(plan)
          const before = inferSessionReward(events, base, config)
          const after = inferSessionReward(insertAt(events, at, [blockEvent(turn, stage)]), base, config)
          expect(after.composite).toBeLessThanOrEqual(before.composite + eps)
          expect(after.composite).toBeLessThanOrEqual(config.safety.blockCap)
        }
      ),
      runs
    )
  })

  it("a thumbs-down alone is not lifted by a safety block (the case the property above found)", () => {
    for (const value of [-1, -0.9, -0.8333333333350001]) {
      const events = buildSession({
        exchanges: [{ message: "", turns: [], reply: undefined, blockedReply: false, safety: [] }],
        end: undefined,
        feedback: [{ rating: value, turn: undefined }]
      })
      const before = inferSessionReward(events, undefined, config)
      const after = inferSessionReward(insertAt(events, 0, [blockEvent(undefined, "inbound")]), undefined, config)
      expect(before.composite).toBeCloseTo(value, 12)
      expect(after.composite).toBeLessThanOrEqual(before.composite)
    }
  })

  it("adding a failed tool call never raises tool reliability (session and that turn)", () => {
    fc.assert(
      fc.property(
        sessionPlan,
        fc.nat(),
        fc.integer({ min: 1, max: 6 }),
        fc.constantFrom("{}", "{\"cmd\":\"npm test\"}", "{\"x\":1}"),
        (plan, at, turn, args) => {
          const events = buildSession(plan)
          const more = insertAt(events, at, failedCall(turn, args, 1))
          const before = inferSessionReward(events, undefined, config).dimensions.tool_reliability
          const after = inferSessionReward(more, undefined, config).dimensions.tool_reliability
          expect(after).toBeDefined()
          if (before !== undefined) expect(after!).toBeLessThanOrEqual(before + eps)
          const turnBefore = inferTurnRewards(events, config).find((t) => t.turn === turn)?.dimensions.tool_reliability
          const turnAfter = inferTurnRewards(more, config).find((t) => t.turn === turn)?.dimensions.tool_reliability
          if (turnBefore !== undefined && turnAfter !== undefined) {
            expect(turnAfter).toBeLessThanOrEqual(turnBefore + eps)
          }
        }
      ),
      runs
    )
  })

  it("adding positive explicit feedback never lowers the composite", () => {
    fc.assert(
      fc.property(
        sessionPlan,
        baseline,
        rating.filter((r) => r > 0),
        fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
        (plan, base, positive, turn) => {
          const unrated = buildSession({ ...plan, feedback: [] })
          const rated = buildSession(plan)
          const before = inferSessionReward(unrated, base, config).composite
          expect(inferSessionReward([...unrated, ratingEvent(positive, turn)], base, config).composite)
            .toBeGreaterThanOrEqual(before - eps)
          // A +1 rating never lowers, whatever ratings came before.
          const ratedBefore = inferSessionReward(rated, base, config).composite
          expect(inferSessionReward([...rated, ratingEvent(1, turn)], base, config).composite)
            .toBeGreaterThanOrEqual(ratedBefore - eps)
        }
      ),
      runs
    )
  })

  it("is deterministic, and envelopes score like bare events", () => {
    fc.assert(
      fc.property(sessionPlan, baseline, (plan, base) => {
        const events = buildSession(plan)
        const envelopes: Array<Envelope<TauEvent>> = events.map((event, i) => ({
          position: Position.make(i + 1),
          eventId: EventId.make(`e-${i}`),
          streamId: StreamId.make("session-s-1"),
          streamVersion: StreamVersion.make(i + 1),
          type: event._tag,
          schemaVersion: 1,
          event,
          metadata: {},
          recordedAt: new Date(0)
        }))
        const first = evaluateSession(events, base, config)
        expect(evaluateSession(buildSession(plan), base, config)).toEqual(first)
        expect(evaluateSession(envelopes, base, config)).toEqual(first)
      }),
      { numRuns: 100 }
    )
  })

  it("configHash is stable under key order and changes with any value", () => {
    const encoded = Schema.encodeSync(EvaluatorConfig)(config)
    const shuffle = (value: unknown, keys: (n: number) => number): unknown => {
      if (Array.isArray(value)) return value.map((v) => shuffle(v, keys))
      if (value !== null && typeof value === "object") {
        const entries = Object.entries(value)
        const order = entries.map((entry, i) => ({ entry, k: keys(i + entries.length) }))
        order.sort((a, b) => a.k - b.k)
        return Object.fromEntries(order.map(({ entry: [k, v] }) => [k, shuffle(v, keys)]))
      }
      return value
    }
    const hash = configHash(config)
    expect(hash).toMatch(/^[0-9a-f]{64}$/)
    fc.assert(
      fc.property(fc.func(fc.integer()), (keys) => {
        const json = JSON.stringify(shuffle(encoded, keys))
        const decoded = Schema.decodeUnknownSync(EvaluatorConfigFromJson)(json)
        expect(configHash(decoded)).toBe(hash)
      }),
      { numRuns: 100 }
    )
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }).filter((w) => w !== config.weights.latency), (w) => {
        const changed = EvaluatorConfig.make({ ...config, weights: { ...config.weights, latency: w } })
        expect(configHash(changed)).not.toBe(hash)
      }),
      { numRuns: 50 }
    )
  })
})
