import { assert, describe, it } from "@effect/vitest"
import * as fc from "fast-check"
import { commandDenial, scanCommand } from "../../../src/agent/tools/internal/CommandCheck.ts"
import { globToRegExp } from "../../../src/agent/tools/internal/Glob.ts"
import { byteLength, capHead, HeadTailCollector } from "../../../src/agent/tools/internal/Output.ts"
import { Presets, ToolPolicy } from "../../../src/agent/tools/Policy.ts"

describe("globToRegExp", () => {
  const cases: ReadonlyArray<readonly [string, string, boolean]> = [
    ["*.ts", "a.ts", true],
    ["*.ts", "src/a.ts", false],
    ["**/*.ts", "a.ts", true],
    ["**/*.ts", "src/deep/a.ts", true],
    ["src/**", "src/a/b", true],
    ["src/**/test/*.ts", "src/test/x.ts", true],
    ["src/**/test/*.ts", "src/a/b/test/x.ts", true],
    ["?.md", "a.md", true],
    ["?.md", "ab.md", false],
    ["*.{ts,js}", "x.js", true],
    ["*.{ts,js}", "x.py", false],
    ["[ab]*.txt", "b1.txt", true],
    ["[!ab]*.txt", "b1.txt", false],
    ["a.b", "axb", false],
    ["\\*.txt", "*.txt", true],
    ["\\*.txt", "x.txt", false]
  ]
  for (const [pattern, input, expected] of cases) {
    it(`${pattern} ${expected ? "matches" : "does not match"} ${input}`, () => {
      assert.strictEqual(globToRegExp(pattern).test(input), expected)
    })
  }
})

describe("command scanning", () => {
  it("splits lists and pipelines, honours quotes and redirections", () => {
    assert.deepStrictEqual(scanCommand(`ls -la | grep "a | b" && echo 'x; y' 2>&1; cat <f`).segments, [
      ["ls", "-la"],
      ["grep", "a | b"],
      ["echo", "x; y", "2>&1"],
      ["cat", "<f"]
    ])
    assert.isTrue(scanCommand("echo $(id)").substitution)
    assert.isFalse(scanCommand("echo '$(id)'").substitution)
  })

  it("looks through wrappers and find -exec", () => {
    const strict = Presets.strict
    assert.include(commandDenial("env FOO=1 curl x", strict) ?? "", `"curl"`)
    assert.include(commandDenial("find . -name x -exec rm {} \\;", strict) ?? "", `"rm"`)
    const withTimeout = ToolPolicy.make({ ...strict, commandAllowlist: ["timeout", "ls"] })
    assert.include(commandDenial("timeout 5 node x.js", withTimeout) ?? "", `"node"`)
    assert.isUndefined(commandDenial("timeout -s KILL 5 ls", withTimeout))
    assert.isUndefined(commandDenial("FOO=1 ls -la | sort | head -n 3", strict))
    assert.isUndefined(commandDenial("find . -name '*.ts' | xargs wc -l", strict))
    assert.include(commandDenial("/usr/bin/sudo ls", Presets.permissive) ?? "", "never allowed")
  })
})

describe("output capping", () => {
  const text = fc.string({ unit: fc.constantFrom("a", "é", "漢", "😀", "\n"), maxLength: 400 })

  it("capHead stays within the cap and never splits a character", () => {
    fc.assert(fc.property(text, fc.integer({ min: 60, max: 600 }), (s, cap) => {
      const capped = capHead(s, cap)
      assert.strictEqual(capped.originalBytes, byteLength(s))
      assert.isAtMost(byteLength(capped.output), Math.max(cap, byteLength(s) <= cap ? 0 : cap))
      assert.strictEqual(capped.truncated, byteLength(s) > cap)
      if (!capped.truncated) assert.strictEqual(capped.output, s)
      assert.notInclude(capped.output, "\uFFFD")
    }))
  })

  it("HeadTailCollector keeps the head and tail of a stream within the cap", () => {
    fc.assert(fc.property(fc.array(text, { maxLength: 20 }), fc.integer({ min: 100, max: 800 }), (parts, cap) => {
      const collector = new HeadTailCollector(cap)
      const bytes = Buffer.from(parts.join(""), "utf8")
      // Feed arbitrary byte chunks, splitting characters across pushes.
      for (let i = 0; i < bytes.length; i += 7) collector.push(bytes.subarray(i, i + 7))
      const rendered = collector.render()
      const full = bytes.toString("utf8")
      assert.strictEqual(rendered.originalBytes, bytes.length)
      assert.isAtMost(byteLength(rendered.output), cap)
      assert.notInclude(rendered.output, "\uFFFD")
      if (!rendered.truncated) assert.strictEqual(rendered.output, full)
      else {
        const [head, tail] = rendered.output.split(/\n…\[truncated \d+ bytes\]…\n/)
        assert.isTrue(full.startsWith(head!))
        assert.isTrue(full.endsWith(tail!))
      }
    }))
  })
})
