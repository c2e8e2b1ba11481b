/**
 * SQL of the memory read side: records by id, rows changed since a position (to refresh the vector cache),
 * full-text candidates (FTS5 bm25 on SQLite, ts_rank_cd on PostgreSQL) and edges around a set of records.
 * Storage failures and undecodable rows of our own tables are defects (STYLE rule 4).
 */
import { Effect } from "effect"
import { SqlClient } from "@effect/sql"
import type { MemoryScope } from "../../events/catalogue/MemoryEvents.ts"
import { decodeEdgeRows, decodeMemoryRows, toEdge } from "./MemoryRows.ts"
import type { Hit } from "./retrieval/Search.ts"

export interface LexicalFilters {
  readonly scope?: MemoryScope | undefined
  readonly workspace?: string | undefined
}

export const makeMemoryQueries = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const isSqlite = sql.onDialectOrElse({ sqlite: () => true, orElse: () => false })

  const rows = (statement: Effect.Effect<ReadonlyArray<unknown>, unknown>) =>
    statement.pipe(Effect.flatMap(decodeMemoryRows), Effect.orDie)

  const byIds = (ids: ReadonlyArray<string>) =>
    ids.length === 0 ? Effect.succeed([]) : rows(sql`SELECT * FROM tau_memory WHERE ${sql.in("id", ids)}`)

  const byId = (id: string) => Effect.map(byIds([id]), (found) => found[0])

  /** Rows whose state changed after `position`, oldest change first. */
  const changedSince = (position: number, limit: number) =>
    rows(sql`SELECT * FROM tau_memory WHERE updated_position > ${position} ORDER BY updated_position LIMIT ${limit}`)

  const maxPosition = sql<{ readonly p: number | string | null }>`SELECT MAX(updated_position) AS p FROM tau_memory`
    .pipe(Effect.map((r) => Number(r[0]?.p ?? 0)), Effect.orDie)

  /** Live records matching any of `terms` (plain letters and digits), best first; score: higher is better. */
  const lexical = (terms: ReadonlyArray<string>, filters: LexicalFilters, limit: number) => {
    if (terms.length === 0) return Effect.succeed<ReadonlyArray<Hit>>([])
    const conditions = [
      ...(filters.scope === undefined ? [] : [sql`m.scope = ${filters.scope}`]),
      ...(filters.workspace === undefined ? [] : [sql`m.workspace = ${filters.workspace}`])
    ]
    const where = conditions.length === 0 ? sql`` : sql`AND ${sql.and(conditions)}`
    // Without filters, rank inside FTS5 first and join only the top rows (the FTS table holds live records only).
    const statement = isSqlite
      ? conditions.length === 0
        ? sql<{ readonly id: string; readonly score: number }>`
          SELECT m.id AS id, s.score AS score
          FROM (SELECT rowid, -bm25(tau_memory_fts) AS score FROM tau_memory_fts
                WHERE tau_memory_fts MATCH ${terms.map((t) => `"${t}"`).join(" OR ")}
                ORDER BY bm25(tau_memory_fts), rowid LIMIT ${limit}) s
          JOIN tau_memory m ON m.created_position = s.rowid
          ORDER BY s.score DESC, s.rowid`
        : sql<{ readonly id: string; readonly score: number }>`
          SELECT m.id AS id, -bm25(tau_memory_fts) AS score
          FROM tau_memory_fts JOIN tau_memory m ON m.created_position = tau_memory_fts.rowid
          WHERE tau_memory_fts MATCH ${terms.map((t) => `"${t}"`).join(" OR ")} ${where}
          ORDER BY bm25(tau_memory_fts), tau_memory_fts.rowid LIMIT ${limit}`
      : sql<{ readonly id: string; readonly score: number }>`
        SELECT m.id AS id, ts_rank_cd(m.search, q) AS score
        FROM tau_memory m, to_tsquery('english', ${terms.join(" | ")}) q
        WHERE m.search @@ q AND m.deleted = 0 AND m.merged_into IS NULL ${where}
        ORDER BY score DESC, m.id LIMIT ${limit}`
    return statement.pipe(
      Effect.map((found): ReadonlyArray<Hit> => found.map((r) => ({ id: r.id, score: Number(r.score) }))),
      Effect.orDie
    )
  }

  const edgesAround = (ids: ReadonlyArray<string>) =>
    ids.length === 0
      ? Effect.succeed([])
      : sql`SELECT * FROM tau_memory_edges WHERE ${sql.in("from_id", ids)} OR ${sql.in("to_id", ids)}
          ORDER BY from_id, to_id, relation`.pipe(
          Effect.flatMap(decodeEdgeRows),
          Effect.map((found) => found.map(toEdge)),
          Effect.orDie
        )

  return { byId, byIds, changedSince, maxPosition, lexical, edgesAround } as const
})
