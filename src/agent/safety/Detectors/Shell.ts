/**
 * A small shell lexer, enough to find simple commands, their arguments and redirections in a command line.
 * It does not expand anything; it is linear in the input and never fails (an unterminated quote runs to the end).
 */

export interface Token {
  readonly value: string
  readonly start: number
  readonly end: number
  /** A redirection operator (`>`, `>>`, `>|`, `&>`, `<`). */
  readonly redirect: boolean
}

export interface SimpleCommand {
  readonly tokens: ReadonlyArray<Token>
  /** Its standard output is piped into the next command (`|` or `|&`). */
  readonly pipedToNext: boolean
}

const WORD_RUN = /[^\s'"\\;&|()<>`$#{}]+/y
const BLANK_RUN = /[ \t\r]+/y

export const simpleCommands = (text: string): Array<SimpleCommand> => {
  const commands: Array<SimpleCommand> = []
  let current: Array<Token> = []
  let value = ""
  let start = -1
  let quoted = false
  const endCommand = (pipedToNext: boolean) => {
    if (current.length > 0) commands.push({ tokens: current, pipedToNext })
    current = []
  }
  const endToken = (end: number) => {
    if (start >= 0) {
      // An unquoted `{` or `}` word opens or closes a group: the next word is a command.
      if (!quoted && (value === "{" || value === "}")) endCommand(false)
      else current.push({ value, start, end, redirect: false })
    }
    value = ""
    start = -1
    quoted = false
  }
  let i = 0
  while (i < text.length) {
    const c = text[i]!
    WORD_RUN.lastIndex = i
    const run = WORD_RUN.exec(text)
    if (run !== null) {
      if (start < 0) start = i
      value += run[0]
      i += run[0].length
    } else if (c === "'" || c === "\"") {
      if (start < 0) start = i
      quoted = true
      const close = text.indexOf(c, i + 1)
      const stop = close < 0 ? text.length : close
      value += c === "\"" ? text.slice(i + 1, stop).replace(/\\(["\\$`])/g, "$1") : text.slice(i + 1, stop)
      i = close < 0 ? text.length : close + 1
    } else if (c === "\\") {
      if (start < 0) start = i
      if (text[i + 1] !== "\n") value += text[i + 1] ?? ""
      i += 2
    } else if (c === " " || c === "\t" || c === "\r") {
      endToken(i)
      BLANK_RUN.lastIndex = i
      i += BLANK_RUN.exec(text)![0].length
    } else if (c === ">" || c === "<" || (c === "&" && text[i + 1] === ">")) {
      endToken(i)
      let j = i + 1
      while (j < text.length && (text[j] === ">" || text[j] === "|" || text[j] === "&") && j - i < 3) j++
      current.push({ value: text.slice(i, j), start: i, end: j, redirect: true })
      i = j
    } else if (c === "$" && text[i + 1] === "{") {
      if (start < 0) start = i
      const close = text.indexOf("}", i)
      const stop = close < 0 ? text.length : close + 1
      value += text.slice(i, stop)
      i = stop
    } else if (c === "#" && start < 0) {
      const nl = text.indexOf("\n", i)
      i = nl < 0 ? text.length : nl
    } else if (c === ";" || c === "&" || c === "|" || c === "\n" || c === "(" || c === ")" || c === "`") {
      const pipe = c === "|" && text[i + 1] !== "|"
      endToken(i)
      endCommand(pipe)
      i += c === "|" && (text[i + 1] === "|" || text[i + 1] === "&") ? 2 : 1
    } else {
      // `$`, `{`, `}` and `#` inside a word are ordinary characters.
      if (start < 0) start = i
      value += c
      i++
    }
  }
  endToken(text.length)
  endCommand(false)
  return commands
}

export const basename = (word: string): string => word.slice(word.lastIndexOf("/") + 1)

const WRAPPERS = new Set([
  "sudo",
  "doas",
  "env",
  "nohup",
  "time",
  "nice",
  "ionice",
  "command",
  "exec",
  "builtin",
  "xargs",
  "timeout",
  "stdbuf",
  "busybox",
  "unbuffer",
  "caffeinate"
])
const KEYWORDS = new Set(["if", "then", "else", "elif", "do", "while", "until", "!"])
const WRAPPER_FLAGS_WITH_ARGUMENT = new Set(["-u", "-g", "-C", "-h", "-p", "-U", "-r", "-t", "-D", "-I", "-n", "-P", "-L", "-d", "-s", "-a", "-E", "-c"])
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/
const NUMERIC = /^\d+(?:\.\d+)?[smhd]?$/

/** The index of the command word after assignments and wrappers (`sudo -u x`, `env A=1`, `timeout 5`, `xargs -n1`). */
export const commandIndex = (command: ReadonlyArray<Token>): number => {
  let i = 0
  let afterWrapper = false
  while (i < command.length) {
    const token = command[i]!
    if (token.redirect) {
      i += 2
    } else if (ASSIGNMENT.test(token.value)) {
      i++
    } else if (KEYWORDS.has(token.value)) {
      i++
    } else if (WRAPPERS.has(basename(token.value))) {
      afterWrapper = true
      i++
    } else if (afterWrapper && token.value.startsWith("-")) {
      i += WRAPPER_FLAGS_WITH_ARGUMENT.has(token.value) ? 2 : 1
    } else if (afterWrapper && NUMERIC.test(token.value)) {
      i++
    } else {
      return i
    }
  }
  return -1
}
