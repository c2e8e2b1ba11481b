import { Effect, Schema } from "effect"
import * as fs from "node:fs/promises"
import { StringDecoder } from "node:string_decoder"
import { ToolError } from "../Errors.ts"
import { attempt, isBinary } from "../internal/Fs.ts"
import { byteLength } from "../internal/Output.ts"
import * as Tool from "../Tool.ts"

const Line = Schema.Int.pipe(Schema.greaterThanOrEqualTo(1))

export const ReadFileParameters = Schema.Struct({
  path: Schema.String.annotations({ description: "File to read, relative to the workspace" }),
  offset: Schema.optional(Line.annotations({ description: "First line to return (1-based). Default 1" })),
  limit: Schema.optional(Line.annotations({ description: "Number of lines to return. Default: up to the read limit" }))
})

interface Slice {
  readonly text: string
  readonly binary: boolean
  readonly startLine: number
  readonly endLine: number
  /** First line not returned, when the file has more (limit or byte cap reached). */
  readonly nextLine: number | null
  readonly capped: boolean
  /** Lines in the file, when the read reached its end. */
  readonly totalLines: number | null
}

const readSlice = async (file: string, from: number, count: number, maxBytes: number, signal: AbortSignal) => {
  const handle = await fs.open(file, "r")
  try {
    const decoder = new StringDecoder("utf8")
    const buffer = Buffer.alloc(64 * 1024)
    const out: Array<string> = []
    let outBytes = 0
    let line = 1
    let partial = ""
    let first = true
    let stop: Slice | undefined
    const take = (text: string): void => {
      if (line >= from + count) {
        stop = { text: "", binary: false, startLine: from, endLine: line - 1, nextLine: line, capped: false, totalLines: null }
        return
      }
      if (line >= from) {
        const size = byteLength(text)
        if (outBytes + size > maxBytes) {
          if (out.length === 0) out.push(new StringDecoder("utf8").write(Buffer.from(text).subarray(0, maxBytes)))
          stop = { text: "", binary: false, startLine: from, endLine: line - 1, nextLine: line, capped: true, totalLines: null }
          return
        }
        out.push(text)
        outBytes += size
      }
      line++
    }
    while (stop === undefined) {
      signal.throwIfAborted()
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null)
      if (bytesRead === 0) break
      const chunk = buffer.subarray(0, bytesRead)
      if (first && isBinary(chunk)) {
        return { text: "", binary: true, startLine: 0, endLine: 0, nextLine: null, capped: false, totalLines: null }
      }
      first = false
      const lines = (partial + decoder.write(chunk)).split("\n")
      partial = lines.pop()!
      for (const l of lines) {
        take(`${l}\n`)
        if (stop !== undefined) break
      }
    }
    if (stop === undefined) {
      partial += decoder.end()
      if (partial.length > 0) take(partial)
    }
    const end: Slice = stop ??
      { text: "", binary: false, startLine: from, endLine: line - 1, nextLine: null, capped: false, totalLines: line - 1 }
    return { ...end, text: out.join("") } satisfies Slice
  } finally {
    await handle.close()
  }
}

export const ReadFile = Tool.make({
  name: "read_file",
  description: "Read a text file in the workspace. Use offset/limit (1-based lines) for large files; " +
    "the result ends with a note when more lines follow.",
  parameters: ReadFileParameters,
  outputCap: (policy) => policy.maxReadBytes + 256,
  handler: Effect.fn("read_file")(function*(args: typeof ReadFileParameters.Type, ctx: Tool.ToolContext) {
    const target = yield* ctx.workspace.resolve(args.path, "read")
    const stat = yield* attempt(ctx.tool, args.path, () => fs.stat(target.absolute))
    if (!stat.isFile()) {
      const hint = stat.isDirectory() ? "; use list_dir for directories" : ""
      return yield* new ToolError({ tool: ctx.tool, reason: "failed", message: `${args.path} is not a regular file${hint}` })
    }
    const from = args.offset ?? 1
    const slice = yield* attempt(ctx.tool, args.path, (signal) =>
      readSlice(target.absolute, from, args.limit ?? Number.MAX_SAFE_INTEGER, ctx.policy.maxReadBytes, signal))
    if (slice.binary) {
      return yield* new ToolError({ tool: ctx.tool, reason: "failed", message: `${args.path} is a binary file (${stat.size} bytes)` })
    }
    const notes: Array<string> = []
    if (slice.totalLines !== null && from > slice.totalLines && from > 1) {
      notes.push(`[offset ${from} is past the end of the file (${slice.totalLines} lines)]`)
    } else if (slice.nextLine !== null) {
      notes.push(
        slice.capped
          ? `[read limit of ${ctx.policy.maxReadBytes} bytes reached; continue with offset=${slice.nextLine}]`
          : `[more lines follow; continue with offset=${slice.nextLine}]`
      )
    }
    const body = slice.text
    const output = notes.length === 0 ? body : `${body}${body.endsWith("\n") || body === "" ? "" : "\n"}${notes.join("\n")}`
    return {
      output,
      truncated: slice.capped,
      originalBytes: slice.capped ? stat.size : byteLength(body),
      metadata: {
        path: target.relative,
        startLine: slice.startLine,
        endLine: slice.endLine,
        nextOffset: slice.nextLine,
        fileBytes: stat.size
      }
    }
  })
})
