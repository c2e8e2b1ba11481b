/**
 * Dangerous-command detectors. The command line is lexed once (one pass for the whole family); each rule then
 * looks at the simple commands it cares about. `sh -c '…'`, `bash -lc "…"` and `eval …` are lexed again, so
 * wrapping a command in a shell string does not hide it.
 */
import { type Detector, regexDetector, type Span } from "../Detectors.ts"
import { basename, commandIndex, simpleCommands, type Token } from "./Shell.ts"

export type CommandRule =
  | "rm_rf_root"
  | "mkfs"
  | "block_device_write"
  | "chmod_recursive_root"
  | "shutdown"
  | "system_auth_file_write"
  | "pipe_to_shell"

interface Invocation {
  readonly name: string
  readonly args: ReadonlyArray<Token>
  readonly redirects: ReadonlyArray<string>
  readonly span: Span
  /** A download command (curl, wget…) earlier in the same pipeline feeds this one. */
  readonly fedByDownload: boolean
}

const SHELLS = new Set(["sh", "bash", "zsh", "dash", "ksh", "fish", "ash", "csh", "tcsh"])
const MAX_NESTING = 3

const DOWNLOADERS = new Set(["curl", "wget", "fetch", "aria2c", "http", "xh"])

const invocations = (text: string, offset: Span | undefined, depth: number, out: Array<Invocation>): void => {
  let downloadInPipeline = false
  for (const { pipedToNext, tokens: command } of simpleCommands(text)) {
    const fedByDownload: boolean = downloadInPipeline
    const redirects: Array<string> = []
    const words: Array<Token> = []
    for (let i = 0; i < command.length; i++) {
      const token = command[i]!
      if (token.redirect) {
        const target = command[i + 1]
        if (target !== undefined && token.value.includes(">")) redirects.push(target.value)
        i++
      } else words.push(token)
    }
    const span = offset ?? spanOf(command)
    const at = commandIndex(words)
    const name = at < 0 ? "" : basename(words[at]!.value)
    downloadInPipeline = pipedToNext && (fedByDownload || DOWNLOADERS.has(name))
    if (at < 0) {
      if (redirects.length > 0) out.push({ name, args: [], redirects, span, fedByDownload })
      continue
    }
    const args = words.slice(at + 1)
    out.push({ name, args, redirects, span, fedByDownload })
    if (depth >= MAX_NESTING) continue
    if (SHELLS.has(name)) {
      const flag = args.findIndex((a) => /^-[a-zA-Z]*c[a-zA-Z]*$/.test(a.value))
      const script = flag >= 0 ? args[flag + 1] : undefined
      if (script !== undefined) invocations(script.value, span, depth + 1, out)
    } else if (name === "eval" && args.length > 0) {
      invocations(args.map((a) => a.value).join(" "), span, depth + 1, out)
    }
  }
}

const spanOf = (command: ReadonlyArray<Token>): Span => ({ start: command[0]!.start, end: command[command.length - 1]!.end })

const SYSTEM_DIRS =
  "bin|boot|dev|etc|home|lib|lib32|lib64|libx32|opt|proc|root|sbin|srv|sys|usr|var|snap|mnt|media|System|Users|Applications|Library|private|Volumes"
const ROOTISH = new RegExp(
  String.raw`^(?:/+(?:\.{1,2}/*)?\*?|~/*\*?|\$\{?HOME\}?/*\*?|/+(?:${SYSTEM_DIRS})/*\*?|/+usr/+(?:bin|lib|local|sbin|share)/*\*?|/+var/+lib/*\*?)$`
)
export const isRootish = (path: string): boolean => ROOTISH.test(path)

const isRecursiveFlag = (flag: string) => /^-[a-zA-Z]*[rR][a-zA-Z]*$/.test(flag) || flag === "--recursive"
const options = (args: ReadonlyArray<Token>) => args.filter((a) => a.value.startsWith("-") && a.value !== "-")
const operands = (args: ReadonlyArray<Token>) => args.filter((a) => !a.value.startsWith("-") || a.value === "-")

const SAFE_DEVICES = /^\/dev\/(?:null|zero|full|random|urandom|stdin|stdout|stderr|tty\w*|pts\/.*|fd\/.*|shm\/.*|ptmx|console)$/
const isBlockDevice = (path: string) => path.startsWith("/dev/") && !SAFE_DEVICES.test(path)

const AUTH_FILE =
  /^(?:\/etc\/(?:passwd|shadow|group|gshadow|sudoers|master\.passwd)(?:[-+])?|\/etc\/sudoers\.d\/.*|\/etc\/pam\.d\/.*|(?:~|\$\{?HOME\}?|\/root|\/home\/[^/]+|\/Users\/[^/]+)\/\.ssh\/authorized_keys2?)$/
const FILE_WRITERS = new Set(["tee", "cp", "mv", "install", "ln", "truncate", "rsync", "dd", "sed", "perl", "vipw", "visudo"])

const matchers: Record<CommandRule, (inv: Invocation) => boolean> = {
  rm_rf_root: ({ args, name }) => {
    if (name === "rm") {
      const opts = options(args).map((a) => a.value)
      if (opts.includes("--no-preserve-root")) return true
      return opts.some(isRecursiveFlag) && operands(args).some((a) => isRootish(a.value))
    }
    if (name === "find") {
      const roots = args.slice(0, Math.max(0, args.findIndex((a) => /^[-!(]/.test(a.value))))
      const destructive = args.some((a, i) => a.value === "-delete" || (/^-exec(?:dir)?$/.test(a.value) && basename(args[i + 1]?.value ?? "") === "rm"))
      return destructive && roots.some((a) => isRootish(a.value))
    }
    return false
  },
  mkfs: ({ args, name }) =>
    (/^mkfs(?:\.\w+)?$|^mke2fs$|^mkswap$|^wipefs$|^mkdosfs$|^newfs(?:_\w+)?$/.test(name) ||
      (name === "diskutil" && args.some((a) => /^(?:eraseDisk|eraseVolume|partitionDisk|zeroDisk)$/.test(a.value)))) &&
    (name === "diskutil" || args.some((a) => isBlockDevice(a.value))),
  block_device_write: ({ args, name, redirects }) =>
    redirects.some(isBlockDevice) ||
    (name === "dd" && args.some((a) => a.value.startsWith("of=") && isBlockDevice(a.value.slice(3)))) ||
    ((name === "shred" || name === "blkdiscard") && args.some((a) => isBlockDevice(a.value))),
  chmod_recursive_root: ({ args, name }) =>
    (name === "chmod" || name === "chown" || name === "chgrp" || name === "setfacl") &&
    options(args).some((a) => isRecursiveFlag(a.value)) &&
    operands(args).some((a) => isRootish(a.value)),
  shutdown: ({ args, name }) =>
    /^(?:shutdown|reboot|halt|poweroff|killall5)$/.test(name) ||
    ((name === "init" || name === "telinit") && /^[06]$/.test(args[0]?.value ?? "")) ||
    (name === "systemctl" && args.some((a) => /^(?:poweroff|reboot|halt|kexec)$/.test(a.value))) ||
    (name === "kill" && args.some((a) => a.value === "-1") && args.length <= 2),
  pipe_to_shell: ({ args, fedByDownload, name }) =>
    fedByDownload && SHELLS.has(name) && !args.some((a) => /^-[a-zA-Z]*c[a-zA-Z]*$/.test(a.value)) ||
    (SHELLS.has(name) || name === "source" || name === ".") && args.some((a) => /^(?:<\(|\$\()?\s*(?:curl|wget)\s/.test(a.value)),
  system_auth_file_write: ({ args, name, redirects }) =>
    redirects.some((r) => AUTH_FILE.test(r)) ||
    (FILE_WRITERS.has(name) &&
      (name === "sed" || name === "perl"
        ? options(args).some((a) => /^-[a-zA-Z]*i/.test(a.value)) && operands(args).some((a) => AUTH_FILE.test(a.value))
        : name === "dd"
        ? args.some((a) => a.value.startsWith("of=") && AUTH_FILE.test(a.value.slice(3)))
        : name === "tee" || name === "truncate"
        ? operands(args).some((a) => AUTH_FILE.test(a.value))
        : AUTH_FILE.test(operands(args).at(-1)?.value ?? ""))) ||
    ((name === "useradd" || name === "usermod") && args.some((a) => a.value === "-o" || /^--?(?:non-unique|uid)$/.test(a.value)) && args.some((a) => a.value === "0"))
}

// The family is lexed once per text; rules of one inspection ask for the same text in a row.
let lastText: string | undefined
let lastInvocations: ReadonlyArray<Invocation> = []
const analyse = (text: string): ReadonlyArray<Invocation> => {
  if (text !== lastText) {
    const out: Array<Invocation> = []
    invocations(text, undefined, 0, out)
    lastText = text
    lastInvocations = out
  }
  return lastInvocations
}

export const commandDetector = (rule: CommandRule): Detector => (text) =>
  analyse(text).filter(matchers[rule]).map((inv) => inv.span)

export const forkBomb: Detector = regexDetector(
  /(?<![\w:])([A-Za-z_:][\w:]{0,30})\s{0,8}\(\s{0,8}\)\s{0,8}\{\s{0,8}\1\s{0,8}\|\s{0,8}\1\s{0,8}&\s{0,8};?\s{0,8}\}\s{0,8};?\s{0,8}\1(?![\w:])/g
)

/** Process substitution (`sh <(curl …)`) and PowerShell's `iex (iwr …)`, which the lexer does not model. */
export const pipeToShellForms: Detector = regexDetector(
  /\b(?:ba|z|k|da)?sh\s{1,8}(?:-[a-zA-Z]{1,8}\s{1,8}){0,3}<\(\s{0,8}(?:curl|wget)\b|\b(?:iex|invoke-expression)\b[^\n(]{0,32}\(?\s{0,8}(?:iwr|invoke-webrequest|irm|invoke-restmethod|\(?new-object\s{1,8}net\.webclient\)?\.downloadstring)\b/gi
)

export const pipeToShell: Detector = (text) => [...commandDetector("pipe_to_shell")(text), ...pipeToShellForms(text)]
