import { describe, expect, it } from "@effect/vitest"
import { Schema } from "effect"
import { RewardAssigned } from "../../../src/events/TauEvent.ts"
import { categorize } from "../../../src/learning/reward/Category.ts"
import { defaultEvaluatorConfig as config } from "../../../src/learning/reward/DefaultConfig.ts"
import { classifyReaction } from "../../../src/learning/reward/Dimensions/ImplicitFeedback.ts"
import { relativeScore } from "../../../src/learning/reward/Dimensions/Dimension.ts"
import { configHash, evaluatorRef } from "../../../src/learning/reward/EvaluatorConfig.ts"
import { evaluateSession, inferSessionReward, inferTurnRewards } from "../../../src/learning/reward/Infer.ts"
import { rewardAssigned } from "../../../src/learning/reward/RewardEvent.ts"
import { computeBaseline, median, type SessionSummary, summarizeSession } from "../../../src/learning/reward/Summary.ts"
import { TurnCompleted } from "../../../src/events/TauEvent.ts"
import { session } from "./SessionBuilder.ts"
import { codingBaseline } from "./workedExamples.ts"

describe("categorize", () => {
  it.each([
    ["Fix the failing test in parser.ts", "debugging"],
    ["Why does this crash on startup?", "debugging"],
    ["Rename foo to bar", "refactor"],
    ["Write tests for the tokenizer", "test"],
    ["How do I add a route?", "question"],
    ["What is a monad", "question"],
    ["Can you add a --json flag to export", "code_edit"],
    ["Implement retry with backoff", "code_edit"],
    ["Run npm install", "shell"],
    ["Hello there", "other"],
    ["", "other"]
  ])("%s → %s", (message, category) => {
    expect(categorize(message)).toBe(category)
  })
  it("no message is other", () => expect(categorize(undefined)).toBe("other"))
})

describe("implicit feedback", () => {
  const request = "Add a --json flag to the export command"
  it.each([
    ["Thanks, that works!", "thanks"],
    ["thank you", "thanks"],
    ["perfect", "acceptance"],
    ["LGTM 👍", "acceptance"],
    ["no problem, thanks", "thanks"],
    ["No, I meant the import command", "correction"],
    ["nope", "negation"],
    ["thanks, but it still fails", "correction"],
    ["Ugh, useless", "frustration"],
    ["add the --json flag to the export command", "repetition"],
    ["Now document the new option in docs/cli.md", "moving_on"],
    ["the export command json output", undefined],
    ["empty", "moving_on"] // "ty" must not match inside "empty"
  ])("%s → %s", (next, kind) => {
    expect(classifyReaction(request, next, config)?.kind).toBe(kind)
  })
  it("negative cues take the most negative score", () => {
    expect(classifyReaction(request, "no, that's wrong!!!", config)?.score).toBe(config.implicitFeedback.scores.frustration)
  })
})

describe("relative scores", () => {
  it("0 at the median, symmetric in log ratio, strictly monotone and never ±1", () => {
    expect(relativeScore(100, 100, 4)).toBe(0)
    expect(relativeScore(50, 100, 4)).toBeCloseTo(-relativeScore(200, 100, 4), 12)
    expect(relativeScore(400, 100, 4)).toBeCloseTo(-Math.tanh(1), 12)
    expect(relativeScore(1e9, 100, 4)).toBeGreaterThan(-1)
    expect(relativeScore(1e6, 100, 4)).toBeLessThan(relativeScore(1e5, 100, 4))
  })
})

describe("summaries and baselines", () => {
  const summary = (category: SessionSummary["category"], tokens: number, turns = 2, ended = true): SessionSummary => ({
    sessionId: undefined,
    category,
    tokens,
    turns,
    latencyMs: tokens * 2,
    ended
  })

  it("summarizeSession sums turns, tokens and time and categorises the first message", () => {
    const events = session().user("Fix the bug").agentTurn({ tools: [{}] }).agentTurn({ reply: "done" }).completed().events
    expect(summarizeSession(events)).toEqual({
      sessionId: "s-1",
      category: "debugging",
      tokens: 2200,
      turns: 2,
      latencyMs: 4000,
      ended: true
    })
  })

  it("falls back to model-call totals when a trace has no TurnCompleted", () => {
    const events = session().user("hi").agentTurn({ reply: "hello" }).completed().events
      .filter((e) => !(e instanceof TurnCompleted))
    const s = summarizeSession(events)
    expect([s.tokens, s.latencyMs]).toEqual([1100, 1600])
  })

  it("median", () => {
    expect(median([])).toBe(0)
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 3, 2])).toBe(2.5)
  })

  it("uses the last `window` ended sessions of the category, else every category", () => {
    const history = [
      ...Array.from({ length: 6 }, (_, i) => summary("question", 100 * (i + 1))),
      summary("debugging", 5000),
      summary("question", 99_999, 2, false)
    ]
    const q = computeBaseline(history, { category: "question", window: 3, minSamples: 3 })
    expect(q).toEqual({ medianTokens: 500, medianTurns: 2, medianLatencyMs: 1000, sampleSize: 3 })
    const d = computeBaseline(history, { category: "debugging" })
    expect(d.sampleSize).toBe(7)
    expect(d.medianTokens).toBe(400)
  })

  it("efficiency and latency need at least minBaselineSamples sessions", () => {
    const events = session().user("What is a monad?").agentTurn({ reply: "…" }).completed().events
    const few = { ...codingBaseline, sampleSize: config.efficiency.minBaselineSamples - 1 }
    expect(inferSessionReward(events, few, config).dimensions.efficiency).toBeUndefined()
    expect(inferSessionReward(events, codingBaseline, config).dimensions.efficiency).toBeGreaterThan(0)
  })
})

describe("tool reliability", () => {
  it("one good call is not a perfect score; more good calls score higher", () => {
    const score = (n: number) =>
      inferSessionReward(
        session().user("x").agentTurn({ tools: Array.from({ length: n }, () => ({})), reply: "ok" }).completed().events,
        undefined,
        config
      ).dimensions.tool_reliability!
    expect(score(1)).toBeCloseTo(1 / 3, 12)
    expect(score(3)).toBeGreaterThan(score(1))
    expect(score(10)).toBeLessThan(1)
  })

  it("falls back to TurnCompleted counts when there are no tool events", () => {
    const events = session().user("x").agentTurn({ tools: [{ result: "failed" }, {}], reply: "ok" }).completed()
      .events.filter((e) => !e._tag.startsWith("ToolCall") && e._tag !== "ReplanHintInjected")
    expect(inferSessionReward(events, undefined, config).dimensions.tool_reliability).toBe(0)
  })
})

describe("turn rewards", () => {
  it("credit tools and safety to their turn, the reaction to every turn of its exchange, the outcome to the last", () => {
    const events = session()
      .user("Fix the failing test")
      .agentTurn({ tools: [{ result: "failed" }] })
      .agentTurn({ tools: [{}], reply: "Fixed" })
      .user("no, that's wrong")
      .safety({ stage: "inbound", action: "warn" })
      .agentTurn({ reply: "Sorry" })
      .completed()
      .feedback(1, 3)
      .events
    const turns = inferTurnRewards(events, config)
    expect(turns.map((t) => t.turn)).toEqual([1, 2, 3])
    const [t1, t2, t3] = turns
    expect(t1!.dimensions.tool_reliability).toBeLessThan(0)
    expect(t2!.dimensions.tool_reliability).toBeGreaterThan(0)
    expect(t1!.dimensions.implicit_feedback).toBe(config.implicitFeedback.scores.correction)
    expect(t2!.dimensions.implicit_feedback).toBe(config.implicitFeedback.scores.correction)
    expect(t3!.dimensions.implicit_feedback).toBeUndefined()
    expect(t3!.dimensions.safety).toBeLessThan(0)
    expect(t3!.dimensions.outcome).toBe(config.outcome.completed)
    expect(t3!.dimensions.explicit_feedback).toBe(1)
    expect(t1!.dimensions.outcome).toBeUndefined()
  })
})

describe("explicit feedback", () => {
  it("the latest rating per target counts", () => {
    const events = session().user("x").agentTurn({ reply: "ok" }).completed().feedback(-1).feedback(0.5).feedback(1, 1)
      .events
    expect(inferSessionReward(events, undefined, config).dimensions.explicit_feedback).toBe(0.75)
  })
})

describe("evaluator config and the RewardAssigned event", () => {
  it("tau-default@1 with a content hash", () => {
    expect(evaluatorRef(config)).toEqual({ name: "tau-default", version: "1", hash: configHash(config) })
  })

  it("a result becomes a valid RewardAssigned that survives encoding", () => {
    const built = session().user("Fix the bug").agentTurn({ tools: [{}], reply: "ok" }).completed().feedback(1)
    const events = built.events
    const { session: reward } = evaluateSession(events, codingBaseline, config)
    const event = rewardAssigned({
      sessionId: built.sessionId,
      result: reward,
      config,
      revision: 1,
      category: reward.category
    })
    const roundTrip = Schema.decodeUnknownSync(RewardAssigned)(Schema.encodeSync(RewardAssigned)(event))
    expect(roundTrip.composite).toBe(reward.composite)
    expect(roundTrip.dimensions).toEqual(reward.dimensions)
    expect(roundTrip.evaluator.hash).toBe(configHash(config))
  })
})

describe("speed", () => {
  it("scores far more than 10,000 sessions per minute (a loose guard, not a benchmark)", () => {
    const events = session()
      .user("Fix the failing test in parser.ts")
      .agentTurn({ tools: [{}, {}, { result: "failed" }] })
      .agentTurn({ tools: [{}] })
      .agentTurn({ reply: "Fixed" })
      .user("thanks, that works")
      .agentTurn({ reply: "Glad it helped" })
      .completed()
      .feedback(1).events
    const n = 2000
    const start = performance.now()
    for (let i = 0; i < n; i++) evaluateSession(events, codingBaseline, config)
    const perMinute = n / ((performance.now() - start) / 60_000)
    expect(perMinute).toBeGreaterThan(10_000)
  })
})
