/**
 * Glob patterns to regular expressions (Node 20 has no fs.glob). Supported: `*` and `?` (never crossing
 * `/`), `**` as a whole segment (zero or more directories), `[abc]` / `[!abc]`, `{a,b}` and `\` escapes.
 * Unlike a shell, `*` also matches names that start with a dot.
 */
const special = new Set([".", "+", "^", "$", "(", ")", "|", "{", "}", "[", "]", "\\", "/", "*", "?"])
const escapeChar = (c: string) => (special.has(c) ? `\\${c}` : c)

export const globToRegExp = (pattern: string): RegExp => {
  let re = ""
  let braces = 0
  let i = 0
  while (i < pattern.length) {
    const c = pattern[i]!
    if (c === "*") {
      const atSegmentStart = i === 0 || pattern[i - 1] === "/"
      if (pattern[i + 1] === "*" && atSegmentStart && (pattern[i + 2] === "/" || i + 2 === pattern.length)) {
        if (pattern[i + 2] === "/") {
          re += "(?:.*/)?"
          i += 3
        } else {
          re += ".*"
          i += 2
        }
        continue
      }
      while (pattern[i] === "*") i++
      re += "[^/]*"
      continue
    }
    if (c === "?") re += "[^/]"
    else if (c === "\\" && i + 1 < pattern.length) {
      re += escapeChar(pattern[i + 1]!)
      i++
    } else if (c === "[") {
      const end = pattern.indexOf("]", i + 2)
      if (end === -1) re += "\\["
      else {
        let body = pattern.slice(i + 1, end)
        const negate = body.startsWith("!") || body.startsWith("^")
        if (negate) body = body.slice(1)
        re += `[${negate ? "^/" : ""}${body.replace(/\\/g, "\\\\")}]`
        i = end
      }
    } else if (c === "{") {
      braces++
      re += "(?:"
    } else if (c === "}" && braces > 0) {
      braces--
      re += ")"
    } else if (c === "," && braces > 0) re += "|"
    else re += escapeChar(c)
    i++
  }
  while (braces-- > 0) re += ")"
  return new RegExp(`^${re}$`)
}

export const hasGlobChars = (s: string) => /[*?[{]/.test(s)
