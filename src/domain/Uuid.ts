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

const nextRandom = (): Uint8Array => {
  if (poolOffset >= pool.length) {
    randomFillSync(pool)
    poolOffset = 0
  }
  const bytes = pool.subarray(poolOffset, poolOffset + 16)
  poolOffset += 16
  return bytes
}

export const uuidv7 = (now: number = Date.now()): string => {
  const r = nextRandom()
  if (now <= lastMs) {
    counter = (counter + 1) & 0xfff
    if (counter === 0) lastMs += 1
    now = lastMs
  } else {
    lastMs = now
    counter = ((r[6]! & 0x07) << 8) | r[7]!
  }
  const b = new Uint8Array(16)
  b[0] = Math.floor(now / 2 ** 40) & 0xff
  b[1] = Math.floor(now / 2 ** 32) & 0xff
  b[2] = (now >>> 24) & 0xff
  b[3] = (now >>> 16) & 0xff
  b[4] = (now >>> 8) & 0xff
  b[5] = now & 0xff
  b[6] = 0x70 | ((counter >>> 8) & 0x0f)
  b[7] = counter & 0xff
  b[8] = 0x80 | (r[8]! & 0x3f)
  for (let i = 9; i < 16; i++) b[i] = r[i]!
  let s = ""
  for (let i = 0; i < 16; i++) {
    s += hex[b[i]!]
    if (i === 3 || i === 5 || i === 7 || i === 9) s += "-"
  }
  return s
}
