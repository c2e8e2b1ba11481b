/**
 * Task category of a session from its first user message, by keyword rules tried in order (first match wins).
 * docs/rewards.md lists the rules; bump `categorizerVersion` when they change, since reward tables group by it.
 */
import { containsPhrase, normalize, words } from "./Text.ts"

export const categorizerVersion = "1"

export const TaskCategories = ["debugging", "refactor", "test", "question", "code_edit", "shell", "other"] as const
export type TaskCategory = typeof TaskCategories[number]

interface Rule {
  readonly category: Exclude<TaskCategory, "question" | "other">
  readonly phrases: ReadonlyArray<string>
}

const rules: ReadonlyArray<Rule> = [
  {
    category: "debugging",
    phrases: ["bug", "fix", "debug", "error", "exception", "crash", "crashes", "fails", "failing", "failure", "broken",
      "stack trace", "traceback", "panic", "doesn't work", "does not work", "not working"]
  },
  {
    category: "refactor",
    phrases: ["refactor", "rename", "clean up", "cleanup", "extract", "simplify", "restructure", "reorganize",
      "reorganise", "deduplicate"]
  },
  {
    category: "test",
    phrases: ["test", "tests", "unit test", "spec", "specs", "coverage", "vitest", "jest", "pytest", "property test"]
  },
  {
    category: "code_edit",
    phrases: ["add", "implement", "write", "create", "build", "change", "update", "modify", "edit", "feature",
      "function", "class", "endpoint", "component", "support for"]
  },
  {
    category: "shell",
    phrases: ["run", "install", "command", "shell", "bash", "terminal", "git", "npm", "deploy", "docker", "ls", "grep"]
  }
]

const questionOpeners: ReadonlySet<string> = new Set([
  "what", "why", "how", "when", "where", "who", "which", "explain", "is", "are", "does", "do", "should", "describe"
])

/** Whether the message asks rather than instructs: it ends with "?" or opens with a question word. */
const isQuestion = (text: string): boolean => {
  const first = words(text)[0]
  return text.endsWith("?") || (first !== undefined && questionOpeners.has(first))
}

/**
 * debugging, refactor and test win over the question form ("why does this test fail?" is debugging); a question
 * wins over code_edit and shell ("how do I add a route?" is a question).
 */
export const categorize = (firstUserMessage: string | undefined): TaskCategory => {
  if (firstUserMessage === undefined) return "other"
  const text = normalize(firstUserMessage)
  for (const rule of rules.slice(0, 3)) {
    if (rule.phrases.some((phrase) => containsPhrase(text, phrase))) return rule.category
  }
  if (isQuestion(text)) return "question"
  for (const rule of rules.slice(3)) {
    if (rule.phrases.some((phrase) => containsPhrase(text, phrase))) return rule.category
  }
  return "other"
}
