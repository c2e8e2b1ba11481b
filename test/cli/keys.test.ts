/**
 * `tau keys create | list | revoke` on one SQLite file: create and revoke as real child processes (each with
 * its own connection), the rest through the in-process command tree, while an ApiKeys instance in this process
 * plays the running gateway: it accepts the new token, and refuses it within about a second of the revocation.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer, Option } from "effect"
import { ApiKeys } from "../../src/http/auth/ApiKeys.ts"
import * as Database from "../../src/layers/Database.ts"
import { ProjectionRunner } from "../../src/projections/ProjectionRunner.ts"
import { runTau } from "../support/Spawn.ts"
import { runCli } from "./runCli.ts"

const tempDir = Effect.acquireRelease(
  Effect.sync(() => fs.realpathSync(fs.mkdtempSync(join(os.tmpdir(), "tau-cli-keys-")))),
  (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
)

interface Created {
  readonly keyId: string
  readonly name: string
  readonly scope: string
  readonly token: string
}

interface Listed {
  readonly keyId: string
  readonly name: string
  readonly scope: string
  readonly createdAt: string
  readonly revokedAt: string | null
  readonly revokeReason: string | null
}

describe("tau keys", () => {
  it.scopedLive("create prints the token once; list never shows it; revoke takes effect in a running process", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const db = join(dir, "tau.db")
      const tau = (args: ReadonlyArray<string>) => runTau(["keys", ...args], { env: { TAU_DATABASE_URL: db }, clean: true })
      const cli = (args: ReadonlyArray<string>) =>
        Effect.map(runCli(["keys", ...args], { TAU_DATABASE_URL: db }), (r) => ({ ...r, code: r.ok ? 0 : 1 }))

      const made = yield* tau(["create", "--scope", "write", "--name", "ci", "--json"])
      assert.strictEqual(made.code, 0, made.stderr)
      assert.match(made.stderr, /not shown again/)
      const created = JSON.parse(made.stdout) as Created
      assert.deepInclude(created, { name: "ci", scope: "write" })
      assert.match(created.token, new RegExp(`^tau_${created.keyId}_[A-Za-z0-9_-]{43}$`))

      const plain = yield* cli(["create", "--scope", "read"])
      assert.strictEqual(plain.code, 0, plain.stderr)
      assert.match(plain.stdout, /^tau_[A-Za-z0-9]{12}_[A-Za-z0-9_-]{43}\n$/)
      assert.match(plain.stderr, /created key [A-Za-z0-9]{12} \(unnamed, scope read\)/)

      // The "gateway": this process, its own connection to the same file.
      const context = yield* Layer.build(ApiKeys.Default.pipe(
        Layer.provideMerge(ProjectionRunner.Default),
        Layer.provideMerge(Database.sqlite({ filename: db })),
        Layer.orDie
      ))
      const gateway = Context.get(context, ApiKeys)
      assert.deepStrictEqual(
        Option.map(yield* gateway.authenticate(created.token), (k) => [k.keyId, k.name, k.scope]),
        Option.some([created.keyId, "ci", "write"])
      )

      const listed = yield* cli(["list", "--json"])
      assert.strictEqual(listed.code, 0, listed.stderr)
      const rows = JSON.parse(listed.stdout) as ReadonlyArray<Listed>
      assert.deepStrictEqual(rows.map((r) => r.scope).sort(), ["read", "write"])
      assert.notInclude(listed.stdout, created.token.slice(-43))
      const table = yield* cli(["list"])
      assert.match(table.stdout, /key\s+name\s+scope\s+created\s+revoked/)
      assert.include(table.stdout, created.keyId)

      const revoked = yield* tau(["revoke", created.keyId, "--reason", "leaked"])
      assert.strictEqual(revoked.code, 0, revoked.stderr)
      assert.strictEqual(revoked.stdout, `revoked key ${created.keyId}\n`)
      const start = performance.now()
      while (Option.isSome(yield* gateway.authenticate(created.token))) {
        assert.isBelow(performance.now() - start, 1_500, "still accepted 1.5 s after the revoking process exited")
        yield* Effect.sleep("20 millis")
      }

      const again = yield* cli(["revoke", created.keyId])
      assert.strictEqual(again.code, 0, again.stderr)
      assert.match(again.stdout, /already revoked/)
      const unknown = yield* cli(["revoke", "nosuchkey123"])
      assert.strictEqual(unknown.code, 1)
      assert.match(unknown.stderr, /no API key nosuchkey123/)
      const badScope = yield* cli(["create", "--scope", "root"])
      assert.notStrictEqual(badScope.code, 0)

      const after = JSON.parse((yield* cli(["list", "--json"])).stdout) as ReadonlyArray<Listed>
      const row = after.find((r) => r.keyId === created.keyId)!
      assert.strictEqual(row.revokeReason, "leaked")
      assert.isNotNull(row.revokedAt)
      assert.isNull(after.find((r) => r.keyId !== created.keyId)!.revokedAt)
    }), 240_000)
})
