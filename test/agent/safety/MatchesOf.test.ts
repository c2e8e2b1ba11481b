import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import { matchesOf } from "../../../src/agent/safety/Detectors.ts"
import { rules } from "../../../src/agent/safety/Rules.ts"

const summary = (matches: Iterable<RegExpMatchArray>) =>
  [...matches].map((m) => ({ index: m.index, text: m[0], groups: { ...m.groups }, indices: m.indices?.map((r) => r && [...r]) }))

const patterns = [
  /a*/g,
  /(?:)/gu,
  /\p{L}*/gu,
  new RegExp("x|", "gv"),
  /(?<word>[a-z]+)=(?<value>\d+)/gd,
  /sk-[A-Za-z0-9]{4,}/g,
  /^/gm
]

describe("matchesOf", () => {
  it("finds what matchAll finds, empty matches and surrogate pairs included, and leaves the pattern reusable", () => {
    const text = fc.stringOf(fc.oneof(fc.constantFrom("a", "b", "x", "=", "1", "sk-", "\n", "😀", "é"), fc.fullUnicode()), { maxLength: 40 })
    fc.assert(
      fc.property(text, fc.constantFrom(...patterns), (t, pattern) => {
        expect(summary(matchesOf(pattern, t))).toEqual(summary(t.matchAll(pattern)))
        expect(pattern.lastIndex).toBe(0)
        expect(summary(matchesOf(pattern, t))).toEqual(summary(t.matchAll(pattern)))
      }),
      { numRuns: 1000 }
    )
  })

  it("leaves no state behind between texts: every rule finds the same spans in a text whatever ran before", () => {
    const secrets = "token=Zx81kQ2mP9vL4nR7 and sk-ant-abcdefghijklmnopqrstuvwxyz0123 and postgres://u:hunter2secret@db/x"
    const first = rules.map((rule) => rule.detect(secrets))
    for (const rule of rules) rule.detect(secrets.slice(0, 30))
    expect(rules.map((rule) => rule.detect(secrets))).toEqual(first)
    expect(first.filter((spans) => spans.length > 0).length).toBeGreaterThanOrEqual(3)
  })
})
