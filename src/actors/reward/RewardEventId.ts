/**
 * Deterministic event ids of rewards: one id per (session, turn or session-level, evaluator name@version#hash,
 * revision), so a retried or repeated evaluation (crash, restart, a second process) is an idempotent append.
 * sha256 of the key, formatted as an RFC 9562 UUIDv8 (custom, hash-based).
 */
import { createHash } from "node:crypto"
import { EventId } from "../../domain/Ids.ts"
import type { EvaluatorRef } from "../../events/catalogue/RewardEvents.ts"

export const rewardKey = (sessionId: string, evaluator: EvaluatorRef, revision: number, turn?: number): string =>
  `reward|${sessionId}|${evaluator.name}@${evaluator.version}#${evaluator.hash}|${revision}|${turn ?? "session"}`

export const hashUuid = (key: string): string => {
  const b = createHash("sha256").update(key).digest()
  b[6] = (b[6]! & 0x0f) | 0x80
  b[8] = (b[8]! & 0x3f) | 0x80
  const hex = b.subarray(0, 16).toString("hex")
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`
}

export const rewardEventId = (sessionId: string, evaluator: EvaluatorRef, revision: number, turn?: number): EventId =>
  EventId.make(hashUuid(rewardKey(sessionId, evaluator, revision, turn)))
