/**
 * `tau run`, `tau chat` and `tau sessions` as a user runs them: `node bin/tau.mjs …` in child processes, talking
 * to the loopback model (started in this process) through the real openai SDK, on a temporary SQLite file.
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Reply, loopbackModel } from "../support/LoopbackModel.ts"
import { cleanEnv, runTau } from "../support/Spawn.ts"

const root = join(import.meta.dirname, "..", "..")

interface Run {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs `tau args` with `env`; `input` lines are written to stdin, then it is closed. */
const tau = (args: ReadonlyArray<string>, env: Record<string, string>, input?: ReadonlyArray<string>) =>
  runTau(args, { env, clean: true, input: input ?? [] })

/**
 * Runs `tau args` with a stdin the test drives: `feed` sends lines (and may wait for the model or the output in
 * between); stdin is closed when it returns.
 */
const tauInteractive = (
  args: ReadonlyArray<string>,
  env: Record<string, string>,
  feed: (io: { readonly send: (line: string) => Effect.Effect<void>; readonly output: () => Run }) => Effect.Effect<void>
) =>
  Effect.gen(function*() {
    const child = spawn(process.execPath, [join(root, "bin", "tau.mjs"), ...args], {
      cwd: root,
      env: { ...cleanEnv(), ...env },
      stdio: ["pipe", "pipe", "pipe"]
    })
    yield* Effect.addFinalizer(() => Effect.sync(() => child.kill("SIGKILL")))
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk) => (stdout += String(chunk)))
    child.stderr.on("data", (chunk) => (stderr += String(chunk)))
    const closed = new Promise<number | null>((resolve) => child.on("close", resolve))
    yield* feed({
      send: (line) => Effect.sync(() => void child.stdin.write(`${line}\n`)),
      output: () => ({ code: null, stdout, stderr })
    })
    child.stdin.end()
    const code = yield* Effect.promise(() => closed)
    return { code, stdout, stderr }
  })

/** Polls `check` every 20 ms until it holds; dies after `ms`. */
const until = (check: () => boolean, context: () => unknown = () => "", ms = 20_000) =>
  Effect.gen(function*() {
    const deadline = Date.now() + ms
    while (!check()) {
      if (Date.now() > deadline) return yield* Effect.dieMessage(`condition not reached in time: ${JSON.stringify(context())}`)
      yield* Effect.sleep("20 millis")
    }
  })

const tempDir = Effect.acquireRelease(
  Effect.sync(() => fs.realpathSync(fs.mkdtempSync(join(os.tmpdir(), "tau-cli-session-")))),
  (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
)

const noStackTrace = (stderr: string) => assert.notMatch(stderr, /^\s+at /m)

interface SessionJson {
  readonly sessionId: string
  readonly status: string
  readonly mode: string
  readonly turns: number
  readonly promptTokens: number
  readonly completionTokens: number
  readonly toolCalls: number
  readonly endReason: string | null
}

describe("tau run / chat / sessions (real processes, loopback model)", () => {
  it.scopedLive("run: a tool loop writes a file and completes (exit 0); sessions and log stats see it; a model 400 exits non-zero", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      const dir = yield* tempDir
      const workspace = join(dir, "ws")
      fs.mkdirSync(workspace)
      const env = {
        OPENAI_BASE_URL: lb.url,
        OPENAI_API_KEY: "test",
        TAU_MODEL: "test-model",
        TAU_DATABASE_URL: join(dir, "tau.db"),
        TAU_LLM_RETRY_BASE_MS: "5"
      }
      lb.enqueue(
        Reply.toolCalls([{ id: "w1", name: "write_file", arguments: { path: "hello.txt", content: "hi from tau\n" } }]),
        Reply.text("I wrote hello.txt.")
      )
      const run = yield* tau(["run", "write hello.txt", "--workspace", workspace], env)
      assert.strictEqual(run.code, 0, run.stderr)
      assert.strictEqual(fs.readFileSync(join(workspace, "hello.txt"), "utf8"), "hi from tau\n")
      // stdout carries the answer alone (streamed once), stderr the tool calls and the summary.
      assert.strictEqual(run.stdout, "I wrote hello.txt.\n")
      assert.match(run.stderr, /→ write_file/)
      assert.match(run.stderr, /← write_file ok/)
      assert.match(run.stderr, /session \S+ completed: 2 turns/)
      noStackTrace(run.stderr)
      assert.strictEqual(lb.chatRequests()[0]?.body.model, "test-model")

      lb.enqueue(Reply.error(400))
      const failed = yield* tau(["run", "this one fails", "--workspace", workspace, "--json"], env)
      assert.notStrictEqual(failed.code, 0)
      const summary = JSON.parse(failed.stdout) as { sessionId: string; status: string; reason: string; turns: number }
      assert.deepInclude(summary, { status: "failed", reason: "model_error", turns: 1 })
      assert.match(failed.stderr, /did not complete \(failed\)/)
      noStackTrace(failed.stderr)

      const [listed, stats] = yield* Effect.all([
        tau(["sessions", "--json"], env),
        tau(["log", "stats", "--json"], env)
      ], { concurrency: 2 })
      assert.strictEqual(listed.code, 0, listed.stderr)
      const sessions = JSON.parse(listed.stdout) as ReadonlyArray<SessionJson>
      assert.strictEqual(sessions.length, 2)
      const completed = sessions.find((s) => s.status === "completed")
      assert.deepInclude(completed, { mode: "task", turns: 2, toolCalls: 1, endReason: "final_answer" })
      assert.isTrue((completed?.promptTokens ?? 0) > 0)
      assert.deepInclude(sessions.find((s) => s.sessionId === summary.sessionId), { status: "failed", endReason: "model_error" })
      const counted = JSON.parse(stats.stdout) as { events: number; byType: ReadonlyArray<{ type: string; count: number }> }
      const count = (type: string) => counted.byType.find((t) => t.type === type)?.count
      assert.strictEqual(count("SessionStarted"), 2)
      assert.strictEqual(count("ToolCallCompleted"), 1)
      assert.strictEqual(count("SessionCompleted"), 1)
      assert.strictEqual(count("SessionFailed"), 1)
    }), { timeout: 90_000 })

  it.scopedLive("run and chat without a model: non-zero exit and one line naming OPENAI_BASE_URL and TAU_MODEL", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const env = { TAU_DATABASE_URL: join(dir, "tau.db") }
      const runs = yield* Effect.all([
        tau(["run", "anything", "--workspace", dir], env),
        tau(["chat", "--workspace", dir], env, ["hello?"])
      ], { concurrency: 2 })
      for (const run of runs) {
        assert.notStrictEqual(run.code, 0)
        assert.strictEqual(run.stdout, "")
        assert.match(run.stderr, /OPENAI_BASE_URL/)
        assert.match(run.stderr, /TAU_MODEL/)
        assert.strictEqual(run.stderr.trim().split("\n").length, 1, run.stderr)
      }
    }), { timeout: 60_000 })

  it.scopedLive("chat: one exchange through stdin, /exit leaves the session open; --session resumes it; /cancel stops a reply mid-turn", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      const dir = yield* tempDir
      const env = {
        OPENAI_BASE_URL: lb.url,
        OPENAI_API_KEY: "test",
        TAU_MODEL: "test-model",
        TAU_DATABASE_URL: join(dir, "tau.db")
      }
      lb.enqueue(Reply.text("Hello! How can I help?"), Reply.text("Still here."), Reply.text("too late", { delayMs: 30_000 }))
      const first = yield* tau(["chat", "--workspace", dir], env, ["hi there", "/exit"])
      assert.strictEqual(first.code, 0, first.stderr)
      assert.strictEqual(first.stdout, "Hello! How can I help?\n")
      const open = /session (\S+) stays open/.exec(first.stderr)
      assert.isNotNull(open, first.stderr)
      const id = open![1]!

      const second = yield* tauInteractive(["chat", "--session", id], env, ({ output, send }) =>
        Effect.gen(function*() {
          yield* send("and again")
          yield* until(() => output().stdout.includes("Still here."), output)
          yield* send("take your time")
          yield* until(() => lb.chatRequests().length === 3, () => ["requests", lb.chatRequests().length, output()])
          yield* send("/cancel")
          yield* until(() => /session cancelled \(user\)/.test(output().stderr), () => ["cancel", output()])
        }))
      assert.strictEqual(second.code, 0, second.stderr)
      assert.notInclude(second.stdout, "too late")
      assert.match(second.stderr, new RegExp(`resuming session ${id}: 1 turns`))
      assert.match(second.stderr, /the next message starts a new session/)
      // The resumed session's model call carried the first exchange.
      const messages = lb.chatRequests()[1]?.body.messages ?? []
      assert.deepStrictEqual(messages.filter((m) => m.role === "user").map((m) => m.content), ["hi there", "and again"])

      const listed = JSON.parse((yield* tau(["sessions", "--json"], env)).stdout) as ReadonlyArray<SessionJson>
      assert.deepStrictEqual(listed.map((s) => [s.sessionId, s.status, s.mode, s.turns, s.endReason]), [
        [id, "cancelled", "chat", 3, "user"]
      ])
    }), { timeout: 90_000 })
})
