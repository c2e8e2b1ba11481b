import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { Presets, ToolPolicy } from "../../../src/agent/tools/Policy.ts"
import { registryLayer, run, runError, stillAliveAfter, tempDir, write } from "./Harness.ts"

const waitForFile = (file: string) =>
  Effect.gen(function*() {
    const deadline = Date.now() + 5_000
    while (!(fs.existsSync(file) && fs.readFileSync(file, "utf8").trim() !== "") && Date.now() < deadline) {
      yield* Effect.sleep("20 millis")
    }
    return Number(fs.readFileSync(file, "utf8").trim())
  })

describe("run_command", () => {
  it.scopedLive("runs in the workspace and returns output and the exit code", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      write(dir, "sub/f.txt", "content\n")
      const ok = yield* run("run_command", { command: "pwd && cat f.txt", cwd: "sub" }, dir)
      assert.strictEqual(ok.output, `${path.join(dir, "sub")}\ncontent\n[exit code 0]`)
      assert.strictEqual(ok.metadata?.exitCode, 0)
      const failing = yield* run("run_command", { command: "ls missing-file" }, dir)
      assert.strictEqual(failing.metadata?.exitCode, 2)
      assert.match(failing.output, /missing-file.*\n\[exit code 2\]$/s)
      const quiet = yield* run("run_command", { command: "true" }, dir)
      assert.strictEqual(quiet.output, "(no output)\n[exit code 0]")
    }).pipe(Effect.provide(registryLayer())))

  it.scopedLive("caps output with a truncation marker, keeping the head and the tail", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const result = yield* run(
        "run_command",
        { command: "echo START && head -c 200000 /dev/zero | tr '\\0' 'a' && echo && echo END" },
        dir
      )
      assert.isTrue(result.truncated)
      assert.isAtLeast(result.originalBytes, 200_000)
      assert.isAtMost(Buffer.byteLength(result.output), 1_000)
      assert.isTrue(result.output.startsWith("START\naaa"))
      assert.match(result.output, /…\[truncated \d+ bytes\]…/)
      assert.isTrue(result.output.endsWith("END\n[exit code 0]"))
    }).pipe(Effect.provide(registryLayer(ToolPolicy.make({ ...Presets.balanced, maxOutputBytes: 1_000 })))))

  it.scopedLive("the environment is the allowlist only: a secret of this process is not visible", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      process.env.OPENAI_API_KEY = "sk-test-should-never-leak"
      process.env.TAU_TEST_SECRET = "hunter2"
      const result = yield* run("run_command", { command: "env" }, dir).pipe(
        Effect.ensuring(Effect.sync(() => {
          delete process.env.OPENAI_API_KEY
          delete process.env.TAU_TEST_SECRET
        }))
      )
      assert.notInclude(result.output, "sk-test-should-never-leak")
      assert.notInclude(result.output, "hunter2")
      assert.include(result.output, "PATH=")
      const names = result.output.split("\n").filter((l) => l.includes("=")).map((l) => l.slice(0, l.indexOf("=")))
      for (const name of names) assert.include([...Presets.balanced.envAllowlist, "PWD", "SHLVL", "_"], name)
    }).pipe(Effect.provide(registryLayer())))

  it.scopedLive("a timeout kills the whole process group and reports partial output", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const started = Date.now()
      const error = yield* runError(
        "run_command",
        { command: "echo $$ > sh.pid; sleep 30 & echo $! > bg.pid; echo started; wait", timeout_ms: 700 },
        dir
      )
      assert.strictEqual(error.reason, "timeout")
      assert.include(error.message, "timed out after 700 ms")
      assert.include(error.message, "started")
      assert.isBelow(Date.now() - started, 10_000)
      const shell = Number(fs.readFileSync(path.join(dir, "sh.pid"), "utf8"))
      const background = Number(fs.readFileSync(path.join(dir, "bg.pid"), "utf8"))
      assert.isFalse(yield* stillAliveAfter(shell, 3_000), "the shell survived")
      assert.isFalse(yield* stillAliveAfter(background, 3_000), "the background child survived")
    }).pipe(Effect.provide(registryLayer(Presets.permissive))))

  it.scopedLive("interrupting the call (cancel mid-turn) kills the running command", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const fiber = yield* Effect.fork(run("run_command", { command: "sleep 30 & echo $! > bg.pid; wait" }, dir))
      const background = yield* waitForFile(path.join(dir, "bg.pid"))
      yield* Fiber.interrupt(fiber)
      assert.isFalse(yield* stillAliveAfter(background, 3_000), "the command survived interruption")
    }).pipe(Effect.provide(registryLayer(Presets.permissive))))

  it.scopedLive("background processes left behind when the shell exits are killed", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const result = yield* run("run_command", { command: "sleep 30 & echo $! > bg.pid" }, dir)
      assert.strictEqual(result.metadata?.exitCode, 0)
      const background = Number(fs.readFileSync(path.join(dir, "bg.pid"), "utf8"))
      assert.isFalse(yield* stillAliveAfter(background, 3_000))
    }).pipe(Effect.provide(registryLayer(Presets.permissive))))

  it.scopedLive("strict refuses a command outside its allowlist, anywhere in a pipeline", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      for (const command of ["git status", "ls | xargs rm", "ls && node -e 1", "env curl example.com"]) {
        const error = yield* runError("run_command", { command }, dir)
        assert.strictEqual(error.reason, "policy_denied", command)
        assert.include(error.message, "strict policy's command allowlist", command)
      }
      const ok = yield* run("run_command", { command: "ls -a | wc -l" }, dir)
      assert.strictEqual(ok.metadata?.exitCode, 0)
    }).pipe(Effect.provide(registryLayer(Presets.strict))))

  it.scopedLive("balanced refuses newlines, substitution and denylisted commands; permissive keeps the denylist", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      for (const command of ["ls\nrm -rf x", "echo $(cat /etc/passwd)", "echo `id`", "sudo ls", "python3 -c 1"]) {
        assert.strictEqual((yield* runError("run_command", { command }, dir)).reason, "policy_denied", command)
      }
      assert.strictEqual(
        (yield* runError("run_command", { command: "x".repeat(5_000) }, dir)).reason,
        "policy_denied"
      )
      const redirect = yield* run("run_command", { command: "ls nope 2>&1 | wc -l" }, dir)
      assert.strictEqual(redirect.metadata?.exitCode, 0)
    }).pipe(Effect.provide(registryLayer())))

  it.scopedLive("permissive still refuses the denylist", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const error = yield* runError("run_command", { command: "echo hi; sudo rm -rf /" }, dir)
      assert.include(error.message, `"sudo" is never allowed`)
      const ok = yield* run("run_command", { command: "echo $(echo nested)" }, dir)
      assert.strictEqual(ok.output, "nested\n[exit code 0]")
    }).pipe(Effect.provide(registryLayer(Presets.permissive))))
})
