/**
 * PostgreSQL test support. The suite runs when TAU_TEST_DATABASE_URL is set; each test scope gets a fresh
 * database, dropped afterwards. CI checks TAU_TEST_REPORT for "postgres:ran" to prove the suite ran.
 */
import { appendFileSync } from "node:fs"
import { randomBytes } from "node:crypto"
import { Effect } from "effect"
import type { Scope } from "effect"
import pg from "pg"
import { describe } from "vitest"

export const pgTestUrl: string | undefined = process.env.TAU_TEST_DATABASE_URL || undefined

const reportRan = () => {
  const report = process.env.TAU_TEST_REPORT
  if (report) appendFileSync(report, "postgres:ran\n")
}

/** `describe` for PostgreSQL suites: skipped, loudly, when no test database is configured. */
export const describePg = (name: string, body: () => void) => {
  if (pgTestUrl === undefined) {
    console.warn(`[postgres] SKIPPED "${name}": set TAU_TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test) to run it`)
    describe.skip(`[postgres] ${name}`, body)
    return
  }
  reportRan()
  describe(`[postgres] ${name}`, body)
}

const withAdmin = <A>(f: (client: pg.Client) => Promise<A>) =>
  Effect.promise(async () => {
    const client = new pg.Client({ connectionString: pgTestUrl })
    await client.connect()
    try {
      return await f(client)
    } finally {
      await client.end()
    }
  })

/** A fresh, empty database for the current scope; its URL. Dropped (with its connections) on scope close. */
export const freshPgDatabase: Effect.Effect<string, never, Scope.Scope> = Effect.acquireRelease(
  Effect.gen(function*() {
    if (pgTestUrl === undefined) return yield* Effect.dieMessage("TAU_TEST_DATABASE_URL is not set")
    const name = `tau_t_${randomBytes(6).toString("hex")}`
    yield* withAdmin((c) => c.query(`CREATE DATABASE ${name}`))
    const url = new URL(pgTestUrl)
    url.pathname = `/${name}`
    return { name, url: url.toString() }
  }),
  ({ name }) => withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).pipe(Effect.ignore)
).pipe(Effect.map(({ url }) => url))
