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

describe("tau launcher", () => {
  it.scopedLive("serve runs in a child with --max-semi-space-size; killing the launcher stops the server", () =>
    Effect.gen(function*() {
      const filename = yield* tempSqliteFile
      const outcome = yield* Effect.promise(async () => {
        const port = await freePort()
        const url = `http://127.0.0.1:${port}`
        const launcher = spawn(process.execPath, [tauBin, "serve", "--no-auth", "--port", String(port)], {
          cwd: repoRoot,
          env: { ...cleanEnv(), NODE_OPTIONS: "", TAU_DATABASE_URL: filename },
          stdio: ["ignore", "ignore", "pipe"]
        })
        let stderr = ""
        launcher.stderr.on("data", (c) => (stderr += String(c)))
        for (let i = 0; i < 600 && launcher.exitCode === null && !(await up(url)); i++) await sleep(100)
        const servedBefore = await up(url)
        const children = childrenOf(launcher.pid!)
        launcher.kill("SIGKILL")
        let servedAfter = true
        for (let i = 0; i < 100 && servedAfter; i++) {
          await sleep(100)
          servedAfter = await up(url)
        }
        return { servedBefore, children, servedAfter, stderr, exitCode: launcher.exitCode }
      })
      assert.isTrue(outcome.servedBefore, `never healthy (launcher exit code ${outcome.exitCode}): ${outcome.stderr}`)
      assert.strictEqual(outcome.children.length, 1, outcome.children.join("\n"))
      assert.match(outcome.children[0]!, /--max-semi-space-size=64 .*tau\.mjs serve --no-auth --port/)
      assert.isFalse(outcome.servedAfter, "the server outlived its launcher")
    }), 90_000)
})
