/**
 * `tau keys create --scope read|write|admin [--name N] [--json]`: a new API key. The token is the only line on
 * stdout (so `export TAU_KEY=$(tau keys create …)` works), shown once: only its scrypt hash is stored. What was
 * created and the warning go to stderr.
 */
import { Command, Options } from "@effect/cli"
import { Effect } from "effect"
import { ApiKeys } from "../../http/auth/ApiKeys.ts"
import { CliError } from "../CliError.ts"
import { stderrLine, stdoutLine } from "../Output.ts"

const scope = Options.choice("scope", ["read", "write", "admin"]).pipe(
  Options.withDescription("read < write < admin (each includes the ones before it)")
)
const name = Options.text("name").pipe(Options.withDescription("A label for the key (max 200 characters)"), Options.withDefault("unnamed"))
const json = Options.boolean("json").pipe(Options.withDescription("Print { keyId, name, scope, token } as JSON"))

export const createKeyCommand = Command.make("create", { scope, name, json }, (options) =>
  Effect.gen(function*() {
    const created = yield* (yield* ApiKeys).create({ name: options.name, scope: options.scope }).pipe(
      Effect.mapError((e) => new CliError({ message: `--name: ${e.message}` }))
    )
    yield* stderrLine(`created key ${created.keyId} (${created.name}, scope ${created.scope})`)
    yield* stderrLine("Store this token now: it is not shown again (only a hash of it is kept).")
    if (options.json) return yield* stdoutLine(JSON.stringify(created))
    yield* stdoutLine(created.token)
  })).pipe(Command.withDescription("Create an API key for the gateway; prints its token once"))
