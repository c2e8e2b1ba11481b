/**
 * UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then random bits, with a monotonic counter inside one
 * millisecond so ids made in one process sort in creation order.
 */
import { randomFillSync } from "node:crypto"

const hex: ReadonlyArray<string> = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"))
const pool = new Uint8Array(16 * 256)
let poolOffset = pool.length
let lastMs = -1
let counter = 0

/** Offset of 16 fresh random bytes in `pool` (refilled when used up). */
const nextRandom = (): number => {
  if (poolOffset >= pool.length) {
    randomFillSync(pool)
    poolOffset = 0
  }
  const at = poolOffset
  poolOffset += 16
  return at
}

export const uuidv7 = (now: number = Date.now()): string => {
  const r = nextRandom()
  if (now <= lastMs) {
    counter = (counter + 1) & 0xfff
    if (counter === 0) lastMs += 1
    now = lastMs
  } else {
    lastMs = now
    counter = ((pool[r + 6]! & 0x07) << 8) | pool[r + 7]!
  }
  const high = Math.floor(now / 2 ** 32)
  return hex[(high >>> 8) & 0xff]! + hex[high & 0xff]! + hex[(now >>> 24) & 0xff]! + hex[(now >>> 16) & 0xff]! + "-" +
    hex[(now >>> 8) & 0xff]! + hex[now & 0xff]! + "-" +
    hex[0x70 | ((counter >>> 8) & 0x0f)]! + hex[counter & 0xff]! + "-" +
    hex[0x80 | (pool[r + 8]! & 0x3f)]! + hex[pool[r + 9]!]! + "-" +
    hex[pool[r + 10]!]! + hex[pool[r + 11]!]! + hex[pool[r + 12]!]! + hex[pool[r + 13]!]! + hex[pool[r + 14]!]! +
    hex[pool[r + 15]!]!
}
