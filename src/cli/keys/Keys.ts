/** `tau keys create | list | revoke`: the API keys of the gateway, on the configured database. */
import { Command } from "@effect/cli"
import { createKeyCommand } from "./Create.ts"
import { listKeysCommand } from "./List.ts"
import { revokeKeyCommand } from "./Revoke.ts"

export const keysCommand = Command.make("keys").pipe(
  Command.withDescription("Create, list and revoke API keys for `tau serve`"),
  Command.withSubcommands([createKeyCommand, listKeysCommand, revokeKeyCommand])
)
