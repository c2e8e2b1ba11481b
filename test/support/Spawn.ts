/**
 * Child processes for tests that go through a real `node` (the `tau` bin, the embedding example): collected
 * stdout/stderr and exit code, killed if the test is interrupted.
 */
import { spawn } from "node:child_process"
import { join } from "node:path"
import { Effect } from "effect"

export const repoRoot = join(import.meta.dirname, "..", "..")
export const tauBin = join(repoRoot, "bin", "tau.mjs")

export interface ProcessRun {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** The test process's environment without OPENAI_* and TAU_*, so a child sees only what the test sets. */
export const cleanEnv = (): Record<string, string | undefined> => {
  const env: Record<string, string | undefined> = { ...process.env }
  for (const key of Object.keys(env)) if (key.startsWith("OPENAI_") || key.startsWith("TAU_")) delete env[key]
  return env
}

export interface RunOptions {
  readonly env?: Record<string, string>
  /** Start from cleanEnv() instead of the whole environment. */
  readonly clean?: boolean
  /** Lines written to stdin, then stdin is closed; without it stdin is ignored. */
  readonly input?: ReadonlyArray<string>
}

export const runNode = (args: ReadonlyArray<string>, options: RunOptions = {}): Effect.Effect<ProcessRun> =>
  Effect.async<ProcessRun>((resume) => {
    const child = spawn(process.execPath, args, {
      cwd: repoRoot,
      env: { ...(options.clean ? cleanEnv() : process.env), ...options.env },
      stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout?.on("data", (chunk) => (stdout += String(chunk)))
    child.stderr?.on("data", (chunk) => (stderr += String(chunk)))
    child.on("close", (code) => resume(Effect.succeed({ code, stdout, stderr })))
    if (options.input !== undefined && child.stdin !== null) {
      for (const line of options.input) child.stdin.write(`${line}\n`)
      child.stdin.end()
    }
    return Effect.sync(() => child.kill("SIGKILL"))
  })

export const runTau = (args: ReadonlyArray<string>, options: RunOptions = {}) => runNode([tauBin, ...args], options)
