/** `tau memory …`: the memory subcommands over the Memory service. */
import { Command } from "@effect/cli"
import { graphCommand, searchCommand, showCommand } from "./Read.ts"
import { addCommand, deleteCommand, linkCommand, restoreCommand } from "./Write.ts"

export const memoryCommand = Command.make("memory").pipe(
  Command.withDescription("Record, search, link, delete and restore the agent's memories"),
  Command.withSubcommands([addCommand, showCommand, searchCommand, linkCommand, deleteCommand, restoreCommand, graphCommand])
)
