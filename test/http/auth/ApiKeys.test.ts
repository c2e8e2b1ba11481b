/**
 * ApiKeys over a real database: tokens authenticate until revoked, everything malformed or unknown is refused
 * (unknown ids without scrypt), keys created or revoked through another connection take effect within ~1 s,
 * the log never holds a secret, scrypt work stays capped under a flood, and the hot path is cheap.
 */
import { readdirSync, readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { randomBytes } from "node:crypto"
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Exit, Layer, Metric, Option } from "effect"
import { ApiKeyId } from "../../../src/domain/Ids.ts"
import { EventLog } from "../../../src/events/EventLog.ts"
import { ApiKeys, scryptQueue, scryptRuns, scryptShed } from "../../../src/http/auth/ApiKeys.ts"
import { parseToken } from "../../../src/http/auth/KeyToken.ts"
import * as Database from "../../../src/layers/Database.ts"
import { ApiKeysProjection } from "../../../src/projections/ApiKeysProjection.ts"
import { ProjectionRunner } from "../../../src/projections/ProjectionRunner.ts"
import { describePg } from "../../support/Pg.ts"
import { tempSqliteFile } from "../../support/Sqlite.ts"
import { pgBackend, sqliteBackend, world } from "../../projections/support.ts"
import type { Backend, Database as TestDatabase } from "../../projections/support.ts"

const keysLayer = (database: TestDatabase, live = false) =>
  ApiKeys.Default.pipe(Layer.provideMerge(world(database, [ApiKeysProjection], { live })))

/** One "process": its own connections, caches and runner over the shared database. */
const open = (database: () => TestDatabase, live = false) =>
  Effect.map(Layer.build(keysLayer(database(), live)), (ctx) => ({
    keys: Context.get(ctx, ApiKeys),
    log: Context.get(ctx, EventLog),
    runner: Context.get(ctx, ProjectionRunner)
  }))
const process_ = (database: () => TestDatabase) => Effect.map(open(database), (p) => p.keys)

const otherSecret = () => randomBytes(32).toString("base64url")

const waitUntil = <E, R>(check: Effect.Effect<boolean, E, R>, timeoutMs: number) =>
  Effect.gen(function*() {
    const start = performance.now()
    while (!(yield* check)) {
      if (performance.now() - start > timeoutMs) return yield* Effect.dieMessage(`not within ${timeoutMs} ms`)
      yield* Effect.sleep("20 millis")
    }
    return performance.now() - start
  })

const suite = (backend: Backend) => {
  it.scopedLive("create → authenticate; wrong secret, malformed and unknown tokens → none", () =>
    Effect.gen(function*() {
      const keys = yield* process_(yield* backend.fresh)
      const created = yield* keys.create({ name: "ci", scope: "write" })
      assert.match(created.token, /^tau_[A-Za-z0-9]{12}_[A-Za-z0-9_-]{43}$/)
      assert.deepStrictEqual(yield* keys.authenticate(created.token), Option.some({ keyId: created.keyId, name: "ci", scope: "write" as const }))

      const parsed = parseToken(created.token)!
      const wrong = `tau_${created.keyId}_${otherSecret()}`
      assert.isTrue(Option.isNone(yield* keys.authenticate(wrong)))
      // Still refused when asked again (served from the refused digests), and the right token still works.
      assert.isTrue(Option.isNone(yield* keys.authenticate(wrong)))
      assert.isTrue(Option.isSome(yield* keys.authenticate(created.token)))

      for (
        const bad of [
          "",
          "Bearer x",
          "tau_",
          `tau_${created.keyId}`,
          `tau_${created.keyId}_`,
          `${created.token}x`,
          created.token.slice(0, -1),
          `TAU_${created.keyId}_${parsed.secret}`,
          `tau_${created.keyId}_${parsed.secret.slice(0, 42)}=`,
          `tau_a_b_${parsed.secret}`,
          `tau_${"a".repeat(200)}_${parsed.secret}`
        ]
      ) assert.isTrue(Option.isNone(yield* keys.authenticate(bad)), bad)

      // Unknown ids and malformed tokens are refused without scrypt.
      const runsBefore = (yield* Metric.value(scryptRuns)).count
      for (let i = 0; i < 50; i++) {
        const unknown = `tau_${randomBytes(9).toString("hex").slice(0, 12)}_${otherSecret()}`
        assert.isTrue(Option.isNone(yield* keys.authenticate(unknown)))
        assert.isTrue(Option.isNone(yield* keys.authenticate(`tau_${created.keyId}_${otherSecret().slice(1)}`)))
      }
      assert.strictEqual((yield* Metric.value(scryptRuns)).count, runsBefore)
    }))

  it.scopedLive("revoke → none; revoking again is idempotent; an unknown key is ApiKeyNotFound", () =>
    Effect.gen(function*() {
      const { keys, log } = yield* open(yield* backend.fresh)
      const a = yield* keys.create({ name: "a", scope: "admin" })
      const b = yield* keys.create({ name: "b", scope: "read" })
      assert.isTrue(Option.isSome(yield* keys.authenticate(a.token)))
      assert.deepStrictEqual(yield* keys.revoke(a.keyId, "leaked"), { keyId: a.keyId, alreadyRevoked: false })
      assert.isTrue(Option.isNone(yield* keys.authenticate(a.token)))
      assert.isTrue(Option.isSome(yield* keys.authenticate(b.token)))
      assert.deepStrictEqual(yield* keys.revoke(a.keyId, "again"), { keyId: a.keyId, alreadyRevoked: true })
      const missing = yield* Effect.exit(keys.revoke(ApiKeyId.make("nosuchkey123")))
      assert.deepStrictEqual(Exit.isFailure(missing) && missing.cause._tag === "Fail" ? missing.cause.error._tag : undefined, "ApiKeyNotFound")
      const tooLong = yield* Effect.exit(keys.create({ name: "x".repeat(201), scope: "read" }))
      assert.isTrue(Exit.isFailure(tooLong))

      // Only one ApiKeyRevoked was appended.
      const revocations = (yield* log.readAllRaw(1, 1000)).filter((e) => e.type === "ApiKeyRevoked")
      assert.strictEqual(revocations.length, 1)
    }))

  it.scopedLive("keys created and revoked through another connection take effect within about 1 s", () =>
    Effect.gen(function*() {
      const database = yield* backend.fresh
      const server = yield* process_(database)
      const cli = yield* process_(database)
      const created = yield* cli.create({ name: "other", scope: "read" })
      // A miss reads the key's stream: accepted at once (scrypt in this process).
      assert.isTrue(Option.isSome(yield* server.authenticate(created.token)))
      const unknownYet = `tau_${"Z".repeat(12)}_${otherSecret()}`
      assert.isTrue(Option.isNone(yield* server.authenticate(unknownYet)))

      yield* cli.revoke(created.keyId)
      const elapsed = yield* waitUntil(Effect.map(server.authenticate(created.token), Option.isNone), 3_000)
      assert.isBelow(elapsed, 1_500)
      // Revoked ones stay refused.
      assert.isTrue(Option.isNone(yield* server.authenticate(created.token)))
    }))

  it.scopedLive("list comes from the projection; a rebuild equals what live processing wrote", () =>
    Effect.gen(function*() {
      const { keys, runner } = yield* open(yield* backend.fresh, true)
      const made = yield* Effect.forEach(["one", "two", "three"], (name) => keys.create({ name, scope: "read" }))
      yield* keys.revoke(made[1]!.keyId, "rotated")
      yield* keys.revoke(made[1]!.keyId, "twice")
      const listed = yield* keys.list()
      const byId = <A extends { readonly keyId: string }>(xs: ReadonlyArray<A>) => [...xs].sort((x, y) => x.keyId.localeCompare(y.keyId))
      assert.deepStrictEqual(
        byId(listed).map((k) => [k.keyId, k.name, k.scope, Option.getOrNull(k.revokeReason)]),
        byId(made).map((k) => [k.keyId, k.name, "read", k.name === "two" ? "rotated" : null])
      )
      assert.isTrue(Option.isSome(listed.find((k) => k.keyId === made[1]!.keyId)!.revokedAt))
      assert.strictEqual(JSON.stringify(listed).includes("secret"), false)

      yield* runner.rebuild(ApiKeysProjection.name)
      assert.deepStrictEqual(yield* keys.list(), listed)
    }))

  it.scopedLive("the log holds no secret, only its hash", () =>
    Effect.gen(function*() {
      const { keys, log } = yield* open(yield* backend.fresh)
      const created = yield* keys.create({ name: "s", scope: "read" })
      const secret = parseToken(created.token)!.secret
      const rows = yield* log.readAllRaw(1, 1000)
      const text = JSON.stringify(rows.map((r) => [r.data, r.metadata]))
      assert.include(text, created.keyId)
      assert.include(text, "scrypt")
      assert.notInclude(text, secret)
      assert.notInclude(text, Buffer.from(secret, "base64url").toString("base64"))
    }))
}

describe("ApiKeys [sqlite]", () => {
  suite(sqliteBackend)

  it.scopedLive("the database files hold neither the token nor its secret", () =>
    Effect.gen(function*() {
      const file = yield* tempSqliteFile
      const keys = yield* process_(() => Database.sqlite({ filename: file }).pipe(Layer.orDie))
      const created = yield* keys.create({ name: "disk", scope: "admin" })
      yield* keys.revoke(created.keyId)
      const secret = parseToken(created.token)!.secret
      const bytes = readdirSync(dirname(file)).map((f) => readFileSync(join(dirname(file), f)).toString("latin1")).join("")
      assert.include(bytes, created.keyId)
      assert.notInclude(bytes, secret)
      assert.notInclude(bytes, Buffer.from(secret, "base64url").toString("base64"))
    }))

  it.scopedLive("a flood of wrong secrets is capped, does not slow down known tokens, and forgets what it shed", () =>
    Effect.gen(function*() {
      const database = yield* sqliteBackend.fresh
      const cli = yield* process_(database)
      const victim = yield* cli.create({ name: "victim", scope: "read" })
      const known = yield* cli.create({ name: "known", scope: "read" })
      // The "server" under attack has verified one key's token, not yet the victim's real one, which comes
      // last, behind 400 made-up tokens for the victim's id.
      const server = yield* process_(database)
      assert.isTrue(Option.isSome(yield* server.authenticate(known.token)))
      const runsBefore = (yield* Metric.value(scryptRuns)).count
      const shedBefore = (yield* Metric.value(scryptShed)).count
      const flood = yield* Effect.forEach(
        [...Array.from({ length: 400 }, () => `tau_${victim.keyId}_${otherSecret()}`), victim.token],
        (token) => server.authenticate(token),
        { concurrency: "unbounded" }
      ).pipe(Effect.fork)
      yield* Effect.sleep("50 millis")
      const during = performance.now()
      for (let i = 0; i < 100; i++) assert.isTrue(Option.isSome(yield* server.authenticate(known.token)))
      assert.isBelow(performance.now() - during, 500)
      const results = yield* flood.await.pipe(Effect.flatten)
      assert.isTrue(results.slice(0, 400).every(Option.isNone))
      // Only scryptQueue tokens waited for scrypt (2 running at once); the rest were refused without it.
      const runs = (yield* Metric.value(scryptRuns)).count - runsBefore
      const shed = (yield* Metric.value(scryptShed)).count - shedBefore
      assert.strictEqual(runs, scryptQueue)
      assert.strictEqual(shed, 401 - scryptQueue)
      // The real token was shed, not judged wrong: once the flood is over it is verified.
      assert.isTrue(Option.isNone(results[400]!))
      assert.isTrue(Option.isSome(yield* server.authenticate(victim.token)))
    }), 90_000)

  it.scopedLive("authenticating a known token is cheap (well under 50 µs)", () =>
    Effect.gen(function*() {
      const keys = yield* process_(yield* sqliteBackend.fresh)
      const created = yield* keys.create({ name: "hot", scope: "write" })
      const rounds = 10_000
      for (let i = 0; i < 1_000; i++) yield* keys.authenticate(created.token)
      // Best of three batches: the machine is shared, so one slow batch says little.
      let micros = Infinity
      for (let batch = 0; batch < 3; batch++) {
        const start = performance.now()
        for (let i = 0; i < rounds; i++) yield* keys.authenticate(created.token)
        micros = Math.min(micros, (performance.now() - start) * 1000 / rounds)
      }
      console.log(`ApiKeys.authenticate (cached token): ${micros.toFixed(2)} µs per call`)
      assert.isBelow(micros, 50)
    }))
})

describePg("ApiKeys", () => suite(pgBackend))
