/**
 * The README's examples work as written: its curl command and its `openai` SDK program are taken from the
 * README (the blocks after `<!-- readme-curl -->` and `<!-- readme-sdk -->`) and run against a real gateway
 * with a key in TAU_KEY, only the port changed.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { execFile } from "node:child_process"
import { readFileSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { ApiKeys } from "../src/http/auth/ApiKeys.ts"
import { GatewayLive } from "../src/layers/Server.ts"
import { gatewayUrl } from "./support/Gateway.ts"
import { loopbackModel } from "./support/LoopbackModel.ts"
import { repoRoot } from "./support/Spawn.ts"
import { tempSqliteFile } from "./support/Sqlite.ts"

const readme = readFileSync(join(repoRoot, "README.md"), "utf8")

const block = (marker: string): string => {
  const match = new RegExp(`<!-- ${marker} -->\\s*\`\`\`\\w*\\n([\\s\\S]*?)\`\`\``).exec(readme)
  if (match?.[1] === undefined) throw new Error(`README has no block after <!-- ${marker} -->`)
  return match[1]
}

const run = (file: string, args: ReadonlyArray<string>, env: Record<string, string>) =>
  Effect.async<{ readonly code: number; readonly stdout: string; readonly stderr: string }>((resume) => {
    const child = execFile(file, args, { cwd: repoRoot, env: { ...process.env, ...env } }, (error, stdout, stderr) =>
      resume(Effect.succeed({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr })))
    return Effect.sync(() => child.kill())
  })

describe("README", () => {
  it.scopedLive("the curl and openai SDK examples work against `tau serve`", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      const filename = yield* tempSqliteFile
      const layer = GatewayLive({ port: 0 }).pipe(
        Layer.provide(Layer.setConfigProvider(lb.configProvider({ TAU_DATABASE_URL: filename })))
      )
      yield* Effect.gen(function*() {
        const url = yield* gatewayUrl
        const port = new URL(url).port
        const { token } = yield* (yield* ApiKeys).create({ name: "readme", scope: "write" })
        const env = { TAU_KEY: token }

        const curl = block("readme-curl").replaceAll("127.0.0.1:8787", `127.0.0.1:${port}`)
        const answered = yield* run("sh", ["-c", curl], env)
        assert.strictEqual(answered.code, 0, answered.stderr)
        const completion = JSON.parse(answered.stdout) as { choices: ReadonlyArray<{ message: { content: string } }> }
        assert.match(completion.choices[0]?.message.content ?? "", /Which files are in this directory\?/)

        const program = join(repoRoot, `.readme-sdk-${process.pid}.mjs`)
        writeFileSync(program, block("readme-sdk").replaceAll("127.0.0.1:8787", `127.0.0.1:${port}`))
        yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(program, { force: true })))
        const sdk = yield* run(process.execPath, [program], env)
        assert.strictEqual(sdk.code, 0, sdk.stderr)
        assert.match(sdk.stdout, /Summarise the README in one line\./)
        assert.match(sdk.stdout, /session: [0-9a-f-]{36}/)
      }).pipe(Effect.provide(layer))
    }), { timeout: 60_000 })
})
