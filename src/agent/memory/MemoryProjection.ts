/**
 * The `memory` projection: records with their vectors (`tau_memory`), the graph (`tau_memory_edges`) and a
 * full-text index of the live records (SQLite: FTS5 table `tau_memory_fts` keyed by the record's creation
 * position; PostgreSQL: a generated `tsvector` column with a partial GIN index). Vectors come from the
 * embedder given to `makeMemoryProjection`; the default (hashing) embedder is pure, so a rebuild gives the same
 * bytes.
 */
import { Effect, Schedule } from "effect"
import { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import type { Envelope } from "../../events/Envelope.ts"
import type { TauEvent } from "../../events/TauEvent.ts"
import { ProjectionError } from "../../projections/Projection.ts"
import type { Projection } from "../../projections/Projection.ts"
import { hashEmbedder } from "./Embedder.ts"
import type { EmbedderShape } from "./Embedder.ts"
import { decodeMemoryRows } from "./MemoryRows.ts"
import type { MemoryRow } from "./MemoryRows.ts"
import { vectorToBytes } from "./retrieval/HashEmbedding.ts"
import { embeddingText } from "./retrieval/Text.ts"

export const memoryProjectionName = "memory"

const createSqlite = (sql: SqlClient.SqlClient) =>
  Effect.all([
    sql`CREATE TABLE IF NOT EXISTS tau_memory (
      id TEXT PRIMARY KEY,
      scope TEXT NOT NULL,
      workspace TEXT,
      session_id TEXT,
      user_id TEXT,
      kind TEXT NOT NULL,
      content TEXT NOT NULL,
      tags TEXT NOT NULL,
      tags_text TEXT NOT NULL,
      importance REAL NOT NULL,
      confidence REAL NOT NULL,
      source_event_ids TEXT NOT NULL,
      created_position INTEGER NOT NULL,
      updated_position INTEGER NOT NULL,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      deleted INTEGER NOT NULL,
      merged_into TEXT,
      embedder TEXT NOT NULL,
      embedding BLOB NOT NULL
    )`,
    sql`CREATE VIRTUAL TABLE IF NOT EXISTS tau_memory_fts USING fts5(content, tags, tokenize = 'porter unicode61')`
  ], { discard: true })

const createPg = (sql: SqlClient.SqlClient) =>
  Effect.all([
    sql`CREATE TABLE IF NOT EXISTS tau_memory (
      id TEXT PRIMARY KEY,
      scope TEXT NOT NULL,
      workspace TEXT,
      session_id TEXT,
      user_id TEXT,
      kind TEXT NOT NULL,
      content TEXT NOT NULL,
      tags TEXT NOT NULL,
      tags_text TEXT NOT NULL,
      importance DOUBLE PRECISION NOT NULL,
      confidence DOUBLE PRECISION NOT NULL,
      source_event_ids TEXT NOT NULL,
      created_position BIGINT NOT NULL,
      updated_position BIGINT NOT NULL,
      created_at TIMESTAMPTZ NOT NULL,
      updated_at TIMESTAMPTZ NOT NULL,
      deleted INTEGER NOT NULL,
      merged_into TEXT,
      embedder TEXT NOT NULL,
      embedding BYTEA NOT NULL,
      search TSVECTOR GENERATED ALWAYS AS (to_tsvector('english'::regconfig, content || ' ' || tags_text)) STORED
    )`,
    sql`CREATE INDEX IF NOT EXISTS tau_memory_search ON tau_memory USING GIN (search)
      WHERE deleted = 0 AND merged_into IS NULL`
  ], { discard: true })

const commonIndexes = (sql: SqlClient.SqlClient) =>
  Effect.all([
    sql`CREATE UNIQUE INDEX IF NOT EXISTS tau_memory_created ON tau_memory (created_position)`,
    sql`CREATE INDEX IF NOT EXISTS tau_memory_updated ON tau_memory (updated_position)`,
    sql`CREATE TABLE IF NOT EXISTS tau_memory_edges (
      from_id TEXT NOT NULL,
      to_id TEXT NOT NULL,
      relation TEXT NOT NULL,
      weight DOUBLE PRECISION NOT NULL,
      position BIGINT NOT NULL,
      PRIMARY KEY (from_id, to_id, relation)
    )`,
    sql`CREATE INDEX IF NOT EXISTS tau_memory_edges_to ON tau_memory_edges (to_id)`
  ], { discard: true })

const bytes = (vector: Float32Array) => Buffer.from(vectorToBytes(vector))
const json = (values: ReadonlyArray<string>) => JSON.stringify(values)
const union = (...lists: ReadonlyArray<ReadonlyArray<string>>) => [...new Set(lists.flat())]

export const makeMemoryProjection = (embedder: EmbedderShape): Projection => {
  const embed = (name: string, text: string) =>
    embedder.embed([text]).pipe(
      Effect.retry({ times: 3, schedule: Schedule.exponential("500 millis") }),
      Effect.flatMap((vectors) =>
        vectors[0] === undefined
          ? Effect.fail(new ProjectionError({ projection: name, message: "embedder returned no vector" }))
          : Effect.succeed(vectors[0])
      ),
      Effect.catchTag("EmbedderError", (e) => Effect.fail(new ProjectionError({ projection: name, message: e.message, cause: e })))
    )

  const apply = (envelope: Envelope<TauEvent>): Effect.Effect<void, ProjectionError | SqlError, SqlClient.SqlClient> =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const event = envelope.event
      const at = envelope.recordedAt.toISOString()
      const position = envelope.position
      const isSqlite = sql.onDialectOrElse({ sqlite: () => true, orElse: () => false })

      const load = (id: string) =>
        sql`SELECT * FROM tau_memory WHERE id = ${id}`.pipe(
          Effect.flatMap(decodeMemoryRows),
          Effect.map((rows) => rows[0]),
          Effect.catchTag("ParseError", (e) => Effect.die(e))
        )
      const missing = (id: string) =>
        new ProjectionError({ projection: memoryProjectionName, message: `${event._tag} for unknown memory ${id}` })

      /** Keeps the FTS5 row of a record equal to its live state (PostgreSQL derives its column itself). */
      const syncFts = (createdPosition: number, live: boolean, content: string, tagsText: string) =>
        Effect.gen(function*() {
          if (!isSqlite) return
          yield* sql`DELETE FROM tau_memory_fts WHERE rowid = ${createdPosition}`
          if (live) {
            yield* sql`INSERT INTO tau_memory_fts (rowid, content, tags) VALUES (${createdPosition}, ${content}, ${tagsText})`
          }
        })

      const live = (row: Pick<MemoryRow, "deleted" | "merged_into">) => row.deleted === 0 && row.merged_into === null

      switch (event._tag) {
        case "MemoryRecorded": {
          const vector = yield* embed(memoryProjectionName, embeddingText(event.content, event.tags))
          const tagsText = event.tags.join(" ")
          yield* sql`INSERT INTO tau_memory (id, scope, workspace, session_id, user_id, kind, content, tags, tags_text,
              importance, confidence, source_event_ids, created_position, updated_position, created_at, updated_at,
              deleted, merged_into, embedder, embedding)
            VALUES (${event.memoryId}, ${event.scope}, ${event.workspace ?? null}, ${event.sessionId ?? null},
              ${event.userId ?? null}, ${event.kind}, ${event.content}, ${json(event.tags)}, ${tagsText},
              ${event.importance}, ${event.confidence}, ${json(union(event.sourceEventIds, [envelope.eventId]))},
              ${position}, ${position}, ${at}, ${at}, 0, NULL, ${embedder.id}, ${bytes(vector)})`
          yield* syncFts(position, true, event.content, tagsText)
          return
        }
        case "MemoryUpdated": {
          const row = yield* load(event.memoryId)
          if (row === undefined) return yield* missing(event.memoryId)
          const content = event.content ?? row.content
          const tags = event.tags ?? row.tags
          const text = embeddingText(content, tags)
          const vector = text !== embeddingText(row.content, row.tags)
            ? bytes(yield* embed(memoryProjectionName, text))
            : Buffer.from(row.embedding)
          yield* sql`UPDATE tau_memory SET content = ${content}, kind = ${event.kind ?? row.kind},
              tags = ${json(tags)}, tags_text = ${tags.join(" ")}, importance = ${event.importance ?? row.importance},
              confidence = ${event.confidence ?? row.confidence},
              source_event_ids = ${json(union(row.source_event_ids, event.sourceEventIds, [envelope.eventId]))},
              updated_position = ${position}, updated_at = ${at}, embedder = ${embedder.id}, embedding = ${vector}
            WHERE id = ${event.memoryId}`
          yield* syncFts(row.created_position, live(row), content, tags.join(" "))
          return
        }
        case "MemoryLinked": {
          yield* sql`INSERT INTO tau_memory_edges (from_id, to_id, relation, weight, position)
            VALUES (${event.from}, ${event.to}, ${event.relation}, ${event.weight}, ${position})
            ON CONFLICT (from_id, to_id, relation) DO UPDATE SET weight = excluded.weight, position = excluded.position`
          return
        }
        case "MemoryDeleted":
        case "MemoryRestored": {
          const row = yield* load(event.memoryId)
          if (row === undefined) return yield* missing(event.memoryId)
          const deleted = event._tag === "MemoryDeleted" ? 1 : 0
          yield* sql`UPDATE tau_memory SET deleted = ${deleted}, updated_position = ${position}, updated_at = ${at}
            WHERE id = ${event.memoryId}`
          yield* syncFts(row.created_position, deleted === 0 && row.merged_into === null, row.content, row.tags_text)
          return
        }
        case "MemoriesMerged": {
          const survivor = yield* load(event.into)
          if (survivor === undefined) return yield* missing(event.into)
          const merged: Array<MemoryRow> = []
          for (const id of event.merged) {
            const row = yield* load(id)
            if (row === undefined) return yield* missing(id)
            merged.push(row)
          }
          const content = event.content ?? survivor.content
          const vector = content !== survivor.content
            ? bytes(yield* embed(memoryProjectionName, embeddingText(content, survivor.tags)))
            : Buffer.from(survivor.embedding)
          const sources = union(
            survivor.source_event_ids,
            ...merged.map((m) => m.source_event_ids),
            event.sourceEventIds,
            [envelope.eventId]
          )
          yield* sql`UPDATE tau_memory SET content = ${content}, importance = ${event.importance},
              confidence = ${event.confidence}, source_event_ids = ${json(sources)}, updated_position = ${position},
              updated_at = ${at}, embedder = ${embedder.id}, embedding = ${vector}
            WHERE id = ${event.into}`
          yield* syncFts(survivor.created_position, live(survivor), content, survivor.tags_text)
          for (const row of merged) {
            yield* sql`UPDATE tau_memory SET merged_into = ${event.into}, updated_position = ${position},
                updated_at = ${at} WHERE id = ${row.id}`
            yield* syncFts(row.created_position, false, row.content, row.tags_text)
          }
          return
        }
        default:
          return
      }
    })

  return {
    name: memoryProjectionName,
    version: 1,
    tables: ["tau_memory", "tau_memory_edges", "tau_memory_fts"],
    handles: ["MemoryRecorded", "MemoryUpdated", "MemoryLinked", "MemoryDeleted", "MemoryRestored", "MemoriesMerged"],
    setup: Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* sql.onDialectOrElse({ pg: () => createPg(sql), orElse: () => createSqlite(sql) })
      yield* commonIndexes(sql)
    }),
    teardown: Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* sql`DROP TABLE IF EXISTS tau_memory_fts`
      yield* sql`DROP TABLE IF EXISTS tau_memory_edges`
      yield* sql`DROP TABLE IF EXISTS tau_memory`
    }),
    apply
  }
}

/** The memory projection with the default (hashing) embedder: the one in `builtinProjections`. */
export const MemoryProjection: Projection = makeMemoryProjection(hashEmbedder)
