/**
 * What one process remembers about API keys between requests: each key's state as folded from its
 * `apikey-<id>` stream (with the stream version and when it was last re-read), the digest of the one token
 * scrypt has accepted for it, a few recently refused digests, and ids recently found not to exist.
 * Everything is bounded; an evicted entry is simply read again.
 */
import type { ApiKeyId } from "../../domain/Ids.ts"
import type { KeyHash, KeyScope } from "../../events/catalogue/GatewayEvents.ts"
import type { Envelope } from "../../events/Envelope.ts"
import type { TauEvent } from "../../events/TauEvent.ts"

export interface KeyRecord {
  readonly keyId: ApiKeyId
  readonly name: string
  readonly scope: KeyScope
  readonly hash: KeyHash
  readonly revoked: boolean
  /** Version of the key's stream this record reflects. */
  readonly version: number
}

/** Folds (more of) a key's stream onto `from`; undefined while no ApiKeyCreated has been seen. */
export const foldKey = (
  events: ReadonlyArray<Envelope<TauEvent>>,
  from: KeyRecord | undefined = undefined
): KeyRecord | undefined => {
  let record = from
  for (const { event, streamVersion } of events) {
    if (event._tag === "ApiKeyCreated" && record === undefined) {
      record = { keyId: event.keyId, name: event.name, scope: event.scope, hash: event.secretHash, revoked: false, version: 0 }
    } else if (event._tag === "ApiKeyRevoked" && record !== undefined) {
      record = { ...record, revoked: true }
    }
    if (record !== undefined) record = { ...record, version: streamVersion }
  }
  return record
}

export interface KeyEntry {
  record: KeyRecord
  /** Clock millis of the last read of the key's stream. */
  checkedAt: number
  /** sha256 of the token scrypt accepted (a key has one secret, so one token). */
  verified: Buffer | undefined
  /** hex sha256 of tokens scrypt refused lately, so a client retrying a wrong token costs no scrypt. */
  refused: Array<string>
}

const maxKeys = 10_000
const maxMissing = 10_000
const maxRefused = 8

/** Insertion-ordered maps evict their oldest entry first. */
const bounded = <K, V>(map: Map<K, V>, key: K, value: V, max: number) => {
  map.delete(key)
  map.set(key, value)
  if (map.size > max) map.delete(map.keys().next().value as K)
}

export class KeyCache {
  private readonly keys = new Map<ApiKeyId, KeyEntry>()
  private readonly missing = new Map<ApiKeyId, number>()

  get(keyId: ApiKeyId): KeyEntry | undefined {
    return this.keys.get(keyId)
  }

  /** Whether `keyId` was found absent within the last `maxAgeMs`. */
  knownMissing(keyId: ApiKeyId, now: number, maxAgeMs: number): boolean {
    const at = this.missing.get(keyId)
    return at !== undefined && now - at < maxAgeMs
  }

  markMissing(keyId: ApiKeyId, now: number): void {
    bounded(this.missing, keyId, now, maxMissing)
  }

  /** Stores a freshly read record, keeping what an existing entry for the same key already verified. */
  put(record: KeyRecord, now: number, verified: Buffer | undefined = undefined): KeyEntry {
    this.missing.delete(record.keyId)
    const existing = this.keys.get(record.keyId)
    if (existing !== undefined) {
      if (record.version >= existing.record.version) existing.record = record
      existing.checkedAt = Math.max(existing.checkedAt, now)
      existing.verified ??= verified
      return existing
    }
    const entry: KeyEntry = { record, checkedAt: now, verified, refused: [] }
    bounded(this.keys, record.keyId, entry, maxKeys)
    return entry
  }

  refuse(entry: KeyEntry, digestHex: string): void {
    if (entry.refused.includes(digestHex)) return
    entry.refused.push(digestHex)
    if (entry.refused.length > maxRefused) entry.refused.shift()
  }
}
