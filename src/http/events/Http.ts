/**
 * Handlers of the `events` group: pages of the log (filtered by scanning forward from `from`) and the SSE tail
 * (`EventLog.subscribeRaw`: catch-up then live, each message's `id:` its position, resumed after Last-Event-ID).
 */
import { HttpApiBuilder } from "@effect/platform"
import { Effect, Stream } from "effect"
import { EventLog } from "../../events/EventLog.ts"
import { TauApi } from "../Api.ts"
import * as Sse from "../Sse.ts"
import { EventPage } from "./Api.ts"
import { makeFilter, matches, recordedJsonText, recordedToJson } from "./Wire.ts"

/** Most rows one filtered page request scans before answering with what it found (and `next`). */
const maxScan = 20_000
const scanPage = 1000

export const EventsHttpLive = HttpApiBuilder.group(TauApi, "events", (handlers) =>
  Effect.gen(function*() {
    const log = yield* EventLog
    const { heartbeat } = yield* Sse.SseConfig

    return handlers
      .handle("page", ({ urlParams }) =>
        Effect.gen(function*() {
          const limit = urlParams.limit ?? 100
          const keep = matches(makeFilter(urlParams))
          const head = yield* log.head
          const found: Array<ReturnType<typeof recordedToJson>> = []
          let cursor = Math.max(1, urlParams.from ?? 1)
          let scanned = 0
          while (found.length < limit && cursor <= head && scanned < maxScan) {
            const rows = yield* log.readAllRaw(cursor, Math.min(scanPage, head - cursor + 1))
            if (rows.length === 0) break
            for (const row of rows) {
              cursor = row.position + 1
              scanned++
              if (!keep(row)) continue
              found.push(recordedToJson(row))
              if (found.length === limit) break
            }
          }
          return new EventPage({ events: found, head, next: cursor <= head ? cursor : null })
        }).pipe(Effect.orDie))
      .handleRaw("tail", ({ headers, urlParams }) =>
        Effect.gen(function*() {
          const keep = matches(makeFilter(urlParams))
          const lastSeen = headers["last-event-id"]
          const from = lastSeen !== undefined
            ? lastSeen + 1
            : urlParams.from ?? (yield* Effect.orDie(log.head)) + 1
          const texts = log.subscribeRaw(Math.max(1, from)).pipe(
            Stream.filter(keep),
            Stream.map((row) => Sse.message({ id: row.position, data: recordedJsonText(row) }))
          )
          return Sse.response(texts, heartbeat)
        }))
  }))
