/**
 * The rule catalogue. A rule id is stable forever: it is stored in `SafetyViolationDetected` events and appears in
 * redaction markers (`[REDACTED:<id>]`), so a rule may be added or retired but never renamed.
 */
import { Schema } from "effect"
import { commandDetector, forkBomb, pipeToShell } from "./Detectors/Commands.ts"
import * as Injection from "./Detectors/Injection.ts"
import * as Secrets from "./Detectors/Secrets.ts"
import type { Detector } from "./Detectors.ts"

export const Category = Schema.Literal("injection", "secret", "dangerous_command")
export type Category = typeof Category.Type
export const categories: ReadonlyArray<Category> = Category.literals

export const Severity = Schema.Literal("low", "medium", "high", "critical")
export type Severity = typeof Severity.Type
export const severityRank: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 }

export const RuleId = Schema.String.pipe(Schema.pattern(/^[a-z_]+\.[a-z0-9_]+$/), Schema.brand("SafetyRuleId"))
export type RuleId = typeof RuleId.Type

export interface Rule {
  readonly id: RuleId
  readonly category: Category
  readonly severity: Severity
  /** Floor rules cannot be disabled by configuration; heuristic rules (false positives possible) can. */
  readonly floor: boolean
  readonly description: string
  readonly detect: Detector
}

const rule = (
  id: string,
  category: Category,
  severity: Severity,
  floor: boolean,
  description: string,
  detect: Detector
): Rule => ({ id: RuleId.make(id), category, severity, floor, description, detect })

export const rules: ReadonlyArray<Rule> = [
  // injection
  rule("injection.ignore_previous", "injection", "high", true, "\"ignore/disregard/forget … previous instructions\", including letter-spaced spellings", Injection.ignorePrevious),
  rule("injection.role_hijack", "injection", "high", false, "\"you are now an unrestricted AI\", \"from now on you will…\", DAN / developer mode", Injection.roleHijack),
  rule("injection.system_prompt_exfiltration", "injection", "high", true, "asks to reveal, print or repeat the system/hidden/developer prompt", Injection.systemPromptExfiltration),
  rule("injection.secret_exfiltration", "injection", "high", false, "asks to steal or send keys, credentials, .env or ssh keys somewhere", Injection.secretExfiltration),
  rule("injection.role_spoofing", "injection", "high", true, "chat-template tokens and fake role tags (<|im_start|>, [INST], <<SYS>>, <system>)", Injection.roleSpoofing),
  rule("injection.tool_call_smuggling", "injection", "medium", false, "tool-call markup or tool-call JSON aimed at the agent's own tools", Injection.toolCallSmuggling),
  rule("injection.hidden_unicode", "injection", "medium", true, "zero-width, bidi-override and Unicode tag characters", Injection.hiddenUnicode),
  rule("injection.encoded_instructions", "injection", "medium", false, "base64 that decodes to an injection phrase", Injection.encodedInstructions),
  // secrets
  rule("secret.private_key", "secret", "critical", true, "PEM private key blocks (RSA, EC, DSA, OPENSSH, PGP, encrypted), even when cut short", Secrets.privateKey),
  rule("secret.anthropic_key", "secret", "critical", true, "Anthropic keys sk-ant-…", Secrets.anthropicKey),
  rule("secret.openai_key", "secret", "critical", true, "OpenAI keys sk-…, sk-proj-…, sk-svcacct-…, sk-admin-…", Secrets.openaiKey),
  rule("secret.aws_access_key", "secret", "critical", true, "AWS access key ids AKIA…/ASIA…/ABIA…/ACCA…", Secrets.awsAccessKeyId),
  rule("secret.aws_secret_key", "secret", "critical", true, "AWS secret access keys next to their name (aws_secret_access_key = …)", Secrets.awsSecretKey),
  rule("secret.github_token", "secret", "critical", true, "GitHub tokens ghp_/gho_/ghu_/ghs_/ghr_ and github_pat_", Secrets.githubToken),
  rule("secret.gitlab_token", "secret", "critical", true, "GitLab tokens glpat-/gloas-/gldt-/glrt-/glptt-", Secrets.gitlabToken),
  rule("secret.slack_token", "secret", "critical", true, "Slack tokens xoxb-/xoxp-/xoxa-/… and hooks.slack.com webhook URLs", Secrets.slackToken),
  rule("secret.stripe_key", "secret", "critical", true, "Stripe secret and restricted keys sk_live_/rk_live_/sk_test_/rk_test_ and whsec_ webhook secrets", Secrets.stripeKey),
  rule("secret.google_api_key", "secret", "critical", true, "Google API keys AIza… and OAuth client secrets GOCSPX-…", Secrets.googleApiKey),
  rule("secret.huggingface_token", "secret", "critical", true, "Hugging Face tokens hf_…", Secrets.huggingfaceToken),
  rule("secret.npm_token", "secret", "critical", true, "npm tokens npm_…", Secrets.npmToken),
  rule("secret.jwt", "secret", "high", true, "JSON Web Tokens eyJ….eyJ….…", Secrets.jwt),
  rule("secret.bearer_token", "secret", "high", true, "credentials in Authorization headers (Bearer/Basic/Token…) and generated-looking bare bearer tokens", Secrets.bearerToken),
  rule("secret.url_password", "secret", "high", true, "the password in scheme://user:password@host", Secrets.urlPassword),
  rule("secret.generic_assignment", "secret", "medium", false, "generated-looking values assigned to names ending in password/secret/token/api_key…", Secrets.genericSecretAssignment),
  // dangerous commands
  rule("command.rm_rf_root", "dangerous_command", "critical", true, "recursive rm of /, ~, $HOME or a top-level system directory; --no-preserve-root; find / -delete", commandDetector("rm_rf_root")),
  rule("command.mkfs", "dangerous_command", "critical", true, "mkfs/mke2fs/mkswap/wipefs on a device, diskutil eraseDisk", commandDetector("mkfs")),
  rule("command.block_device_write", "dangerous_command", "critical", true, "dd of=/dev/…, redirection, shred or blkdiscard to a block device", commandDetector("block_device_write")),
  rule("command.fork_bomb", "dangerous_command", "critical", true, "fork bombs such as :(){ :|:& };:", forkBomb),
  rule("command.pipe_to_shell", "dangerous_command", "high", true, "curl/wget piped into a shell, sh <(curl …), bash -c \"$(curl …)\"", pipeToShell),
  rule("command.chmod_recursive_root", "dangerous_command", "critical", true, "recursive chmod/chown/chgrp of / or a system directory", commandDetector("chmod_recursive_root")),
  rule("command.shutdown", "dangerous_command", "high", true, "shutdown, reboot, halt, poweroff, init 0/6, systemctl reboot, kill -1", commandDetector("shutdown")),
  rule("command.system_auth_file_write", "dangerous_command", "critical", true, "writes to /etc/passwd, shadow, group, sudoers, pam.d or authorized_keys; uid-0 users", commandDetector("system_auth_file_write"))
]

export const ruleById: ReadonlyMap<string, Rule> = new Map(rules.map((r) => [r.id, r]))
