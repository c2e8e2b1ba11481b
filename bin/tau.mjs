#!/usr/bin/env node
// Runs the TypeScript CLI straight from the checkout: no build step between `git clone` and `npx tau`.
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

// `tau serve` allocates a few hundred KB per request, and V8's default young generation (16 MB semi-spaces)
// collects so often that a turn's objects outlive it and get copied: with 64 MB the gateway does ~25 % more
// requests per CPU second, with 128 MB another ~5 % for about the same resident memory (docs/performance.md).
// The flag must be given when node starts, so serve re-runs itself with it unless the flag was given already
// (NODE_OPTIONS or node's own arguments).
const youngGeneration = "--max-semi-space-size"
const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/)].some((arg) => arg.startsWith(youngGeneration))

if (process.argv[2] === "serve" && !given) {
  // The server gets its own process group, so a signal sent to the launcher's group (Ctrl-C in a terminal) reaches
  // it once, forwarded below, not twice: a second SIGINT would kill it before its graceful shutdown ends.
  const child = spawn(
    process.execPath,
    [...process.execArgv, `${youngGeneration}=128`, fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    { stdio: ["inherit", "inherit", "inherit", "ipc"], detached: true }
  )
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal))
  child.on("exit", (code, signal) => {
    if (signal === null) process.exit(code ?? 1)
    process.removeAllListeners(signal)
    process.kill(process.pid, signal)
  })
} else {
  if (process.channel !== undefined) {
    // Re-run by the launcher above: if it dies (even by SIGKILL), shut down gracefully rather than linger.
    process.channel.unref()
    process.on("disconnect", () => process.kill(process.pid, "SIGTERM"))
  }
  await import("./register.mjs")
  await import("../src/cli/bin.ts")
}
