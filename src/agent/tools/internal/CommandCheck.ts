/**
 * The command policy: length, newlines, a denylist and (under balanced/strict) an allowlist of executables,
 * checked for every command of a pipeline or list, through wrappers such as `env` and `xargs`. This is a
 * guardrail against accidents, not a sandbox: an allowed interpreter (node, awk) can still run anything.
 */
import * as path from "node:path"
import type { ToolPolicy } from "../Policy.ts"

interface Scan {
  readonly segments: ReadonlyArray<ReadonlyArray<string>>
  readonly substitution: boolean
}

/** Splits a shell command into simple commands (lists of words), honouring quotes. */
export const scanCommand = (command: string): Scan => {
  const segments: Array<Array<string>> = []
  let words: Array<string> = []
  let word = ""
  let inWord = false
  let substitution = false
  const endWord = () => {
    if (inWord) words.push(word)
    word = ""
    inWord = false
  }
  const endSegment = () => {
    endWord()
    if (words.length > 0) segments.push(words)
    words = []
  }
  let quote: "'" | "\"" | null = null
  for (let i = 0; i < command.length; i++) {
    const c = command[i]!
    if (quote === "'") {
      if (c === "'") quote = null
      else word += c
      continue
    }
    if (c === "\\" && i + 1 < command.length) {
      word += command[++i]
      inWord = true
      continue
    }
    if (c === "`" || (c === "$" && command[i + 1] === "(") || ((c === "<" || c === ">") && command[i + 1] === "(")) {
      substitution = true
    }
    if (quote === "\"") {
      if (c === "\"") quote = null
      else word += c
      continue
    }
    const redirectAmp = c === "&" && (command[i - 1] === ">" || command[i - 1] === "<" || command[i + 1] === ">")
    if (c === "'" || c === "\"") {
      quote = c
      inWord = true
    } else if (!redirectAmp && (c === "|" || c === "&" || c === ";" || c === "\n" || c === "\r" || c === "(" || c === ")")) {
      endSegment()
    } else if (c === " " || c === "\t") endWord()
    else {
      word += c
      inWord = true
    }
  }
  endSegment()
  return { segments, substitution }
}

const isAssignment = (w: string) => /^[A-Za-z_][A-Za-z0-9_]*=/.test(w)
const isRedirection = (w: string) => /^\d*[<>]/.test(w)
const wrappers = new Set(["env", "nice", "nohup", "time", "timeout", "command", "exec", "xargs", "stdbuf", "builtin"])

/** Wrapper options that take the next word as their value (so that word is not the wrapped command). */
const valueOptions: Readonly<Record<string, ReadonlySet<string>>> = {
  env: new Set(["-u", "--unset", "-C", "--chdir", "-S", "--split-string"]),
  timeout: new Set(["-s", "--signal", "-k", "--kill-after"]),
  nice: new Set(["-n", "--adjustment"]),
  xargs: new Set(["-I", "-n", "-P", "-d", "-L", "-s", "-a", "-E", "--max-args", "--max-procs", "--delimiter"]),
  stdbuf: new Set(["-i", "-o", "-e"])
}

/** Every executable a simple command would start: its first word, and the command behind a wrapper. */
const executablesOf = (words: ReadonlyArray<string>): ReadonlyArray<string> => {
  const found: Array<string> = []
  let wrapper: string | undefined
  let expectCommand = true
  let afterTimeout = false
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!
    if (isRedirection(w)) continue
    if (expectCommand) {
      if (isAssignment(w)) continue
      if (wrapper !== undefined && w.startsWith("-")) {
        if (valueOptions[wrapper]?.has(w) === true) i++
        continue
      }
      if (afterTimeout && /^\d/.test(w)) {
        afterTimeout = false
        continue
      }
      const name = path.basename(w)
      found.push(name)
      expectCommand = wrappers.has(name)
      wrapper = expectCommand ? name : undefined
      afterTimeout = name === "timeout"
    } else if ((w === "-exec" || w === "-execdir" || w === "-ok" || w === "-okdir") && i + 1 < words.length) {
      found.push(path.basename(words[++i]!))
    }
  }
  return found
}

/** Why `command` is refused under `policy`, or undefined when it may run. */
export const commandDenial = (command: string, policy: ToolPolicy): string | undefined => {
  if (command.trim() === "") return "the command is empty"
  if (command.length > policy.maxCommandLength) {
    return `the command is ${command.length} characters, over the ${policy.preset} policy's limit of ${policy.maxCommandLength}`
  }
  if (!policy.allowNewlinesInCommands && /[\r\n]/.test(command)) {
    return `multi-line commands are not allowed under the ${policy.preset} policy; join them with && or ;`
  }
  const scan = scanCommand(command)
  if (policy.commandAllowlist !== null && scan.substitution) {
    return `command substitution ($(...), backticks, <(...)) is not allowed under the ${policy.preset} policy`
  }
  const allowed = policy.commandAllowlist === null ? null : new Set(policy.commandAllowlist)
  const denied = new Set(policy.commandDenylist)
  for (const segment of scan.segments) {
    for (const exe of executablesOf(segment)) {
      if (denied.has(exe)) return `"${exe}" is never allowed`
      if (allowed !== null && !allowed.has(exe)) {
        return `"${exe}" is not in the ${policy.preset} policy's command allowlist (${[...allowed].join(", ")})`
      }
    }
  }
  return undefined
}
