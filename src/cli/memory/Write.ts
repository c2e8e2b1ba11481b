/**
 * `tau memory add|link|delete|restore`: writes through the Memory service (events on `memory-<id>` streams,
 * actor `cli`), each waiting until the memory projection has applied it.
 */
import { Args, Command, Options } from "@effect/cli"
import { Effect, Option } from "effect"
import { Memory } from "../../agent/memory/Memory.ts"
import { MemoryKind, MemoryRelation, MemoryScope } from "../../events/catalogue/MemoryEvents.ts"
import { RecordResult } from "../../http/memory/Schemas.ts"
import { CliError } from "../CliError.ts"
import { stdoutLine } from "../Output.ts"
import { idArg, json, parseId, parseSession, readable, splitTags } from "./Common.ts"
import { edgeJson, recordJson, recordResultJson, renderEdge } from "./Render.ts"
import { resolve } from "node:path"

const ctx = { actor: "cli" }

const content = Args.text({ name: "content" }).pipe(Args.withDescription("What to remember"))
const kind = Options.choice("kind", MemoryKind.literals).pipe(Options.withDescription("Default fact"), Options.withDefault("fact" as const))
const scope = Options.choice("scope", MemoryScope.literals).pipe(
  Options.withDescription("Who sees it: global (default), workspace, session"),
  Options.withDefault("global" as const)
)
const workspace = Options.text("workspace").pipe(
  Options.withDescription("The workspace (workspace scope; default: the current directory)"),
  Options.optional
)
const session = Options.text("session").pipe(Options.withDescription("The session (session scope)"), Options.optional)
const tags = Options.text("tags").pipe(Options.withDescription("Comma-separated tags (repeatable)"), Options.repeated)
const importance = Options.float("importance").pipe(Options.withDescription("0..1 (default by kind)"), Options.optional)
const confidence = Options.float("confidence").pipe(Options.withDescription("0..1 (default 0.8)"), Options.optional)
const noConsolidate = Options.boolean("no-consolidate").pipe(
  Options.withDescription("Add even if a near-identical record exists (default: merge into it)")
)

export const addCommand = Command.make(
  "add",
  { content, kind, scope, workspace, session, tags, importance, confidence, noConsolidate, json },
  (o) =>
    Effect.gen(function*() {
      const sessionId = Option.isSome(o.session) ? yield* parseSession(o.session.value) : undefined
      const ws = Option.getOrUndefined(o.workspace) ?? (o.scope === "workspace" ? resolve(".") : undefined)
      const given = splitTags(o.tags)
      const outcome = yield* readable((yield* Memory).record({
        scope: o.scope,
        kind: o.kind,
        content: o.content,
        ...(ws === undefined ? {} : { workspace: ws }),
        ...(sessionId === undefined ? {} : { sessionId }),
        ...(given.length === 0 ? {} : { tags: given }),
        ...Option.match(o.importance, { onNone: () => ({}), onSome: (importance) => ({ importance }) }),
        ...Option.match(o.confidence, { onNone: () => ({}), onSome: (confidence) => ({ confidence }) }),
        ...(o.noConsolidate ? { consolidate: false } : {})
      }, ctx))
      if (o.json) return yield* stdoutLine(yield* recordResultJson(new RecordResult(outcome)))
      yield* stdoutLine(
        outcome.mergedFrom === null
          ? outcome.memory.id
          : `${outcome.memory.id} (merged: similarity ${outcome.similarity?.toFixed(3)} with this record)`
      )
    })
).pipe(Command.withDescription("Record a memory; prints its id (or the id of the record it was merged into)"))

const relation = Options.choice("relation", MemoryRelation.literals).pipe(Options.withDescription("The edge's relation"))
const weight = Options.float("weight").pipe(Options.withDescription("0..1 (default 1)"), Options.optional)

export const linkCommand = Command.make("link", { from: idArg("from"), to: idArg("to"), relation, weight, json }, (o) =>
  Effect.gen(function*() {
    const from = yield* parseId(o.from)
    const to = yield* parseId(o.to)
    const edge = yield* readable((yield* Memory).link(from, to, o.relation, Option.match(o.weight, {
      onNone: () => ({}),
      onSome: (weight) => ({ weight })
    }), ctx))
    yield* stdoutLine(o.json ? yield* edgeJson(edge) : renderEdge(edge))
  })).pipe(Command.withDescription("Link two memories (re-linking the same relation replaces the weight)"))

const reason = Options.text("reason").pipe(Options.withDescription("Why (kept in the event)"), Options.optional)

const setDeleted = (deleted: boolean) =>
  Command.make(deleted ? "delete" : "restore", { id: idArg(), reason, json }, (o) =>
    Effect.gen(function*() {
      const id = yield* parseId(o.id)
      const memory = yield* Memory
      const r = Option.getOrUndefined(o.reason)
      const record = yield* readable(deleted ? memory.delete(id, r, ctx) : memory.restore(id, r, ctx))
      if (record.mergedInto !== null && !deleted) {
        return yield* new CliError({ message: `${id} was merged into ${record.mergedInto}; restore does not unmerge` })
      }
      yield* stdoutLine(o.json ? yield* recordJson(record) : `${deleted ? "deleted" : "restored"} ${id}`)
    })).pipe(
      Command.withDescription(
        deleted ? "Soft-delete a memory (it leaves search; `restore` undoes it)" : "Undo a soft delete"
      )
    )

export const deleteCommand = setDeleted(true)
export const restoreCommand = setDeleted(false)
