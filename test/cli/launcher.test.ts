/**
 * The `tau` launcher (bin/tau.mjs) re-runs `serve` with a larger young generation: the server is a child that
 * has the flag, answers signals through the launcher, and does not outlive a launcher killed outright.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { execFileSync, spawn } from "node:child_process"
import { createServer } from "node:net"
import type { AddressInfo } from "node:net"
import { cleanEnv, repoRoot, tauBin } from "../support/Spawn.ts"
import { tempSqliteFile } from "../support/Sqlite.ts"

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

const up = (url: string) => fetch(`${url}/healthz`).then((r) => r.ok, () => false)

/** A port nothing listens on right now (the OS picks it). */
const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const probe = createServer()
    probe.once("error", reject)
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as AddressInfo
      probe.close(() => resolve(port))
    })
  })

/** Command lines of `pid`'s children (Linux `ps`). */
const childrenOf = (pid: number): ReadonlyArray<string> => {
  try {
    return execFileSync("ps", ["-o", "args=", "--ppid", String(pid)]).toString().split("\n").filter((l) => l.length > 0)
  } catch {
    return []
  }
}

/** Starts `tau serve` through the launcher (in its own process group) and waits until it answers. */
const launch = async (filename: string) => {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const launcher = spawn(process.execPath, [tauBin, "serve", "--no-auth", "--port", String(port)], {
    cwd: repoRoot,
    env: { ...cleanEnv(), NODE_OPTIONS: "", TAU_DATABASE_URL: filename },
    stdio: ["ignore", "ignore", "pipe"],
    detached: true
  })
  let stderr = ""
  launcher.stderr.on("data", (c) => (stderr += String(c)))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    launcher.on("exit", (code, signal) => resolve({ code, signal })))
  for (let i = 0; i < 600 && launcher.exitCode === null && !(await up(url)); i++) await sleep(100)
  const served = await up(url)
  return { launcher, url, served, exited, stderr: () => stderr }
}

/** Whether `url` stops answering within ~10 s. */
const stopsAnswering = async (url: string) => {
  for (let i = 0; i < 100; i++) {
    await sleep(100)
    if (!(await up(url))) return true
  }
  return false
}

describe("tau launcher", () => {
  it.scopedLive("serve runs in a child with --max-semi-space-size; killing the launcher stops the server", () =>
    Effect.gen(function*() {
      const filename = yield* tempSqliteFile
      const outcome = yield* Effect.promise(async () => {
        const { launcher, served, stderr, url } = await launch(filename)
        const children = childrenOf(launcher.pid!)
        launcher.kill("SIGKILL")
        return { served, children, stopped: await stopsAnswering(url), stderr: stderr(), exitCode: launcher.exitCode }
      })
      assert.isTrue(outcome.served, `never healthy (launcher exit code ${outcome.exitCode}): ${outcome.stderr}`)
      assert.strictEqual(outcome.children.length, 1, outcome.children.join("\n"))
      assert.match(outcome.children[0]!, /--max-semi-space-size=128 .*tau\.mjs serve --no-auth --port/)
      assert.isTrue(outcome.stopped, "the server outlived its launcher")
    }), 90_000)

  it.scopedLive("Ctrl-C (SIGINT to the launcher's process group) shuts the server down gracefully: exit code 0", () =>
    Effect.gen(function*() {
      const filename = yield* tempSqliteFile
      const outcome = yield* Effect.promise(async () => {
        const { exited, launcher, served, stderr, url } = await launch(filename)
        process.kill(-launcher.pid!, "SIGINT")
        return { served, exit: await exited, stopped: await stopsAnswering(url), stderr: stderr() }
      })
      assert.isTrue(outcome.served, outcome.stderr)
      assert.deepStrictEqual(outcome.exit, { code: 0, signal: null }, outcome.stderr)
      assert.isTrue(outcome.stopped)
    }), 90_000)
})
