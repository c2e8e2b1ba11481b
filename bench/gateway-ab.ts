/**
 * Two builds of Tau against each other on a noisy VM: `tau serve` from checkout A and from checkout B run at
 * once (each on its own SQLite file, one loopback model for both), are warmed, then take alternating bursts of
 * `POST /v1/chat/completions` (A, B, B, A, …), so drift in the VM's speed hits both alike; the medians over the
 * rounds are compared. This VM's speed moves by up to 40 % within a minute, which single runs of
 * bench/gateway.ts cannot tell from a change.
 * Run: npm run bench:gateway-ab -- <checkout A> <checkout B> [agent|proxy] [connections] [rounds] [seconds]
 *   (a checkout is a directory with node_modules, e.g. `git worktree add /tmp/base <rev>` plus a symlink)
 * One checkout against itself with different node flags: AB_NODE_FLAGS_A / AB_NODE_FLAGS_B (space-separated), e.g.
 *   AB_NODE_FLAGS_B=--v8-pool-size=1 npm run bench:gateway-ab -- . .
 */
import { execFileSync, spawn } from "node:child_process"
import { Agent, request as httpRequest } from "node:http"
import { readFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { startLoopbackModel } from "../test/support/LoopbackModel.ts"
import { report, tempDir } from "./common.ts"

const [dirA, dirB, mode = "agent", connectionsArg = "50", roundsArg = "10", secondsArg = "3"] = process.argv.slice(2)
if (dirA === undefined || dirB === undefined) throw new Error("usage: gateway-ab.ts <checkout A> <checkout B> [agent|proxy] [connections] [rounds] [seconds]")
const connections = Number(connectionsArg)
const rounds = Number(roundsArg)
const seconds = Number(secondsArg)
const WARM_SECONDS = 8

const message = [{ role: "user", content: "hello there" }]
const body = JSON.stringify(mode === "proxy"
  ? { model: "bench-model", messages: message, tools: [{ type: "function", function: { name: "noop", description: "does nothing", parameters: { type: "object", properties: {} } } }] }
  : { model: "bench-model", messages: message })

/** CPU seconds of a process, or with `thread` of one of its threads (the main thread's id is the process's). */
const cpuSeconds = (pid: number, thread?: number) => {
  const path = thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`
  const fields = readFileSync(path, "utf8").split(") ")[1]!.split(" ")
  return (Number(fields[11]) + Number(fields[12])) / 100
}
const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

const lb = await startLoopbackModel({ models: ["bench-model"] })
const dirs: Array<() => void> = []
const builds = await Promise.all([dirA, dirB].map(async (checkout, i) => {
  const root = resolve(checkout)
  const { cleanup, dir } = tempDir(`gateway-ab-${i}`)
  dirs.push(cleanup)
  const port = 20000 + Math.floor(Math.random() * 20000)
  const env = { ...process.env, TAU_DATABASE_URL: join(dir, "tau.db"), OPENAI_BASE_URL: lb.url, OPENAI_API_KEY: "bench",
    TAU_MODEL: "bench-model", TAU_RATE_LIMIT_RPS: "0", TAU_PORT: String(port) }
  const tau = join(root, "bin", "tau.mjs")
  const { token } = JSON.parse(execFileSync(process.execPath, [tau, "keys", "create", "--scope", "write", "--json"], { env, cwd: root })
    .toString()) as { readonly token: string }
  // As the launcher runs it (its young generation flag, bin/tau.mjs), without the launcher in between.
  const flags = (process.env[`AB_NODE_FLAGS_${i === 0 ? "A" : "B"}`] ?? "").split(" ").filter((flag) => flag !== "")
  const server = spawn(process.execPath, ["--max-semi-space-size=128", ...flags, tau, "serve"], { cwd: root, env, stdio: ["ignore", "ignore", "inherit"] })
  const url = `http://127.0.0.1:${port}`
  for (let tries = 0; ; tries++) {
    if (tries > 300) throw new Error(`${root}: tau serve did not become healthy`)
    const healthy = await fetch(`${url}/healthz`).then((r) => r.ok, () => false)
    if (healthy) break
    await new Promise((r) => setTimeout(r, 100))
  }
  return { name: i === 0 ? "A" : "B", label: [root, ...flags].join(" "), server, url, token, agent: new Agent({ keepAlive: true, maxSockets: connections }),
    rps: [] as Array<number>, cpu: [] as Array<number>, main: [] as Array<number>, p50: [] as Array<number> }
}))
type Build = typeof builds[number]

const post = (build: Build) =>
  new Promise<number>((done, fail) => {
    const started = performance.now()
    const req = httpRequest(`${build.url}/v1/chat/completions`, {
      method: "POST",
      agent: build.agent,
      headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), authorization: `Bearer ${build.token}` }
    }, (res) => {
      res.resume()
      res.on("end", () => (res.statusCode === 200 ? done(performance.now() - started) : fail(new Error(`status ${res.statusCode}`))))
    })
    req.on("error", fail)
    req.end(body)
  })

const burst = async (build: Build, forSeconds: number) => {
  const latencies: Array<number> = []
  const pid = build.server.pid!
  const cpuBefore = cpuSeconds(pid)
  const mainBefore = cpuSeconds(pid, pid)
  const started = performance.now()
  const end = started + forSeconds * 1000
  await Promise.all(Array.from({ length: connections }, async () => {
    while (performance.now() < end) latencies.push(await post(build))
  }))
  const elapsed = (performance.now() - started) / 1000
  return { rps: latencies.length / elapsed, cpuMs: ((cpuSeconds(pid) - cpuBefore) * 1000) / latencies.length,
    mainMs: ((cpuSeconds(pid, pid) - mainBefore) * 1000) / latencies.length, p50: median(latencies) }
}

try {
  for (const build of builds) await burst(build, WARM_SECONDS)
  for (let round = 0; round < rounds; round++) {
    for (const build of round % 2 === 0 ? builds : [...builds].reverse()) {
      const measured = await burst(build, seconds)
      build.rps.push(measured.rps)
      build.cpu.push(measured.cpuMs)
      build.main.push(measured.mainMs)
      build.p50.push(measured.p50)
    }
  }
  for (const build of builds) {
    console.log(`${build.name} ${build.label}: ${mode}, ${connections} connections: median ${median(build.rps).toFixed(0)} req/s ` +
      `(rounds: ${build.rps.map((x) => x.toFixed(0)).join(" ")}), server CPU ${median(build.cpu).toFixed(2)} ms per request ` +
      `(main thread ${median(build.main).toFixed(3)} ms), ` +
      `p50 ${median(build.p50).toFixed(2)} ms`)
  }
  const [a, b] = builds as [Build, Build]
  report(`${mode}: B against A, ${connections} connections (median req/s of ${rounds} alternating rounds)`, "req/s",
    median(b.rps), median(a.rps), 0, "no target; B/A")
} finally {
  for (const build of builds) {
    build.agent.destroy()
    build.server.kill("SIGTERM")
  }
  await Promise.all(builds.map((build) => new Promise((r) => build.server.once("close", r))))
  await lb.close()
  for (const cleanup of dirs) cleanup()
}
