/**
 * API key tokens: `tau_<keyId>_<secret>`, where keyId is 12 base62 characters (no `_`, so the first `_` after
 * the prefix ends it) and secret is 32 random bytes in base64url (43 characters). Only a salted scrypt hash of
 * the secret is ever stored; this file makes and checks those hashes.
 */
import { hash as digest, randomBytes, scrypt, timingSafeEqual } from "node:crypto"
import { Effect } from "effect"
import { ApiKeyId } from "../../domain/Ids.ts"
import type { KeyHash } from "../../events/catalogue/GatewayEvents.ts"

export const tokenPrefix = "tau_"

/** Parameters of new hashes: 16 MiB and ~40 ms of one core per hash; verification uses the stored ones. */
export const scryptParams = { N: 16_384, r: 8, p: 1, keyLength: 32, saltLength: 16 } as const

const base62 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
const keyIdPattern = /^[A-Za-z0-9]{8,64}$/
const secretPattern = /^[A-Za-z0-9_-]{43}$/

/** A fresh key id: 12 base62 characters (~71 bits; 248 = 4 × 62 keeps the mapping unbiased). */
export const newKeyId: Effect.Effect<ApiKeyId> = Effect.sync(() => {
  let id = ""
  while (id.length < 12) {
    for (const byte of randomBytes(16)) if (byte < 248 && id.length < 12) id += base62[byte % 62]
  }
  return ApiKeyId.make(id)
})

export const newSecret: Effect.Effect<string> = Effect.sync(() => randomBytes(32).toString("base64url"))

export const formatToken = (keyId: ApiKeyId, secret: string): string => `${tokenPrefix}${keyId}_${secret}`

export interface ParsedToken {
  readonly keyId: ApiKeyId
  readonly secret: string
}

/** The key id and secret of a well-formed token; undefined for anything else. */
export const parseToken = (token: string): ParsedToken | undefined => {
  if (token.length > 120 || !token.startsWith(tokenPrefix)) return undefined
  const end = token.indexOf("_", tokenPrefix.length)
  if (end < 0) return undefined
  const keyId = token.slice(tokenPrefix.length, end)
  const secret = token.slice(end + 1)
  if (!keyIdPattern.test(keyId) || !secretPattern.test(secret)) return undefined
  return { keyId: ApiKeyId.make(keyId), secret }
}

/** sha256 of a whole token: what the cache of verified tokens compares, in constant time. */
export const tokenDigest = (token: string): Buffer => digest("sha256", token, "buffer")

export const sameDigest = (a: Buffer, b: Buffer): boolean => a.length === b.length && timingSafeEqual(a, b)

const derive = (secret: string, salt: Buffer, N: number, r: number, p: number, keyLength: number) =>
  Effect.async<Buffer, Error>((resume) => {
    scrypt(secret, salt, keyLength, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 }, (error, key) =>
      resume(error === null ? Effect.succeed(key) : Effect.fail(error)))
  })

/** A salted scrypt hash of `secret` with `scryptParams`. */
export const hashSecret = (secret: string): Effect.Effect<KeyHash> =>
  Effect.gen(function*() {
    const { N, keyLength, p, r, saltLength } = scryptParams
    const salt = randomBytes(saltLength)
    const hash = yield* Effect.orDie(derive(secret, salt, N, r, p, keyLength))
    return { algorithm: "scrypt", salt: salt.toString("base64"), hash: hash.toString("base64"), N, r, p } as const
  })

/** Stored parameters a verification accepts: anything larger could be a denial of service planted in the log. */
const acceptable = (h: KeyHash, expected: Buffer) =>
  h.N >= 2 && h.N <= 1_048_576 && (h.N & (h.N - 1)) === 0 && h.r >= 1 && h.r <= 32 && h.p >= 1 && h.p <= 16 &&
  expected.length >= 16 && expected.length <= 64

/** Whether `secret` matches `hash` (constant-time comparison); false for unusable stored parameters. */
export const verifySecret = (secret: string, hash: KeyHash): Effect.Effect<boolean> =>
  Effect.suspend(() => {
    const expected = Buffer.from(hash.hash, "base64")
    if (!acceptable(hash, expected)) return Effect.succeed(false)
    return derive(secret, Buffer.from(hash.salt, "base64"), hash.N, hash.r, hash.p, expected.length).pipe(
      Effect.map((derived) => timingSafeEqual(derived, expected)),
      Effect.orElseSucceed(() => false)
    )
  })
