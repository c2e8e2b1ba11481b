/**
 * UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then random bits, with a monotonic counter inside one
 * millisecond so ids made in one process sort in creation order.
 */
import { randomFillSync } from "node:crypto"

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

/** The 36 characters of the id being made (written in place, then read out as one string). */
const out = Buffer.alloc(36, "-")
const hexCodes = Array.from({ length: 256 }, (_, i) => {
  const pair = i.toString(16).padStart(2, "0")
  return (pair.charCodeAt(0) << 8) | pair.charCodeAt(1)
})
/** Hex digits of `byte` at `at` and `at + 1`. */
const put = (at: number, byte: number) => {
  const code = hexCodes[byte & 0xff]!
  out[at] = code >>> 8
  out[at + 1] = code & 0xff
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
  put(0, high >>> 8)
  put(2, high)
  put(4, now >>> 24)
  put(6, now >>> 16)
  put(9, now >>> 8)
  put(11, now)
  put(14, 0x70 | ((counter >>> 8) & 0x0f))
  put(16, counter)
  put(19, 0x80 | (pool[r + 8]! & 0x3f))
  put(21, pool[r + 9]!)
  for (let i = 0; i < 6; i++) put(24 + 2 * i, pool[r + 10 + i]!)
  return out.toString("latin1", 0, 36)
}
