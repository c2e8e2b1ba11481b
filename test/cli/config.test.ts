import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either, Option, Redacted } from "effect"
import { DatabaseConfig, describeDatabase, TauConfig } from "../../src/layers/Config.ts"

const load = (env: Record<string, string>) =>
  TauConfig.pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))), Effect.either)

describe("TauConfig (TAU_DATABASE_URL)", () => {
  it.effect("defaults to SQLite at ./.tau/tau.db with synchronous=FULL", () =>
    Effect.gen(function*() {
      const config = Either.getOrThrow(yield* load({}))
      assert.deepStrictEqual(config.database, DatabaseConfig.Sqlite({ filename: "./.tau/tau.db", synchronous: "FULL", flush: Option.none() }))
    }))

  it.effect("a path or sqlite: URL is SQLite; postgres:// and postgresql:// are PostgreSQL", () =>
    Effect.gen(function*() {
      const file = Either.getOrThrow(
        yield* load({ TAU_DATABASE_URL: "/data/tau.db", TAU_SQLITE_SYNCHRONOUS: "normal", TAU_SQLITE_FLUSH: " Background" })
      )
      assert.deepStrictEqual(
        file.database,
        DatabaseConfig.Sqlite({ filename: "/data/tau.db", synchronous: "NORMAL", flush: Option.some("background") })
      )
      assert.strictEqual(describeDatabase(file.database), "SQLite /data/tau.db (synchronous=NORMAL, flush=background)")
      const unset = Either.getOrThrow(yield* load({ TAU_DATABASE_URL: "/data/tau.db" }))
      assert.strictEqual(describeDatabase(unset.database, "background"), "SQLite /data/tau.db (synchronous=FULL, flush=background)")
      const prefixed = Either.getOrThrow(yield* load({ TAU_DATABASE_URL: "sqlite:./x.db" }))
      assert.strictEqual(prefixed.database._tag === "Sqlite" && prefixed.database.filename, "./x.db")
      for (const url of ["postgres://u:secret@db:5432/tau", "postgresql://u:secret@db/tau"]) {
        const pg = Either.getOrThrow(yield* load({ TAU_DATABASE_URL: url }))
        assert.strictEqual(pg.database._tag, "Postgres")
        if (pg.database._tag === "Postgres") assert.strictEqual(Redacted.value(pg.database.url), url)
        assert.notInclude(describeDatabase(pg.database), "secret")
      }
    }))

  it.effect("an unknown synchronous or flush mode is a configuration error naming the variable", () =>
    Effect.gen(function*() {
      const result = yield* load({ TAU_SQLITE_SYNCHRONOUS: "sometimes" })
      assert.isTrue(Either.isLeft(result))
      if (Either.isLeft(result)) assert.include(String(result.left), "TAU_SQLITE_SYNCHRONOUS must be one of FULL, NORMAL, OFF")
      const flush = yield* load({ TAU_SQLITE_FLUSH: "later" })
      assert.isTrue(Either.isLeft(flush))
      if (Either.isLeft(flush)) assert.include(String(flush.left), "TAU_SQLITE_FLUSH must be one of commit, background")
    }))
})
