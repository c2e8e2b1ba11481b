import { assert, describe, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import * as fc from "fast-check"
import * as fs from "node:fs"
import * as path from "node:path"
import { Presets, ToolPolicy } from "../../../src/agent/tools/Policy.ts"
import { isInside, makeWorkspace, protectedBy } from "../../../src/agent/tools/Workspace.ts"
import { registryLayer, run, runError, tempDir, write } from "./Harness.ts"

describe("path escapes", () => {
  it.scopedLive("`..` out of the workspace is refused for reads and writes", () =>
    Effect.gen(function*() {
      const parent = yield* tempDir
      const dir = path.join(parent, "ws")
      fs.mkdirSync(dir)
      write(parent, "secret.txt", "top secret")
      const readEscape = yield* runError("read_file", { path: "../secret.txt" }, dir)
      assert.strictEqual(readEscape.reason, "policy_denied")
      assert.include(readEscape.message, "outside the workspace")
      const deep = yield* runError("write_file", { path: "a/../../evil.txt", content: "x" }, dir)
      assert.strictEqual(deep.reason, "policy_denied")
      assert.isFalse(fs.existsSync(path.join(parent, "evil.txt")))
      const absolute = yield* runError("read_file", { path: path.join(parent, "secret.txt") }, dir)
      assert.strictEqual(absolute.reason, "policy_denied")
      const ok = yield* run("write_file", { path: path.join(dir, "inside.txt"), content: "ok" }, dir)
      assert.include(ok.output, "inside.txt")
    }).pipe(Effect.provide(registryLayer())))

  it.scopedLive("a symbolic link pointing outside is refused (existing, nested and dangling targets)", () =>
    Effect.gen(function*() {
      const parent = yield* tempDir
      const dir = path.join(parent, "ws")
      const outside = path.join(parent, "outside")
      fs.mkdirSync(dir)
      fs.mkdirSync(outside)
      write(outside, "secret.txt", "top secret")
      fs.symlinkSync(outside, path.join(dir, "out"))
      fs.symlinkSync(path.join(outside, "secret.txt"), path.join(dir, "secret-link"))
      fs.symlinkSync(path.join(outside, "new.txt"), path.join(dir, "dangling"))
      for (const [tool, args] of [
        ["read_file", { path: "out/secret.txt" }],
        ["read_file", { path: "secret-link" }],
        ["write_file", { path: "out/sub/new.txt", content: "x" }],
        ["write_file", { path: "dangling", content: "x" }],
        ["edit_file", { path: "secret-link", find: "top", replace: "bottom" }],
        ["list_dir", { path: "out" }],
        ["grep", { pattern: "secret", path: "out" }],
        ["run_command", { command: "ls", cwd: "out" }]
      ] as const) {
        const error = yield* runError(tool, args, dir)
        assert.strictEqual(error.reason, "policy_denied", `${tool} ${JSON.stringify(args)}`)
        assert.include(error.message, "symbolic link")
      }
      assert.isFalse(fs.existsSync(path.join(outside, "new.txt")))
      assert.isFalse(fs.existsSync(path.join(outside, "sub")))
      assert.strictEqual(fs.readFileSync(path.join(outside, "secret.txt"), "utf8"), "top secret")
      // Walks never follow links, so the secret does not show up through a directory search either.
      assert.strictEqual((yield* run("grep", { pattern: "secret" }, dir)).output, "no matches for /secret/")
    }).pipe(Effect.provide(registryLayer())))

  it.scopedLive("a link that stays inside the workspace is followed", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      write(dir, "real/file.txt", "hello")
      fs.symlinkSync(path.join(dir, "real"), path.join(dir, "alias"))
      assert.strictEqual((yield* run("read_file", { path: "alias/file.txt" }, dir)).output, "hello")
    }).pipe(Effect.provide(registryLayer())))
})

describe("protected paths", () => {
  it.scopedLive("writes to .git, .env files, .tau and root AGENTS.md are refused; reads are not", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      write(dir, ".git/config", "[core]")
      write(dir, ".env", "OPENAI_API_KEY=x")
      fs.symlinkSync(path.join(dir, ".git"), path.join(dir, "gitlink"))
      for (const [tool, args] of [
        ["write_file", { path: ".git/config", content: "x" }],
        ["write_file", { path: ".git/hooks/pre-commit", content: "x" }],
        ["write_file", { path: "gitlink/config", content: "x" }],
        ["write_file", { path: "sub/.env.local", content: "x" }],
        ["write_file", { path: ".tau/tau.db", content: "x" }],
        ["write_file", { path: "AGENTS.md", content: "x" }],
        ["edit_file", { path: ".env", find: "x", replace: "y" }]
      ] as const) {
        const error = yield* runError(tool, args, dir)
        assert.strictEqual(error.reason, "policy_denied", `${tool} ${JSON.stringify(args)}`)
        assert.include(error.message, "is protected")
      }
      assert.strictEqual(fs.readFileSync(path.join(dir, ".git/config"), "utf8"), "[core]")
      assert.isFalse(fs.existsSync(path.join(dir, ".tau")))
      assert.strictEqual((yield* run("read_file", { path: ".git/config" }, dir)).output, "[core]")
      yield* run("write_file", { path: "docs/AGENTS.md", content: "nested is fine" }, dir)
    }).pipe(Effect.provide(registryLayer())))

  it.scopedLive("allowProtectedWrites lifts the protection", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      yield* run("write_file", { path: ".env", content: "A=1" }, dir)
      assert.strictEqual(fs.readFileSync(path.join(dir, ".env"), "utf8"), "A=1")
    }).pipe(Effect.provide(registryLayer(ToolPolicy.make({ ...Presets.balanced, allowProtectedWrites: true })))))

  it("pattern syntax: bare names match at any depth, slashes anchor at the root", () => {
    const patterns = [".git", ".env.*", "/AGENTS.md", "config/secret/**"]
    assert.strictEqual(protectedBy("a/.git/x", patterns), ".git")
    assert.strictEqual(protectedBy("x/.env.prod", patterns), ".env.*")
    assert.strictEqual(protectedBy("AGENTS.md", patterns), "/AGENTS.md")
    assert.isUndefined(protectedBy("docs/AGENTS.md", patterns))
    assert.strictEqual(protectedBy("config/secret/k/v", patterns), "config/secret/**")
    assert.isUndefined(protectedBy("config/public", patterns))
    assert.isUndefined(protectedBy(".gitignore", patterns))
  })
})

describe("resolution property", () => {
  it.scopedLive("random paths of '..', '.' and names either resolve inside the workspace or are refused", () =>
    Effect.gen(function*() {
      const parent = yield* tempDir
      const root = path.join(parent, "ws")
      for (const d of ["a/b/c", "b/a", "c"]) fs.mkdirSync(path.join(root, d), { recursive: true })
      for (const d of ["a", "b", "outside"]) fs.mkdirSync(path.join(parent, d), { recursive: true })
      write(root, "a/file", "x")
      const workspace = yield* makeWorkspace(root, Presets.balanced, "test")
      const segment = fc.constantFrom("..", ".", "a", "b", "c", "file", "new", "")
      const arbitrary = fc.record({
        prefix: fc.constantFrom("", "/", `${root}/`, `${parent}/`),
        segments: fc.array(segment, { maxLength: 10 })
      })
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(arbitrary, async ({ prefix, segments }) => {
            const input = prefix + segments.join("/")
            for (const access of ["read", "write"] as const) {
              const result = await Effect.runPromise(Effect.either(workspace.resolve(input, access)))
              const expectedInside = isInside(root, path.resolve(root, input === "" ? "." : input))
              if (Either.isRight(result)) {
                assert.isTrue(isInside(root, result.right.absolute), `${input} escaped to ${result.right.absolute}`)
                assert.isTrue(expectedInside, `${input} was accepted though it leaves the workspace`)
                assert.notInclude(result.right.relative.split("/"), "..")
              } else {
                assert.strictEqual(result.left.reason, "policy_denied")
                assert.isFalse(expectedInside, `${input} was refused though it stays inside`)
              }
            }
          }),
          { numRuns: 400 }
        )
      )
    }))
})
