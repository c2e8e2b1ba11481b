/**
 * Byte-capped output. Caps are in UTF-8 bytes and cuts never split a character.
 */
import { StringDecoder } from "node:string_decoder"

export const byteLength = (s: string): number => Buffer.byteLength(s, "utf8")

const isContinuation = (b: number | undefined) => b !== undefined && (b & 0xc0) === 0x80

/** The first at most `n` bytes of `buf`, without a trailing partial character. */
const headOf = (buf: Buffer, n: number): string => new StringDecoder("utf8").write(buf.subarray(0, n))

/** The last at most `n` bytes of `buf`, starting on a character boundary. */
const tailOf = (buf: Buffer, n: number): string => {
  let start = Math.max(0, buf.length - n)
  while (start < buf.length && isContinuation(buf[start])) start++
  return buf.subarray(start).toString("utf8")
}

export const truncationMarker = (omitted: number) => `\n…[truncated ${omitted} bytes]…\n`
const markerReserve = 48

export interface Capped {
  readonly output: string
  readonly truncated: boolean
  readonly originalBytes: number
}

/** Keeps the beginning of `text` within `cap` bytes (marker included). */
export const capHead = (text: string, cap: number): Capped => {
  const buf = Buffer.from(text, "utf8")
  if (buf.length <= cap) return { output: text, truncated: false, originalBytes: buf.length }
  const head = headOf(buf, Math.max(0, cap - markerReserve))
  return {
    output: head + truncationMarker(buf.length - byteLength(head)),
    truncated: true,
    originalBytes: buf.length
  }
}

/**
 * Collects a stream (a command's stdout and stderr) in bounded memory: the first half of the cap and a
 * rolling window of the last half. Rendering joins them with a truncation marker if anything was dropped.
 */
export class HeadTailCollector {
  private readonly head: Array<Buffer> = []
  private headBytes = 0
  private tail: Buffer = Buffer.alloc(0)
  private total = 0
  private readonly headCap: number
  private readonly tailCap: number

  constructor(cap: number) {
    const room = Math.max(0, cap - markerReserve)
    this.headCap = Math.floor(room / 2)
    this.tailCap = room - this.headCap
  }

  push(chunk: Buffer): void {
    this.total += chunk.length
    let rest = chunk
    if (this.headBytes < this.headCap) {
      const take = Math.min(rest.length, this.headCap - this.headBytes)
      this.head.push(rest.subarray(0, take))
      this.headBytes += take
      rest = rest.subarray(take)
    }
    if (rest.length > 0) {
      const joined = Buffer.concat([this.tail, rest])
      this.tail = joined.length > this.tailCap ? joined.subarray(joined.length - this.tailCap) : joined
    }
  }

  render(): Capped {
    const head = Buffer.concat(this.head)
    if (this.total === head.length + this.tail.length) {
      return { output: Buffer.concat([head, this.tail]).toString("utf8"), truncated: false, originalBytes: this.total }
    }
    const h = headOf(head, head.length)
    const t = tailOf(this.tail, this.tail.length)
    return {
      output: h + truncationMarker(this.total - byteLength(h) - byteLength(t)) + t,
      truncated: true,
      originalBytes: this.total
    }
  }
}
