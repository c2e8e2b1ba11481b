/**
 * Gateway overhead: `POST /v1/chat/completions` through `tau serve` (a child process on SQLite,
 * synchronous=FULL, every event persisted with group commit, auth on with a real key, audit on) against the
 * same request sent straight to the instant loopback model it calls, with the same keep-alive client in the
 * same run:
 *   added latency p50/p99 at 1 connection     target: <= 3 ms added at p50
 *   added latency p50/p99 at 50 connections
 *   throughput at 50 connections              target: >= 1,000 requests/s
 * Agent mode (no tools: a session per request, ~8 events each) and proxy mode (client tools) are both run, and
 * agent mode streamed (`"stream": true`, the answer word by word) at 50 connections, against the model streaming
 * the same answer directly (no target in the issue; printed for comparison).
 * It also prints the machine's speed before and after (bench/common.ts calibrationMs): these VMs' speed moves a lot.
 * Run: npm run bench:gateway   (or: node --import ./bin/register.mjs bench/gateway.ts [scale])
 */
import { spawn } from "node:child_process"
import type { ChildProcess } from "node:child_process"
import { Agent, request as httpRequest } from "node:http"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { startLoopbackModel } from "../test/support/LoopbackModel.ts"
import { calibrationMs, report, tempDir, writeResults } from "./common.ts"

const scale = Number(process.argv[2] ?? "1")
const SEQUENTIAL = Math.round(400 * scale)
// V8 keeps optimising the turn's code for ~2,000 requests (p50 falls from ~11 to ~6 ms over them on this VM);
// the measured requests come after that, as on a server that has been up for a while. Until 2026-11-26 this
// was 50 requests (docs/performance.md gives both).
const WARM_UP = Math.round(2000 * scale)
const CONCURRENT_SECONDS = 8 * scale
const CONNECTIONS = 50
const repoRoot = join(import.meta.dirname, "..")
const tauBin = join(repoRoot, "bin", "tau.mjs")

interface Target {
  readonly url: string
  readonly headers: Record<string, string>
}

const post = (agent: Agent, target: Target, body: string): Promise<number> =>
  new Promise((resolve, reject) => {
    const started = performance.now()
    const req = httpRequest(target.url, {
      method: "POST",
      agent,
      headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), ...target.headers }
    }, (res) => {
      res.resume()
      res.on("end", () => {
        if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode} from ${target.url}`))
        else resolve(performance.now() - started)
      })
    })
    req.on("error", reject)
    req.end(body)
  })

/**
 * CPU seconds used so far by `root` and its descendants (the launcher and the server it runs), from /proc; undefined
 * where there is no /proc. CPU per request does not move with this VM's speed the way requests per second do
 * (the direct model's throughput here varies up to 3x between sittings), so changes are compared on it.
 */
const treeCpuSeconds = (root: number): number | undefined => {
  const stat = (pid: string) => readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")
  try {
    const ticks = 100
    const children = new Map<number, Array<number>>()
    for (const name of readdirSync("/proc")) {
      if (!/^\d+$/.test(name)) continue
      try {
        const parent = Number(stat(name)[1])
        children.set(parent, [...(children.get(parent) ?? []), Number(name)])
      } catch {
        // exited meanwhile
      }
    }
    let total = 0
    const visit = (pid: number) => {
      try {
        const fields = stat(String(pid))
        total += (Number(fields[11]) + Number(fields[12])) / ticks
      } catch {
        // exited meanwhile
      }
      for (const child of children.get(pid) ?? []) visit(child)
    }
    visit(root)
    return total
  } catch {
    return undefined
  }
}

const percentile = (sorted: ReadonlyArray<number>, p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))] ?? Number.NaN

interface Run {
  readonly p50: number
  readonly p99: number
  readonly rps: number
  /** CPU milliseconds the server used per request counted in the measured window (Linux only). */
  readonly serverCpuMs?: number | undefined
  /** CPU milliseconds per request of this process (the load generator and the loopback model), same window. */
  readonly benchCpuMs?: number
}

const sequential = async (target: Target, body: string, n: number): Promise<Run> => {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  for (let i = 0; i < WARM_UP; i++) await post(agent, target, body)
  const latencies: Array<number> = []
  const started = performance.now()
  for (let i = 0; i < n; i++) latencies.push(await post(agent, target, body))
  const seconds = (performance.now() - started) / 1000
  agent.destroy()
  latencies.sort((a, b) => a - b)
  return { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), rps: n / seconds }
}

const concurrent = async (
  target: Target,
  body: string,
  connections: number,
  seconds: number,
  serverPid?: number
): Promise<Run> => {
  const agent = new Agent({ keepAlive: true, maxSockets: connections })
  const latencies: Array<number> = []
  const warmUntil = performance.now() + 1000
  const endAt = warmUntil + seconds * 1000
  let counted = 0
  let cpuAtWarm: number | undefined
  let ownAtWarm = process.cpuUsage()
  const warmTimer = setTimeout(() => {
    cpuAtWarm = serverPid === undefined ? undefined : treeCpuSeconds(serverPid)
    ownAtWarm = process.cpuUsage()
  }, 1000)
  // Throughput counts what completes inside the measured window; latency, what was also sent inside it (the
  // first second's burst of 50 new connections and sessions is warm-up, not steady state).
  const worker = async () => {
    while (performance.now() < endAt) {
      const sent = performance.now()
      const ms = await post(agent, target, body)
      if (performance.now() > warmUntil) counted++
      if (sent > warmUntil) latencies.push(ms)
    }
  }
  await Promise.all(Array.from({ length: connections }, worker))
  clearTimeout(warmTimer)
  const cpuAtEnd = serverPid === undefined ? undefined : treeCpuSeconds(serverPid)
  const own = process.cpuUsage(ownAtWarm)
  agent.destroy()
  latencies.sort((a, b) => a - b)
  const serverCpuMs = cpuAtWarm !== undefined && cpuAtEnd !== undefined ? ((cpuAtEnd - cpuAtWarm) * 1000) / counted : undefined
  return { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), rps: counted / seconds, serverCpuMs,
    benchCpuMs: (own.user + own.system) / 1000 / counted }
}

const run = (args: ReadonlyArray<string>, env: Record<string, string>): Promise<string> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [tauBin, ...args], { cwd: repoRoot, env: { ...process.env, ...env } })
    let out = ""
    let err = ""
    child.stdout.on("data", (c) => (out += String(c)))
    child.stderr.on("data", (c) => (err += String(c)))
    child.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`tau ${args.join(" ")}: ${err}`))))
  })

const waitHealthy = async (url: string, child: ChildProcess) => {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error("tau serve exited")
    try {
      const res = await fetch(`${url}/healthz`)
      if (res.ok) return
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error("tau serve did not become healthy")
}

const main = async () => {
  const calibratedBefore = calibrationMs()
  const lb = await startLoopbackModel({ models: ["bench-model"] })
  const { dir, cleanup } = tempDir("gateway")
  const port = 20000 + Math.floor(Math.random() * 20000)
  const env = {
    TAU_DATABASE_URL: join(dir, "tau.db"),
    OPENAI_BASE_URL: lb.url,
    OPENAI_API_KEY: "bench",
    TAU_MODEL: "bench-model",
    TAU_RATE_LIMIT_RPS: "0",
    TAU_PORT: String(port)
  }
  const created = JSON.parse(await run(["keys", "create", "--scope", "write", "--name", "bench", "--json"], env)) as {
    readonly token: string
  }
  const server = spawn(process.execPath, [tauBin, "serve"], { cwd: repoRoot, env: { ...process.env, ...env }, stdio: "inherit" })
  const gatewayUrl = `http://127.0.0.1:${port}`
  try {
    await waitHealthy(gatewayUrl, server)
    const agentBody = JSON.stringify({ model: "bench-model", messages: [{ role: "user", content: "hello there" }] })
    const proxyBody = JSON.stringify({
      model: "bench-model",
      messages: [{ role: "user", content: "hello there" }],
      tools: [{ type: "function", function: { name: "noop", description: "does nothing", parameters: { type: "object", properties: {} } } }]
    })
    const direct: Target = { url: `${lb.url}/chat/completions`, headers: { authorization: "Bearer bench" } }
    const gateway: Target = { url: `${gatewayUrl}/v1/chat/completions`, headers: { authorization: `Bearer ${created.token}` } }

    const direct1 = await sequential(direct, agentBody, SEQUENTIAL)
    for (const [mode, body] of [["agent", agentBody], ["proxy", proxyBody]] as const) {
      const through1 = await sequential(gateway, body, SEQUENTIAL)
      console.log(
        `${mode} mode, 1 connection: direct p50 ${direct1.p50.toFixed(2)} ms p99 ${direct1.p99.toFixed(2)} ms; ` +
          `gateway p50 ${through1.p50.toFixed(2)} ms p99 ${through1.p99.toFixed(2)} ms; ` +
          `added p50 ${(through1.p50 - direct1.p50).toFixed(2)} ms, p99 ${(through1.p99 - direct1.p99).toFixed(2)} ms`
      )
      report(`${mode}: added p50 at 1 connection (ms, lower is better)`, "ms", 3, Math.max(0.001, through1.p50 - direct1.p50), 1,
        "ratio = 3 ms budget / added ms")
    }
    const direct50 = await concurrent(direct, agentBody, CONNECTIONS, CONCURRENT_SECONDS)
    for (const [mode, body] of [["agent", agentBody], ["proxy", proxyBody]] as const) {
      const through50 = await concurrent(gateway, body, CONNECTIONS, CONCURRENT_SECONDS, server.pid)
      console.log(
        `${mode} mode, ${CONNECTIONS} connections: direct ${Math.round(direct50.rps)} req/s p50 ${direct50.p50.toFixed(2)} ms ` +
          `p99 ${direct50.p99.toFixed(2)} ms; gateway ${Math.round(through50.rps)} req/s p50 ${through50.p50.toFixed(2)} ms ` +
          `p99 ${through50.p99.toFixed(2)} ms; added p50 ${(through50.p50 - direct50.p50).toFixed(2)} ms, ` +
          `p99 ${(through50.p99 - direct50.p99).toFixed(2)} ms` +
          (through50.serverCpuMs === undefined ? "" : `; server CPU ${through50.serverCpuMs.toFixed(2)} ms per request ` +
            `(load generator and model in the bench process: ${(through50.benchCpuMs ?? Number.NaN).toFixed(2)} ms)`)
      )
      // The target is absolute (1,000 req/s); as a ratio against the direct model measured here.
      report(`${mode}: throughput at ${CONNECTIONS} connections (req/s vs direct model)`, "req/s", through50.rps, direct50.rps,
        1000 / direct50.rps, "target: 1,000 req/s")
    }
    const streamBody = JSON.stringify({
      model: "bench-model",
      stream: true,
      messages: [{ role: "user", content: "hello there, how are you doing today, my friend?" }]
    })
    const directStreamed = await concurrent(direct, streamBody, CONNECTIONS, CONCURRENT_SECONDS)
    const streamed = await concurrent(gateway, streamBody, CONNECTIONS, CONCURRENT_SECONDS, server.pid)
    console.log(
      `agent mode streamed, ${CONNECTIONS} connections: direct ${Math.round(directStreamed.rps)} req/s; gateway ` +
        `${Math.round(streamed.rps)} req/s p50 ${streamed.p50.toFixed(2)} ms p99 ${streamed.p99.toFixed(2)} ms` +
        (streamed.serverCpuMs === undefined ? "" : `; server CPU ${streamed.serverCpuMs.toFixed(2)} ms per request`)
    )
    report(`agent streamed: throughput at ${CONNECTIONS} connections (req/s vs direct model)`, "req/s", streamed.rps,
      directStreamed.rps, 0, "no target; for comparison")
    console.log(
      `machine speed (bench/common.ts calibrationMs, lower is faster): ${calibratedBefore.toFixed(0)} ms before, ` +
        `${calibrationMs().toFixed(0)} ms after`
    )
    writeResults("gateway")
  } finally {
    server.kill("SIGTERM")
    await new Promise((r) => server.once("close", r))
    await lb.close()
    cleanup()
  }
}

await main()
