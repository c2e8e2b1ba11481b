import { afterEach, assert, describe, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { createServer } from "node:http"
import { createServer as createHttpsServer } from "node:https"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { IncomingMessage, Server, ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { gzipSync } from "node:zlib"
import { makeNodeFetch } from "../../../src/agent/llm/NodeFetch.ts"

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void

const servers: Array<Server> = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))))
})

const serve = async (handler: Handler) => {
  const server = createServer((req, res) => {
    let body = ""
    req.on("data", (c) => (body += String(c)))
    req.on("end", () => handler(req, res, body))
  })
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r))
  const port = (server.address() as AddressInfo).port
  return { server, url: `http://127.0.0.1:${port}` }
}

const rejection = async (promise: Promise<unknown>): Promise<unknown> => {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error("expected a rejection")
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe("nodeFetch (the openai SDK's transport)", () => {
  it("sends method, headers and body; answers status, headers and body like fetch", async () => {
    const { url } = await serve((req, res, body) => {
      res.writeHead(201, { "content-type": "application/json", "x-request-id": "req_1", "set-cookie": ["a=1", "b=2"] })
      res.end(JSON.stringify({ method: req.method, auth: req.headers.authorization, body: JSON.parse(body) }))
    })
    const fetch = makeNodeFetch()
    const headers = new Headers({ authorization: "Bearer k", "content-type": "application/json" })
    const res = await fetch(`${url}/v1/chat`, { method: "post", headers, body: JSON.stringify({ a: 1 }) })
    assert.strictEqual(res.status, 201)
    assert.isTrue(res.ok)
    assert.strictEqual(res.headers.get("x-request-id"), "req_1")
    assert.deepStrictEqual(res.headers.getSetCookie(), ["a=1", "b=2"])
    assert.deepStrictEqual(await res.json(), { method: "POST", auth: "Bearer k", body: { a: 1 } })
  })

  it("an error status keeps its body and headers; 204 has no body", async () => {
    const { url } = await serve((req, res) => {
      if (req.url === "/empty") {
        res.writeHead(204).end()
        return
      }
      res.writeHead(429, { "retry-after": "2", "content-type": "application/json" }).end('{"error":{"message":"slow down"}}')
    })
    const fetch = makeNodeFetch()
    const limited = await fetch(`${url}/x`, { method: "POST", body: "{}" })
    assert.strictEqual(limited.status, 429)
    assert.isFalse(limited.ok)
    assert.strictEqual(limited.headers.get("retry-after"), "2")
    assert.deepStrictEqual(await limited.json(), { error: { message: "slow down" } })
    const empty = await fetch(`${url}/empty`)
    assert.strictEqual(empty.status, 204)
    assert.isNull(empty.body)
  })

  it("decodes a gzip body", async () => {
    const { url } = await serve((_req, res) => {
      res.writeHead(200, { "content-encoding": "gzip", "content-type": "application/json" }).end(gzipSync('{"zipped":true}'))
    })
    assert.deepStrictEqual(await (await makeNodeFetch()(url)).json(), { zipped: true })
  })

  it("streams server-sent events chunk by chunk, as they are written", async () => {
    let release: () => void = () => {}
    const secondMayGo = new Promise<void>((r) => (release = r))
    const { url } = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" })
      res.write("data: one\n\n")
      void secondMayGo.then(() => res.end("data: two\n\n"))
    })
    const res = await makeNodeFetch()(url)
    const reader = res.body!.getReader()
    const decoder = new TextDecoder()
    const first = await reader.read()
    assert.strictEqual(decoder.decode(first.value), "data: one\n\n")
    release()
    let rest = ""
    for (;;) {
      const next = await reader.read()
      if (next.done) break
      rest += decoder.decode(next.value)
    }
    assert.strictEqual(rest, "data: two\n\n")
  })

  it("a refused connection rejects with fetch's TypeError, the system error as its cause", async () => {
    const { server, url } = await serve(() => {})
    await new Promise((r) => server.close(r))
    const error = await rejection(makeNodeFetch()(url, { method: "POST", body: "{}" }))
    assert.instanceOf(error, TypeError)
    assert.strictEqual(((error as TypeError).cause as { code?: string }).code, "ECONNREFUSED")
  })

  it("a body cut short rejects (buffered) or errors the stream (events) with TypeError", async () => {
    const { url } = await serve((req, res) => {
      if (req.url === "/events") res.writeHead(200, { "content-type": "text/event-stream" })
      else res.writeHead(200, { "content-type": "application/json", "content-length": "1000" })
      res.write(req.url === "/events" ? "data: one\n\n" : '{"partial":')
      setTimeout(() => res.socket?.destroy(), 20)
    })
    const fetch = makeNodeFetch()
    assert.instanceOf(await rejection(fetch(`${url}/json`)), TypeError)
    const reader = (await fetch(`${url}/events`)).body!.getReader()
    await reader.read()
    assert.instanceOf(await rejection(reader.read()), TypeError)
  })

  it("an aborted signal rejects with an AbortError, before the answer and while events stream", async () => {
    const { url } = await serve((req, res) => {
      if (req.url === "/events") {
        res.writeHead(200, { "content-type": "text/event-stream" })
        res.write("data: one\n\n")
      }
    })
    const fetch = makeNodeFetch()
    const before = new AbortController()
    const pending = fetch(`${url}/slow`, { signal: before.signal })
    await sleep(20)
    before.abort()
    assert.strictEqual((await rejection(pending) as Error).name, "AbortError")

    const during = new AbortController()
    const reader = (await fetch(`${url}/events`, { signal: during.signal })).body!.getReader()
    await reader.read()
    during.abort()
    assert.strictEqual((await rejection(reader.read()) as Error).name, "AbortError")
    const already = new AbortController()
    already.abort()
    assert.strictEqual((await rejection(fetch(url, { signal: already.signal })) as Error).name, "AbortError")
  })

  it("follows a redirect (through the global fetch)", async () => {
    const { url } = await serve((req, res) => {
      if (req.url === "/old") res.writeHead(307, { location: "/new" }).end()
      else res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ at: req.url }))
    })
    assert.deepStrictEqual(await (await makeNodeFetch()(`${url}/old`)).json(), { at: "/new" })
  })

  it("reuses a kept-alive connection, closes it when idle, and does not cut a slow answer", async () => {
    const ports: Array<number> = []
    const { server, url } = await serve((req, res) => {
      ports.push(req.socket.remotePort ?? 0)
      setTimeout(() => res.writeHead(200).end("ok"), req.url === "/slow" ? 250 : 0)
    })
    let closed = 0
    server.on("connection", (socket) => socket.on("close", () => closed++))
    const fetch = makeNodeFetch({ idleSocketMs: 100 })
    assert.strictEqual(await (await fetch(url)).text(), "ok")
    assert.strictEqual(await (await fetch(url)).text(), "ok")
    assert.strictEqual(ports[0], ports[1])
    await sleep(300)
    assert.strictEqual(closed, 1)
    assert.strictEqual(await (await fetch(`${url}/slow`)).text(), "ok")
  })

  /** A self-signed certificate for 127.0.0.1, made with the openssl command line (on every machine of this project). */
  const selfSigned = () => {
    const dir = mkdtempSync(join(tmpdir(), "tau-tls-"))
    try {
      execFileSync("openssl", [
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
        "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")
      ], { stdio: "ignore" })
      return { key: readFileSync(join(dir, "key.pem"), "utf8"), cert: readFileSync(join(dir, "cert.pem"), "utf8") }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }

  it("speaks https, trusting the given CA and refusing a certificate it does not trust", async () => {
    const { cert, key } = selfSigned()
    const server = createHttpsServer({ cert, key }, (req, res) => {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ secure: true, method: req.method }))
    })
    servers.push(server)
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r))
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/v1/models`
    assert.deepStrictEqual(await (await makeNodeFetch({ ca: cert })(url, { method: "POST", body: "{}" })).json(), {
      secure: true,
      method: "POST"
    })
    const refused = await rejection(makeNodeFetch()(url))
    assert.instanceOf(refused, TypeError)
  })
})
