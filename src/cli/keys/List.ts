/**
 * `tau keys list [--json]`: every API key from the `api_keys` read model (caught up first): id, name, scope,
 * created, revoked (and why). Never a secret.
 */
import { Command, Options } from "@effect/cli"
import { Effect, Option } from "effect"
import { ApiKeys } from "../../http/auth/ApiKeys.ts"
import { apiKeyInfoToJson } from "../../projections/ApiKeysQuery.ts"
import { stdoutLine, table } from "../Output.ts"

const json = Options.boolean("json").pipe(Options.withDescription("Print the keys as one JSON array"))

const time = (d: Date) => d.toISOString().replace("T", " ").slice(0, 19)

export const listKeysCommand = Command.make("list", { json }, (options) =>
  Effect.gen(function*() {
    const keys = yield* (yield* ApiKeys).list()
    if (options.json) return yield* stdoutLine(JSON.stringify(keys.map((k) => apiKeyInfoToJson(k))))
    if (keys.length === 0) return yield* stdoutLine("no API keys yet (create one with `tau keys create --scope read`)")
    yield* stdoutLine(table([
      ["key", "name", "scope", "created", "revoked"],
      ...keys.map((k) => [
        k.keyId,
        k.name,
        k.scope,
        time(k.createdAt),
        Option.match(k.revokedAt, {
          onNone: () => "-",
          onSome: (at) => `${time(at)}${Option.match(k.revokeReason, { onNone: () => "", onSome: (r) => ` (${r})` })}`
        })
      ])
    ]))
  })).pipe(Command.withDescription("List API keys (never their secrets)"))
