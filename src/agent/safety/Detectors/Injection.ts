/**
 * Prompt-injection detectors: phrases that try to take over the model, fake role/tool markup, hidden characters
 * and instructions wrapped in base64. Phrase windows are bounded (`{0,60}`), which keeps every scan linear.
 */
import { Either, Encoding } from "effect"
import { type Detector, matchesOf, regexDetector, type Span } from "../Detectors.ts"

const IGNORE = String.raw`\b(?:ignore|disregard|forget|override|bypass|neglect|i[\W_]{1,3}g[\W_]{1,3}n[\W_]{1,3}o[\W_]{1,3}r[\W_]{1,3}e)\b`
const PRIOR = String.raw`\b(?:previous|prior|above|earlier|preceding|initial|original|system|developer|all|your)\b`
const INSTRUCTIONS = String.raw`\b(?:instructions?|directives?|prompts?|rules|guidelines|guardrails|constraints|programming)\b`

export const ignorePrevious: Detector = regexDetector(
  new RegExp(
    `${IGNORE}[^.!?\\n]{0,60}?${PRIOR}[^.!?\\n]{0,30}?${INSTRUCTIONS}|\\bforget\\s{1,4}(?:everything|all)\\s{1,4}(?:above|before|you (?:were|have been) told)\\b|\\bnew\\s{1,4}(?:system\\s{1,4})?instructions\\s{0,4}:`,
    "gi"
  )
)

export const roleHijack: Detector = regexDetector(
  /\byou\s{1,4}are\s{1,4}now\s{1,4}(?:(?:an?|the|my)\s{1,4})?(?:(?:new|different|unrestricted|unfiltered|uncensored|jailbroken|evil|rogue)\s{1,4})?(?:AI|assistant|model|chatbot|bot|DAN|persona|character|no\s{1,4}longer\s{1,4}(?:bound|restricted|an?\s{1,4}AI)|free\s{1,4}(?:from|of)|in\s{1,4}(?:developer|god|jailbreak|DAN|unrestricted)\s{1,4}mode)\b|\bfrom\s{1,4}now\s{1,4}on,?\s{1,4}you\s{1,4}(?:are|will\s{1,4}(?:act|respond|behave|ignore)|must\s{1,4}(?:act|ignore|obey))\b|\b(?:pretend|act)\s{1,4}(?:to\s{1,4}be|you\s{1,4}are|as)\s{1,4}(?:an?\s{1,4})?(?:unrestricted|unfiltered|uncensored|jailbroken|evil|DAN)\b|\b(?:enable|activate|enter|switch\s{1,4}to)(?:s|d|ing)?\s{1,4}(?:developer|god|jailbreak|DAN|sudo)\s{1,4}mode\b|\bdo\s{1,4}anything\s{1,4}now\b/gi
)

export const systemPromptExfiltration: Detector = regexDetector(
  /\b(?:reveal|show|print|dump|output|repeat|display|leak|disclose|tell\s{1,4}me|give\s{1,4}me|what\s{1,4}(?:is|are|was|were))\b[^.!?\n]{0,40}?\b(?:your|the)\s{1,4}(?:(?:full|entire|exact|original|initial|hidden|secret|system|developer)\s{1,4}){1,3}(?:prompt|instructions|message)s?\b|\brepeat\s{1,4}(?:the\s{1,4})?(?:words|text)\s{1,4}above\b/gi
)

export const secretExfiltration: Detector = regexDetector(
  /\b(?:exfiltrate|steal|harvest)\b[^.!?\n]{0,40}?\b(?:api[\s_-]?keys?|secrets?|credentials?|tokens?|passwords?|private\s{1,4}keys?|ssh\s{1,4}keys?|env(?:ironment)?\s{1,4}variables|\.env)\b|\b(?:send|upload|post|leak|forward|email|curl)\b[^.!?\n]{0,40}?(?:\b(?:api[\s_-]?keys?|secrets|credentials|tokens|passwords|private\s{1,4}keys?|ssh\s{1,4}keys?|env(?:ironment)?\s{1,4}variables)\b|\.env\b|~\/\.(?:ssh|aws)\b)[^!?\n]{0,60}?(?:https?:\/\/|\bto\s{1,4}[\w.-]{1,64}@)/gi
)

export const roleSpoofing: Detector = regexDetector(
  /<\|(?:im_start|im_end|im_sep|system|user|assistant|endoftext|start_header_id|end_header_id|eot_id|begin_of_text)\|>|\[\/?INST\]|<<\/?SYS>>|<\/?(?:system|assistant|developer|system-reminder)>|\bBEGIN\s{1,4}PROMPT\s{1,4}INJECTION\b/gi
)

export const toolCallSmuggling: Detector = regexDetector(
  /<\/?(?:tool_call|tool_calls|tool_use|tool_result|function_call|function_calls|function_results|invoke)\b[^<>\n]{0,200}>|"tool_calls"\s{0,4}:\s{0,4}\[|\{\s{0,4}"(?:name|tool)"\s{0,4}:\s{0,4}"(?:run_command|write_file|edit_file|read_file)"\s{0,4},\s{0,4}"(?:arguments|parameters|input|args)"/gi
)

const HIDDEN = /[\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF\u{E0000}-\u{E007F}]+/gu
const SOFT_HIDDEN = /^[\u200C-\u200F]{1,2}$/u

/**
 * Zero-width, bidi-control and Unicode tag characters. Joiners and direction marks alone are normal in emoji and
 * right-to-left text, so only runs of three or more of them count; a byte-order mark at offset 0 is fine.
 */
export const hiddenUnicode: Detector = regexDetector(HIDDEN, {
  accept: (value, match) => !SOFT_HIDDEN.test(value) && !(match.index === 0 && value === "\uFEFF")
})

const BASE64_RUN = /(?<![A-Za-z0-9+/=_-])(?:[A-Za-z0-9+/]{4}){6,}(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?(?![A-Za-z0-9+/=_-])/g
const MAX_DECODED_CANDIDATES = 32
const MAX_CANDIDATE_LENGTH = 16_384

const phraseDetectors: ReadonlyArray<Detector> = [ignorePrevious, roleHijack, systemPromptExfiltration]

const printableRatio = (s: string): number => {
  let printable = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if ((c >= 0x20 && c < 0x7f) || c === 0x0a || c === 0x0d || c === 0x09) printable++
  }
  return s.length === 0 ? 0 : printable / s.length
}

/** A base64 run that decodes to readable text containing an injection phrase. */
export const encodedInstructions: Detector = (text) => {
  const spans: Array<Span> = []
  let examined = 0
  for (const match of matchesOf(BASE64_RUN, text)) {
    if (examined++ >= MAX_DECODED_CANDIDATES) break
    if (match[0].length > MAX_CANDIDATE_LENGTH) continue
    const decoded = Encoding.decodeBase64String(match[0])
    if (Either.isLeft(decoded) || printableRatio(decoded.right) < 0.9) continue
    if (phraseDetectors.some((detect) => detect(decoded.right).length > 0)) {
      spans.push({ start: match.index, end: match.index + match[0].length })
    }
  }
  return spans
}
