/**
 * Secret-shaped test values, built at run time so the repository holds no literal that looks like a live key.
 */
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

/** A deterministic mixed-case alphanumeric string (same seed, same string). */
export const alnum = (length: number, seed = 7): string => {
  let x = seed
  let out = ""
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff
    out += ALNUM[x % ALNUM.length]
  }
  return out.slice(0, length - 2) + "Z9"
}

const b64url = (s: string) => Buffer.from(s).toString("base64url")

export const samples = {
  openai: "sk-" + alnum(48, 1),
  openaiProject: "sk-" + "proj-" + alnum(40, 2) + "_" + alnum(40, 3),
  anthropic: "sk-" + "ant-" + "api03-" + alnum(80, 4),
  awsAccessKey: "AKIA" + alnum(16, 5).toUpperCase(),
  awsSessionKey: "ASIA" + alnum(16, 6).toUpperCase(),
  awsSecret: alnum(30, 7) + "/+" + alnum(8, 8),
  github: "ghp" + "_" + alnum(36, 9),
  githubOauth: "gho" + "_" + alnum(36, 10),
  githubPat: "github" + "_pat_" + alnum(22, 11) + "_" + alnum(59, 12),
  gitlab: "glpat" + "-" + alnum(20, 13),
  slack: "xoxb" + "-" + "1234567890-" + alnum(24, 14),
  slackWebhook: "https://hooks.slack.com/services/T" + alnum(8, 15) + "/B" + alnum(8, 16) + "/" + alnum(24, 17),
  stripe: "sk" + "_live_" + alnum(24, 18),
  stripeRestricted: "rk" + "_live_" + alnum(24, 19),
  google: "AIza" + alnum(35, 20),
  huggingface: "hf" + "_" + alnum(34, 21),
  npm: "npm" + "_" + alnum(36, 22),
  jwt: "eyJ" + b64url("hbGciOiJIUzI1NiJ9").slice(0, 20) + ".eyJ" + b64url("{\"sub\":\"1234567890\"}") + "." + alnum(43, 23),
  bearer: alnum(32, 24),
  urlPassword: "pA55" + alnum(12, 25),
  genericPassword: "Xk9#mP2$vL8q" + alnum(4, 26),
  privateKey: [
    "-----BEGIN RSA PRIVATE KEY-----",
    "MIIEowIBAAKCAQEA" + alnum(48, 27),
    alnum(64, 28),
    alnum(20, 29) + "==",
    "-----END RSA PRIVATE KEY-----"
  ].join("\n")
} as const
