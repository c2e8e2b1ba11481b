import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { makeSafetyEngine } from "../../../src/agent/safety/Engine.ts"
import { resolvePolicy, stages } from "../../../src/agent/safety/Policy.ts"

// Every category on every stage, so every detector runs over every input.
const all = { injection: "block", secret: "block", dangerous_command: "block" } as const
const engine = makeSafetyEngine(
  Either.getOrThrow(resolvePolicy({ stages: { inbound: all, tool_output: all, outbound: all, tool_call: all } })).policy
)

const N = 100_000
const fill = (unit: string, tail = "") => unit.repeat(Math.ceil(N / unit.length)) + tail

/**
 * Inputs built to make a backtracking matcher go quadratic or worse: a prefix repeated with no valid ending, long
 * runs that almost match, many unterminated openers. A quadratic scan of 100k characters takes minutes; the linear
 * one takes milliseconds, so the bound below is generous for a loaded machine and still catches a regression.
 */
const adversarial: Record<string, string> = {
  openaiPrefix: fill("sk-"),
  anthropicPrefix: fill("sk-ant-"),
  jwtNoDots: fill("eyJ"),
  jwtAlmost: fill("eyJaaaaaa.eyJ"),
  githubPrefix: fill("ghp_"),
  awsPrefix: fill("AKIA"),
  awsSecretName: fill("aws_secret_access_key="),
  assignmentChain: fill("a="),
  passwordNoValue: fill("password"),
  passwordOpenQuote: fill("token: \""),
  longName: fill("x", "="),
  pemNoEnd: fill("-----BEGIN RSA PRIVATE KEY-----\n"),
  pemLongBody: "-----BEGIN RSA PRIVATE KEY-----\n" + fill("A", "\n"),
  pemFarEnd: fill("-----BEGIN RSA PRIVATE KEY-----\n").slice(0, N / 2) + "x".repeat(N / 2) + "-----END RSA PRIVATE KEY-----",
  urlNoAt: fill("a://b:"),
  urlLongPassword: "ab://" + "c".repeat(N) + ":" + "d".repeat(N),
  bearerHeaders: fill("Authorization: Bearer "),
  bearerWords: fill("bearer "),
  ignoreRepeated: fill("ignore "),
  ignorePrevious: fill("ignore previous "),
  youAreNow: fill("you are now "),
  revealSystem: fill("reveal the system "),
  exfiltrate: fill("exfiltrate send "),
  toolTags: fill("<tool_call"),
  instTags: fill("[INST"),
  base64Run: fill("QUFB"),
  base64Words: fill("QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB "),
  zeroWidth: fill("\u200B"),
  joiners: fill("a\u200D"),
  curlRepeated: fill("curl "),
  curlNoShell: fill("curl x", "|"),
  rmRepeated: fill("rm -rf "),
  sudoChain: fill("sudo ", "rm -rf /"),
  shellC: fill("bash -c "),
  quotes: fill("'\""),
  backslashes: fill("\\"),
  dollarBraces: fill("${"),
  forkAlmost: fill("a(){ a|"),
  whitespace: fill(" \t\n"),
  mixed: fill("sk-a ghp_b AKIA eyJ. xoxb- hf_ npm_ AIza a://b:c@ Bearer x <|im_start ignore previous rm -rf ~ ")
}

describe("adversarial inputs finish in linear time", () => {
  for (const [name, text] of Object.entries(adversarial)) {
    it(name, () => {
      const started = performance.now()
      for (const stage of stages) engine.inspect(stage, text)
      engine.redact(text)
      expect(performance.now() - started).toBeLessThan(5_000)
    })
  }
})
