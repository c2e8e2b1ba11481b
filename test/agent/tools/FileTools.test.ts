import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { Presets, ToolPolicy } from "../../../src/agent/tools/Policy.ts"
import { read, registryLayer, run, runError, tempDir, write } from "./Harness.ts"

const small = ToolPolicy.make({ ...Presets.balanced, maxReadBytes: 64, maxWriteBytes: 32 })

describe("read_file", () => {
  it.scopedLive("reads a whole file, or a line range with a continuation note", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      write(dir, "a.txt", "one\ntwo\nthree\nfour\n")
      const whole = yield* run("read_file", { path: "a.txt" }, dir)
      assert.strictEqual(whole.output, "one\ntwo\nthree\nfour\n")
      assert.isFalse(whole.truncated)
      const part = yield* run("read_file", { path: "a.txt", offset: 2, limit: 2 }, dir)
      assert.strictEqual(part.output, "two\nthree\n[more lines follow; continue with offset=4]")
      assert.deepStrictEqual(part.metadata?.nextOffset, 4)
      const past = yield* run("read_file", { path: "a.txt", offset: 9 }, dir)
      assert.include(past.output, "past the end of the file (4 lines)")
      const missing = yield* runError("read_file", { path: "nope.txt" }, dir)
      assert.strictEqual(missing.reason, "not_found")
    }).pipe(Effect.provide(registryLayer())))

  it.scopedLive("stops at the read byte limit and says where to continue", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const lines = Array.from({ length: 40 }, (_, i) => `line ${i + 1}`).join("\n")
      write(dir, "big.txt", lines)
      const result = yield* run("read_file", { path: "big.txt" }, dir)
      assert.isTrue(result.truncated)
      assert.strictEqual(result.originalBytes, Buffer.byteLength(lines))
      assert.isTrue(result.output.startsWith("line 1\nline 2\n"))
      assert.match(result.output, /read limit of 64 bytes reached; continue with offset=\d+/)
      const body = result.output.slice(0, result.output.indexOf("["))
      assert.isAtMost(Buffer.byteLength(body), 64)
    }).pipe(Effect.provide(registryLayer(small))))

  it.scopedLive("refuses directories and binary files", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      fs.mkdirSync(path.join(dir, "d"))
      fs.writeFileSync(path.join(dir, "bin"), Buffer.from([1, 2, 0, 3]))
      assert.include((yield* runError("read_file", { path: "d" }, dir)).message, "list_dir")
      assert.include((yield* runError("read_file", { path: "bin" }, dir)).message, "binary")
    }).pipe(Effect.provide(registryLayer())))
})

describe("write_file", () => {
  it.scopedLive("creates parent directories and overwrites", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const created = yield* run("write_file", { path: "x/y/z.txt", content: "héllo" }, dir)
      assert.strictEqual(read(dir, "x/y/z.txt"), "héllo")
      assert.deepStrictEqual(created.metadata, { path: "x/y/z.txt", bytes: 6, created: true })
      const again = yield* run("write_file", { path: "x/y/z.txt", content: "bye" }, dir)
      assert.include(again.output, "overwrote")
      assert.strictEqual(read(dir, "x/y/z.txt"), "bye")
    }).pipe(Effect.provide(registryLayer())))

  it.scopedLive("refuses content over the write limit and writes nothing", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const error = yield* runError("write_file", { path: "big.txt", content: "x".repeat(33) }, dir)
      assert.strictEqual(error.reason, "policy_denied")
      assert.include(error.message, "write limit of 32")
      assert.isFalse(fs.existsSync(path.join(dir, "big.txt")))
    }).pipe(Effect.provide(registryLayer(small))))
})

describe("edit_file", () => {
  it.scopedLive("replaces a unique match and returns the count", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      write(dir, "f.ts", "const a = 1\nconst b = 2\n")
      const result = yield* run("edit_file", { path: "f.ts", find: "const b = 2", replace: "const b = $& 3" }, dir)
      assert.strictEqual(read(dir, "f.ts"), "const a = 1\nconst b = $& 3\n")
      assert.strictEqual(result.metadata?.replacements, 1)
    }).pipe(Effect.provide(registryLayer())))

  it.scopedLive("refuses an ambiguous match unless all is set", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      write(dir, "f.txt", "foo bar foo baz foo")
      const error = yield* runError("edit_file", { path: "f.txt", find: "foo", replace: "qux" }, dir)
      assert.strictEqual(error.reason, "failed")
      assert.include(error.message, "occurs 3 times")
      assert.strictEqual(read(dir, "f.txt"), "foo bar foo baz foo")
      const result = yield* run("edit_file", { path: "f.txt", find: "foo", replace: "qux", all: true }, dir)
      assert.strictEqual(result.metadata?.replacements, 3)
      assert.strictEqual(read(dir, "f.txt"), "qux bar qux baz qux")
    }).pipe(Effect.provide(registryLayer())))

  it.scopedLive("reports text that is not found, and an empty find as invalid arguments", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      write(dir, "f.txt", "abc")
      assert.strictEqual((yield* runError("edit_file", { path: "f.txt", find: "zzz", replace: "" }, dir)).reason, "not_found")
      const empty = yield* runError("edit_file", { path: "f.txt", find: "", replace: "x" }, dir)
      assert.strictEqual(empty.reason, "invalid_arguments")
      assert.include(empty.message, "at find")
    }).pipe(Effect.provide(registryLayer())))
})

describe("list_dir, glob, grep", () => {
  const tree = (dir: string) => {
    write(dir, "src/a.ts", "export const alpha = 1\n")
    write(dir, "src/lib/b.ts", "export const beta = 2\n// TODO fix\n")
    write(dir, "src/lib/c.js", "todo: lower case\n")
    write(dir, "README.md", "# Title\nTODO docs\n")
    write(dir, "node_modules/pkg/index.ts", "TODO hidden\n")
    write(dir, ".git/HEAD", "ref: TODO\n")
    fs.writeFileSync(path.join(dir, "src/blob.bin"), Buffer.from([0, 84, 79, 68, 79]))
  }

  it.scopedLive("list_dir lists one level, or recursively to a depth", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      tree(dir)
      fs.symlinkSync(path.join(dir, "src"), path.join(dir, "link"))
      const top = yield* run("list_dir", {}, dir)
      assert.strictEqual(top.output, ".git/\nREADME.md\nlink@\nnode_modules/\nsrc/")
      const deep = yield* run("list_dir", { path: "src", recursive: true, max_depth: 2 }, dir)
      assert.strictEqual(deep.output, "a.ts\nblob.bin\nlib/\nlib/b.ts\nlib/c.js")
      assert.strictEqual((yield* runError("list_dir", { path: "README.md" }, dir)).reason, "failed")
    }).pipe(Effect.provide(registryLayer())))

  it.scopedLive("glob matches with ** and braces, skipping node_modules and .git", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      tree(dir)
      assert.strictEqual((yield* run("glob", { pattern: "**/*.ts" }, dir)).output, "src/a.ts\nsrc/lib/b.ts")
      assert.strictEqual((yield* run("glob", { pattern: "*.{ts,js}", path: "src/lib" }, dir)).output, "src/lib/b.ts\nsrc/lib/c.js")
      assert.strictEqual((yield* run("glob", { pattern: "*.md" }, dir)).output, "README.md")
      const limited = yield* run("glob", { pattern: "**", max_results: 2 }, dir)
      assert.include(limited.output, "more matches not shown")
    }).pipe(Effect.provide(registryLayer())))

  it.scopedLive("grep finds regex matches with include, case folding and a match limit", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      tree(dir)
      const all = yield* run("grep", { pattern: "TODO" }, dir)
      assert.strictEqual(all.output, "README.md:2: TODO docs\nsrc/lib/b.ts:2: // TODO fix")
      const ts = yield* run("grep", { pattern: "todo", ignore_case: true, include: "*.js" }, dir)
      assert.strictEqual(ts.output, "src/lib/c.js:1: todo: lower case")
      const one = yield* run("grep", { pattern: "export", max_matches: 1 }, dir)
      assert.strictEqual(one.output, "src/a.ts:1: export const alpha = 1\n[stopped at 1 matches]")
      const file = yield* run("grep", { pattern: "beta", path: "src/lib/b.ts" }, dir)
      assert.strictEqual(file.output, "src/lib/b.ts:1: export const beta = 2")
      const bad = yield* runError("grep", { pattern: "(" }, dir)
      assert.strictEqual(bad.reason, "invalid_arguments")
      assert.include(bad.message, "at pattern")
    }).pipe(Effect.provide(registryLayer())))
})
