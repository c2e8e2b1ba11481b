import { Effect, Schema } from "effect"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { ToolError } from "../Errors.ts"
import type { Entry } from "../internal/Fs.ts"
import { attempt, isBinary, walk } from "../internal/Fs.ts"
import { globToRegExp } from "../internal/Glob.ts"
import * as Tool from "../Tool.ts"

export const GrepParameters = Schema.Struct({
  pattern: Schema.String.pipe(Schema.minLength(1)).annotations({ description: "JavaScript regular expression" }),
  path: Schema.optional(Schema.String.annotations({ description: "File or directory to search. Default \".\"" })),
  include: Schema.optional(Schema.String.annotations({
    description: "Glob that file names (or, if it contains /, paths relative to path) must match, e.g. *.ts"
  })),
  ignore_case: Schema.optional(Schema.Boolean),
  max_matches: Schema.optional(Schema.Int.pipe(Schema.positive()).annotations({ description: "Most matching lines to return" }))
})

const maxLineChars = 400

export const Grep = Tool.make({
  name: "grep",
  description: "Search file contents with a regular expression. Returns path:line: text for each matching line. " +
    "Binary files, files over the read limit, symbolic links, .git and node_modules are skipped.",
  parameters: GrepParameters,
  handler: Effect.fn("grep")(function*(args: typeof GrepParameters.Type, ctx: Tool.ToolContext) {
    const regex = yield* Effect.try({
      try: () => new RegExp(args.pattern, args.ignore_case === true ? "i" : ""),
      catch: (cause) =>
        new ToolError({
          tool: ctx.tool,
          reason: "invalid_arguments",
          message: `at pattern: invalid regular expression: ${cause instanceof Error ? cause.message : String(cause)}`
        })
    })
    const input = args.path ?? "."
    const base = yield* ctx.workspace.resolve(input, "read")
    const stat = yield* attempt(ctx.tool, input, () => fs.stat(base.absolute))
    let files: ReadonlyArray<Entry>
    let scanStopped = false
    if (stat.isFile()) files = [{ relative: base.relative, absolute: base.absolute, kind: "file", depth: 0 }]
    else {
      const walked = yield* walk(ctx.tool, ctx.workspace, base, { maxEntries: ctx.policy.maxScanEntries, maxDepth: 64 })
      scanStopped = walked.truncated
      const include = args.include === undefined ? undefined : globToRegExp(args.include)
      const byPath = args.include?.includes("/") === true
      files = walked.entries
        .filter((e) => e.kind === "file")
        .filter((e) => {
          if (include === undefined) return true
          const rel = path.relative(base.absolute, e.absolute).split(path.sep).join("/")
          return include.test(byPath ? rel : path.basename(rel))
        })
        .sort((a, b) => (a.relative < b.relative ? -1 : 1))
    }
    const limit = Math.min(args.max_matches ?? ctx.policy.maxGrepMatches, ctx.policy.maxGrepMatches)
    const lines: Array<string> = []
    let skipped = 0
    let more = false
    for (const file of files) {
      if (lines.length >= limit) {
        more = true
        break
      }
      const data = yield* attempt(ctx.tool, file.relative, async (signal) => {
        const s = await fs.stat(file.absolute)
        return s.size > ctx.policy.maxReadBytes ? undefined : fs.readFile(file.absolute, { signal })
      }).pipe(Effect.catchAll(() => Effect.succeed(undefined)))
      if (data === undefined || isBinary(data)) {
        skipped++
        continue
      }
      const text = data.toString("utf8").split("\n")
      for (let i = 0; i < text.length; i++) {
        const line = text[i]!
        if (!regex.test(line)) continue
        if (lines.length >= limit) {
          more = true
          break
        }
        const shown = line.length > maxLineChars ? `${line.slice(0, maxLineChars)}…` : line
        lines.push(`${file.relative}:${i + 1}: ${shown}`)
      }
    }
    const notes: Array<string> = []
    if (more) notes.push(`[stopped at ${limit} matches]`)
    if (scanStopped) notes.push(`[search stopped after ${ctx.policy.maxScanEntries} entries; narrow path or include]`)
    return {
      output: lines.length === 0 ? `no matches for /${args.pattern}/` : [...lines, ...notes].join("\n"),
      metadata: { matches: lines.length, filesSearched: files.length, filesSkipped: skipped, limited: more || scanStopped }
    }
  })
})
