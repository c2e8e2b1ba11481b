import { Effect, Layer } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { SessionId } from "../../../src/domain/Ids.ts"
import { CurrentToolPolicy, Presets } from "../../../src/agent/tools/Policy.ts"
import type { ToolPolicy } from "../../../src/agent/tools/Policy.ts"
import { ToolRegistry } from "../../../src/agent/tools/ToolRegistry.ts"

/** A fresh directory (real path) removed when the scope closes. */
export const tempDir = Effect.acquireRelease(
  Effect.sync(() => fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "tau-tools-")))),
  (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
)

export const registryLayer = (policy: ToolPolicy = Presets.balanced) =>
  ToolRegistry.DefaultWithoutDependencies.pipe(Layer.provide(CurrentToolPolicy.layer(policy)))

export const sessionId = SessionId.make("test-session")

export const run = (name: string, args: unknown, workspace: string) =>
  Effect.flatMap(ToolRegistry, (registry) =>
    registry.run(name, typeof args === "string" ? args : JSON.stringify(args), { workspace, sessionId }))

export const runError = (name: string, args: unknown, workspace: string) => Effect.flip(run(name, args, workspace))

export const write = (dir: string, rel: string, content: string) => {
  fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true })
  fs.writeFileSync(path.join(dir, rel), content)
}

export const read = (dir: string, rel: string) => fs.readFileSync(path.join(dir, rel), "utf8")

/** True while `pid` is a live (non-zombie) process. */
export const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z"
  } catch {
    return false
  }
}

/** Polls until `pid` is gone (or the deadline passes); returns whether it is still alive. */
export const stillAliveAfter = (pid: number, ms: number) =>
  Effect.gen(function*() {
    const deadline = Date.now() + ms
    while (isAlive(pid) && Date.now() < deadline) yield* Effect.sleep("25 millis")
    return isAlive(pid)
  })
