/**
 * Who may write to a session: the API key that started it (its SessionStarted carries the key id as user id),
 * or an admin key, or anyone when auth is off. A session with no owner key (started by the CLI, or while auth
 * was off) takes writes through the gateway from admin keys only: failing closed, a write key cannot slip into
 * a session started on the machine. Reads stay open to every read key (operators look at all
 * sessions). The owner comes from the session's first event in the log, not a projection, so a session
 * created a moment ago is already protected; it never changes, so it is cached per process.
 */
import { Effect } from "effect"
import type { SessionId } from "../domain/Ids.ts"
import { EventLog } from "../events/EventLog.ts"
import { sessionStream } from "../events/Streams.ts"
import { SessionForbidden } from "./ApiErrors.ts"
import { currentCaller } from "./Caller.ts"

const maxCached = 100_000

const userIdOf = (data: unknown): string | null => {
  const parsed: unknown = typeof data === "string" ? JSON.parse(data) : data
  return typeof parsed === "object" && parsed !== null && "userId" in parsed && typeof parsed.userId === "string"
    ? parsed.userId
    : null
}

export class SessionOwners extends Effect.Service<SessionOwners>()("app/http/SessionOwners", {
  effect: Effect.gen(function*() {
    const log = yield* EventLog
    const owners = new Map<SessionId, string | null>()

    /** The key id that started the session; null: no owner recorded; undefined: no such session yet. */
    const ownerOf = (sessionId: SessionId) =>
      owners.has(sessionId)
        ? Effect.succeed(owners.get(sessionId))
        : log.readStreamRaw(sessionStream(sessionId), 1, 1).pipe(
          Effect.orDie,
          Effect.map((rows) => {
            const first = rows[0]
            if (first === undefined) return undefined
            const owner = first.type === "SessionStarted" ? userIdOf(first.data) : null
            if (owners.size >= maxCached) owners.clear()
            owners.set(sessionId, owner)
            return owner
          })
        )

    /** Fails with SessionForbidden when the caller's key may not write to `sessionId`. */
    const checkWrite = (sessionId: SessionId): Effect.Effect<void, SessionForbidden> =>
      Effect.gen(function*() {
        const caller = yield* currentCaller
        if (caller.keyId === undefined || caller.scope === "admin") return
        const owner = yield* ownerOf(sessionId)
        if (typeof owner === "string" && owner !== caller.keyId) {
          return yield* new SessionForbidden({
            sessionId,
            message: `Session ${sessionId} was started by another API key; only that key or an admin key may write to it`
          })
        }
        if (owner === null) {
          return yield* new SessionForbidden({
            sessionId,
            message: `Session ${sessionId} has no owner key (started by the CLI or with auth off); only an admin key may write to it`
          })
        }
      })

    return { checkWrite } as const
  })
}) {}
