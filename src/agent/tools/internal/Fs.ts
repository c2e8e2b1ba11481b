/**
 * node:fs wrapped once for the built-in tools: failures become ToolError with a reason the model can act on,
 * and reads take the fibre's AbortSignal so an interrupted call stops its I/O.
 */
import { Effect } from "effect"
import type { Dirent } from "node:fs"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { ToolError } from "../Errors.ts"
import type { ResolvedPath, Workspace } from "../Workspace.ts"

const codeOf = (cause: unknown): string | undefined =>
  typeof cause === "object" && cause !== null && "code" in cause && typeof cause.code === "string"
    ? cause.code
    : undefined

export const toToolError = (tool: string, what: string, cause: unknown): ToolError => {
  const code = codeOf(cause)
  if (code === "ENOENT") return new ToolError({ tool, reason: "not_found", message: `${what}: no such file or directory` })
  if (code === "EACCES" || code === "EPERM") {
    return new ToolError({ tool, reason: "failed", message: `${what}: permission denied` })
  }
  if (code === "EISDIR") return new ToolError({ tool, reason: "failed", message: `${what}: is a directory` })
  if (code === "ENOTDIR") return new ToolError({ tool, reason: "failed", message: `${what}: not a directory` })
  const detail = cause instanceof Error ? cause.message : String(cause)
  return new ToolError({ tool, reason: "failed", message: `${what}: ${detail}` })
}

export const attempt = <A>(tool: string, what: string, f: (signal: AbortSignal) => Promise<A>) =>
  Effect.tryPromise({ try: f, catch: (cause) => toToolError(tool, what, cause) })

export type EntryKind = "file" | "dir" | "symlink" | "other"

export interface Entry {
  readonly relative: string
  readonly absolute: string
  readonly kind: EntryKind
  readonly depth: number
}

/** Directories walks list but never descend into. */
export const SkipDescend: ReadonlySet<string> = new Set([".git", "node_modules", ".tau"])

const kindOf = (d: Dirent): EntryKind =>
  d.isSymbolicLink() ? "symlink" : d.isDirectory() ? "dir" : d.isFile() ? "file" : "other"

/**
 * Depth-first, name-sorted walk below `start` (a resolved directory). Symbolic links are reported but never
 * followed, so a walk cannot leave the workspace. Stops after `maxEntries` entries (`truncated: true`).
 */
export const walk = (
  tool: string,
  workspace: Workspace,
  start: ResolvedPath,
  options: { readonly maxEntries: number; readonly maxDepth: number }
): Effect.Effect<{ readonly entries: ReadonlyArray<Entry>; readonly truncated: boolean }, ToolError> =>
  Effect.gen(function*() {
    const entries: Array<Entry> = []
    const stack: Array<{ readonly dir: string; readonly depth: number }> = [{ dir: start.absolute, depth: 1 }]
    while (stack.length > 0) {
      const { depth, dir } = stack.pop()!
      const children = yield* attempt(tool, `cannot list ${workspace.relative(dir)}`, () =>
        fs.readdir(dir, { withFileTypes: true }))
      children.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      const subdirs: Array<string> = []
      for (const child of children) {
        if (entries.length >= options.maxEntries) return { entries, truncated: true }
        const absolute = path.join(dir, child.name)
        const kind = kindOf(child)
        entries.push({ relative: workspace.relative(absolute), absolute, kind, depth })
        if (kind === "dir" && depth < options.maxDepth && !SkipDescend.has(child.name)) subdirs.push(absolute)
      }
      for (const sub of subdirs.reverse()) stack.push({ dir: sub, depth: depth + 1 })
    }
    return { entries, truncated: false }
  })

export const isBinary = (sample: Buffer): boolean => sample.subarray(0, 8192).includes(0)
