/**
 * Path resolution for file tools. Every path resolves inside the session's workspace: lexically (`..`)
 * and physically (the real path of the deepest existing ancestor, following dangling links too), and a
 * write to a protected path is refused. There is a window between this check and the I/O (a process
 * swapping a directory for a link in between); run_command can race it, which is why commands are
 * governed by the command policy rather than by this module.
 */
import { Effect } from "effect"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { ToolError } from "./Errors.ts"
import { globToRegExp } from "./internal/Glob.ts"
import type { ToolPolicy } from "./Policy.ts"

export type Access = "read" | "write"

export interface ResolvedPath {
  /** Real absolute path to use for I/O. */
  readonly absolute: string
  /** Path relative to the workspace root, "/"-separated, "." for the root. */
  readonly relative: string
}

export interface Workspace {
  /** Real path of the workspace directory. */
  readonly root: string
  readonly resolve: (input: string, access: Access) => Effect.Effect<ResolvedPath, ToolError>
  readonly relative: (absolute: string) => string
}

export const isInside = (root: string, candidate: string): boolean => {
  const rel = path.relative(root, candidate)
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel))
}

const toPosix = (rel: string) => (rel === "" ? "." : rel.split(path.sep).join("/"))

/**
 * The pattern that protects `rel` (a "/"-separated path relative to the root), if any. A pattern without
 * a slash matches a name at any depth, and everything below it (".git", ".env.*"); a pattern with a slash,
 * or starting with "/", is anchored at the workspace root ("/AGENTS.md", "config/secrets/**").
 */
export const protectedBy = (rel: string, patterns: ReadonlyArray<string>): string | undefined => {
  if (rel === ".") return undefined
  const segments = rel.split("/")
  for (const pattern of patterns) {
    const anchored = pattern.includes("/")
    const re = globToRegExp(pattern.replace(/^\/+/, "").replace(/\/+$/, ""))
    const hit = anchored
      ? segments.some((_, k) => re.test(segments.slice(0, k + 1).join("/")))
      : segments.some((segment) => re.test(segment))
    if (hit) return pattern
  }
  return undefined
}

const errnoCode = (cause: unknown): string | undefined =>
  typeof cause === "object" && cause !== null && "code" in cause && typeof cause.code === "string"
    ? cause.code
    : undefined

const maxLinkHops = 40

/** Real path of `p`, resolving the deepest existing ancestor and following dangling symbolic links. */
const realPathOf = async (p: string): Promise<string> => {
  let current = p
  const rest: Array<string> = []
  for (let hops = 0; hops <= maxLinkHops;) {
    try {
      return path.join(await fs.realpath(current), ...rest)
    } catch (cause) {
      const code = errnoCode(cause)
      if (code !== "ENOENT" && code !== "ENOTDIR") throw cause
    }
    const stat = await fs.lstat(current).catch(() => undefined)
    if (stat?.isSymbolicLink()) {
      current = path.resolve(path.dirname(current), await fs.readlink(current))
      hops++
      continue
    }
    const parent = path.dirname(current)
    if (parent === current) return path.join(current, ...rest)
    rest.unshift(path.basename(current))
    current = parent
  }
  throw Object.assign(new Error("too many levels of symbolic links"), { code: "ELOOP" })
}

export const makeWorkspace = (
  directory: string,
  policy: ToolPolicy,
  tool: string
): Effect.Effect<Workspace, ToolError> =>
  Effect.gen(function*() {
    const root = yield* Effect.tryPromise({
      try: async () => {
        const real = await fs.realpath(directory)
        if (!(await fs.stat(real)).isDirectory()) throw new Error("not a directory")
        return real
      },
      catch: () => new ToolError({ tool, reason: "not_found", message: `workspace directory ${directory} does not exist` })
    })
    const relative = (absolute: string) => toPosix(path.relative(root, absolute))
    const denied = (message: string) => new ToolError({ tool, reason: "policy_denied", message })

    const resolve = (input: string, access: Access) =>
      Effect.gen(function*() {
        if (input.includes("\0")) {
          return yield* new ToolError({ tool, reason: "invalid_arguments", message: "path contains a NUL byte" })
        }
        const lexical = path.resolve(root, input === "" ? "." : input)
        if (!isInside(root, lexical)) return yield* denied(`path "${input}" resolves outside the workspace`)
        const real = yield* Effect.tryPromise({
          try: () => realPathOf(lexical),
          catch: (cause) =>
            errnoCode(cause) === "ELOOP"
              ? denied(`path "${input}" has too many levels of symbolic links`)
              : new ToolError({ tool, reason: "failed", message: `cannot resolve "${input}": ${String(cause)}` })
        })
        if (!isInside(root, real)) {
          return yield* denied(`path "${input}" resolves outside the workspace through a symbolic link`)
        }
        if (access === "write" && !policy.allowProtectedWrites) {
          const pattern = protectedBy(relative(lexical), policy.protectedPaths) ??
            protectedBy(relative(real), policy.protectedPaths)
          if (pattern !== undefined) {
            return yield* denied(`path "${input}" is protected (matches "${pattern}") and cannot be written`)
          }
        }
        return { absolute: real, relative: relative(real) }
      })

    return { root, resolve, relative }
  })
