/**
 * API keys: create (the token is returned once, only a salted scrypt hash is logged), list, revoke, and
 * `authenticate`, which the gateway middleware calls on every request.
 *
 * Authentication reads the key's own `apikey-<id>` stream (not the projection, which may lag) on a cache miss,
 * runs scrypt once per token per process, and re-reads a cached key's stream at most every `recheckMillis`, so
 * a key created or revoked by another process (`tau keys` on the same database) takes effect within about 1 s.
 * Malformed tokens and ids with no stream are refused without scrypt; scrypt work is capped (see
 * `scryptConcurrency` / `scryptQueue`) so a flood of bad tokens cannot starve the process.
 */
import { Clock, Effect, Metric, Option, Schema } from "effect"
import { ApiKeyId, StreamVersion } from "../../domain/Ids.ts"
import { ApiKeyCreated, ApiKeyRevoked, KeyScope } from "../../events/catalogue/GatewayEvents.ts"
import { EventLog } from "../../events/EventLog.ts"
import { apiKeyStream } from "../../events/Streams.ts"
import { ApiKeysProjection } from "../../projections/ApiKeysProjection.ts"
import { ApiKeysQuery } from "../../projections/ApiKeysQuery.ts"
import { ProjectionRunner } from "../../projections/ProjectionRunner.ts"
import { foldKey, KeyCache } from "./KeyCache.ts"
import type { KeyEntry } from "./KeyCache.ts"
import { formatToken, hashSecret, newKeyId, newSecret, parseToken, sameDigest, tokenDigest, verifySecret } from "./KeyToken.ts"

/** How stale a cached key's revocation state may get before a request re-reads its stream. */
export const recheckMillis = 1_000
/** scrypt computations at once (each ~40 ms on libuv's pool of 4 threads). */
export const scryptConcurrency = 2
/** Tokens waiting for scrypt beyond which a new unverified token is refused outright (no scrypt). */
export const scryptQueue = 64

/** scrypt verifications run, and unverified tokens refused because too many were already waiting. */
export const scryptRuns = Metric.counter("tau_api_key_scrypt_runs", { incremental: true })
export const scryptShed = Metric.counter("tau_api_key_scrypt_shed", { incremental: true })

export class ApiKeyNotFound extends Schema.TaggedError<ApiKeyNotFound>()("ApiKeyNotFound", { keyId: ApiKeyId }) {
  override get message() {
    return `no API key ${this.keyId}`
  }
}

/** A name over 200 or a revocation reason over 1000 characters (what the events accept). */
export class ApiKeyFieldTooLong extends Schema.TaggedError<ApiKeyFieldTooLong>()("ApiKeyFieldTooLong", {
  field: Schema.Literal("name", "reason"),
  max: Schema.Int
}) {
  override get message() {
    return `${this.field} is longer than ${this.max} characters`
  }
}

export const AuthenticatedKey = Schema.Struct({ keyId: ApiKeyId, name: Schema.String, scope: KeyScope })
export type AuthenticatedKey = typeof AuthenticatedKey.Type

export const CreatedKey = Schema.Struct({ ...AuthenticatedKey.fields, token: Schema.String })
/** The token is in here and nowhere else: show it once. */
export type CreatedKey = typeof CreatedKey.Type

export const RevokedKey = Schema.Struct({ keyId: ApiKeyId, alreadyRevoked: Schema.Boolean })
export type RevokedKey = typeof RevokedKey.Type

export class ApiKeys extends Effect.Service<ApiKeys>()("app/http/ApiKeys", {
  effect: Effect.gen(function*() {
    const log = yield* EventLog
    const runner = yield* ProjectionRunner
    const query = yield* ApiKeysQuery
    const cache = new KeyCache()
    const permits = yield* Effect.makeSemaphore(scryptConcurrency)
    let waiting = 0

    const readKey = (keyId: ApiKeyId, fromVersion = 1) => Effect.orDie(log.readStream(apiKeyStream(keyId), fromVersion))

    /** The cached entry of `keyId`, read or re-read from its stream when missing or older than recheckMillis. */
    const entryOf = Effect.fnUntraced(function*(keyId: ApiKeyId, now: number) {
      const entry = cache.get(keyId)
      if (entry === undefined) {
        if (cache.knownMissing(keyId, now, recheckMillis)) return undefined
        const record = foldKey(yield* readKey(keyId))
        if (record === undefined) return void cache.markMissing(keyId, now)
        return cache.put(record, now)
      }
      if (now - entry.checkedAt < recheckMillis) return entry
      // Requests arriving while this one re-reads use the state it had: at most one re-read per key at a time.
      const previous = entry.checkedAt
      entry.checkedAt = now
      const more = yield* readKey(keyId, entry.record.version + 1).pipe(Effect.onError(() => Effect.sync(() => (entry.checkedAt = previous))))
      if (more.length > 0) entry.record = foldKey(more, entry.record) ?? entry.record
      return entry
    })

    /** scrypt under the cap; "shed" (no scrypt, nothing learnt) when too many tokens are already waiting. */
    const scrypt = (secret: string, entry: KeyEntry): Effect.Effect<"match" | "mismatch" | "shed"> =>
      Effect.suspend(() => {
        if (waiting >= scryptQueue) return Effect.as(Metric.increment(scryptShed), "shed" as const)
        waiting++
        return permits.withPermits(1)(Effect.zipRight(Metric.increment(scryptRuns), verifySecret(secret, entry.record.hash))).pipe(
          Effect.map((ok) => (ok ? "match" as const : "mismatch" as const)),
          Effect.ensuring(Effect.sync(() => waiting--))
        )
      })

    const refused = Effect.succeed(Option.none<AuthenticatedKey>())
    const accepted = (entry: KeyEntry) => {
      const { keyId, name, scope } = entry.record
      return Effect.succeed(Option.some<AuthenticatedKey>({ keyId, name, scope }))
    }

    /** The slow path: scrypt (capped) for a token this process has not verified for this key yet. */
    const verify = Effect.fnUntraced(function*(entry: KeyEntry, secret: string, digest: Buffer) {
      const hex = digest.toString("hex")
      if (entry.refused.includes(hex)) return Option.none<AuthenticatedKey>()
      const outcome = yield* scrypt(secret, entry)
      if (outcome !== "match") {
        if (outcome === "mismatch") cache.refuse(entry, hex)
        return Option.none<AuthenticatedKey>()
      }
      entry.verified = digest
      return entry.record.revoked ? Option.none<AuthenticatedKey>() : yield* accepted(entry)
    })

    const check = (entry: KeyEntry | undefined, token: string, secret: string) => {
      if (entry === undefined || entry.record.revoked) return refused
      const digest = tokenDigest(token)
      return entry.verified !== undefined && sameDigest(entry.verified, digest) ? accepted(entry) : verify(entry, secret, digest)
    }

    // Synchronous for a fresh, verified entry (the common case): one clock read, one sha256, one comparison.
    const authenticate = (token: string): Effect.Effect<Option.Option<AuthenticatedKey>> => {
      const parsed = parseToken(token)
      if (parsed === undefined) return refused
      return Effect.clockWith((clock) => {
        const now = clock.unsafeCurrentTimeMillis()
        const entry = cache.get(parsed.keyId)
        if (entry !== undefined && now - entry.checkedAt < recheckMillis) return check(entry, token, parsed.secret)
        return Effect.flatMap(entryOf(parsed.keyId, now), (fresh) => check(fresh, token, parsed.secret))
      })
    }

    const create = Effect.fn("ApiKeys.create")(function*(input: { readonly name: string; readonly scope: KeyScope }) {
      if (input.name.length > 200) return yield* new ApiKeyFieldTooLong({ field: "name", max: 200 })
      const keyId = yield* newKeyId
      const secret = yield* newSecret
      const secretHash = yield* permits.withPermits(1)(hashSecret(secret))
      const event = new ApiKeyCreated({ keyId, name: input.name, scope: input.scope, secretHash })
      const appended = yield* Effect.orDie(log.append(apiKeyStream(keyId), "no_stream", [event]))
      const token = formatToken(keyId, secret)
      const record = { keyId, name: input.name, scope: input.scope, hash: secretHash, revoked: false, version: appended.streamVersion }
      cache.put(record, yield* Clock.currentTimeMillis, tokenDigest(token))
      return { keyId, name: input.name, scope: input.scope, token } satisfies CreatedKey
    })

    /** Idempotent: revoking a revoked key appends nothing and answers `alreadyRevoked: true`. */
    const revoke = (keyId: ApiKeyId, reason?: string): Effect.Effect<RevokedKey, ApiKeyNotFound | ApiKeyFieldTooLong> =>
      Effect.gen(function*() {
        if (reason !== undefined && reason.length > 1000) return yield* new ApiKeyFieldTooLong({ field: "reason", max: 1000 })
        const record = foldKey(yield* readKey(keyId))
        if (record === undefined) return yield* new ApiKeyNotFound({ keyId })
        const now = yield* Clock.currentTimeMillis
        if (record.revoked) {
          cache.put(record, now)
          return { keyId, alreadyRevoked: true }
        }
        const event = new ApiKeyRevoked({ keyId, ...(reason === undefined ? {} : { reason }) })
        const appended = yield* log.append(apiKeyStream(keyId), StreamVersion.make(record.version), [event]).pipe(
          Effect.catchTag("StreamVersionConflict", () => Effect.succeed(undefined)),
          Effect.orDie
        )
        // Someone else appended first (a concurrent revoke): look again.
        if (appended === undefined) return yield* revoke(keyId, reason)
        cache.put({ ...record, revoked: true, version: appended.streamVersion }, now)
        return { keyId, alreadyRevoked: false }
      }).pipe(Effect.withSpan("ApiKeys.revoke"))

    /** Every key from the `api_keys` projection (caught up first), oldest first; no secrets. */
    const list = Effect.fn("ApiKeys.list")(function*() {
      yield* Effect.orDie(runner.catchUp(ApiKeysProjection.name))
      return yield* query.list()
    })

    return { create, list, revoke, authenticate } as const
  }),
  dependencies: [ApiKeysQuery.Default]
}) {}
