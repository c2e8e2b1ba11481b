/**
 * `tau keys revoke <keyId> [--reason R]`: appends ApiKeyRevoked. A running gateway refuses the key within about
 * a second. Revoking a revoked key changes nothing and succeeds; an unknown key exits 1.
 */
import { Args, Command, Options } from "@effect/cli"
import { Effect, Option, Schema } from "effect"
import { ApiKeyId } from "../../domain/Ids.ts"
import { ApiKeys } from "../../http/auth/ApiKeys.ts"
import { CliError } from "../CliError.ts"
import { stdoutLine } from "../Output.ts"

const keyId = Args.text({ name: "keyId" }).pipe(Args.withDescription("The key's id (as `tau keys list` shows it)"))
const reason = Options.text("reason").pipe(Options.withDescription("Why (kept in the log)"), Options.optional)

export const revokeKeyCommand = Command.make("revoke", { keyId, reason }, (options) =>
  Effect.gen(function*() {
    const id = yield* Schema.decodeUnknown(ApiKeyId)(options.keyId).pipe(
      Effect.mapError(() => new CliError({ message: `not an API key id: ${options.keyId}` }))
    )
    const revoked = yield* (yield* ApiKeys).revoke(id, Option.getOrUndefined(options.reason)).pipe(
      Effect.mapError((e) => new CliError({ message: e.message }))
    )
    yield* stdoutLine(revoked.alreadyRevoked ? `key ${id} was already revoked` : `revoked key ${id}`)
  })).pipe(Command.withDescription("Revoke an API key (a running gateway refuses it within about a second)"))
