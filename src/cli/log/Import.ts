/**
 * `tau log import FILE`: validates every line first and imports nothing if any is bad; then appends in file
 * order, keeping event ids, stream versions, data, metadata and recorded times. Positions are assigned by
 * the target log. Running the same import again writes nothing (appends are idempotent by event id).
 *
 * Phases: (1) validate the file and check it continues the target's streams without gaps; (2) if some
 * streams already hold part of the file, re-submit exactly those events, which can only succeed as
 * idempotent retries or fail, never write; (3) append the rest.
 */
import { Args, Command } from "@effect/cli"
import { FileSystem } from "@effect/platform"
import { Chunk, Effect, Either, Stream } from "effect"
import type { StreamId, StreamVersion } from "../../domain/Ids.ts"
import type { EncodedAppend } from "../../events/EventLog.ts"
import { EventLog } from "../../events/EventLog.ts"
import { CliError } from "../CliError.ts"
import { stderrLine, stdoutLine } from "../Output.ts"
import * as Progress from "../Progress.ts"
import type { ImportedEvent } from "./ImportCheck.ts"
import { ImportChecker, isBlank, parseLine } from "./ImportCheck.ts"

const maxReported = 20
const windowSize = 1000

const file = Args.file({ name: "file.jsonl", exists: "yes" }).pipe(
  Args.withDescription("A file written by `tau log export`")
)

const lines = (path: string) =>
  Effect.map(FileSystem.FileSystem, (fs) =>
    fs.stream(path).pipe(
      Stream.decodeText(),
      Stream.splitLines,
      Stream.zipWithIndex,
      Stream.map(([text, index]) => ({ text, line: index + 1 })),
      Stream.filter(({ text }) => !isBlank(text)),
      Stream.mapError((error) => new CliError({ message: `cannot read ${path}: ${error.message}` }))
    ))

const validate = (path: string) =>
  Effect.gen(function*() {
    const checker = new ImportChecker()
    const problems: Array<string> = []
    let bad = 0
    const progress = yield* Progress.make("validated")
    yield* Stream.runForEach(yield* lines(path), ({ line, text }) => {
      const parsed = parseLine(text, line)
      if (Either.isLeft(parsed)) checker.skip(parsed.left.json, line)
      const problem = Either.isLeft(parsed) ? parsed.left.reason : checker.check(parsed.right)
      if (problem !== undefined) {
        bad++
        if (problems.length < maxReported) problems.push(`line ${line}: ${problem}`)
      }
      return progress.advance(1)
    })
    yield* progress.done
    return { checker, problems, bad }
  })

/** Per stream, the target's version before the import; fails if the file would leave a gap. */
const targetVersions = (checker: ImportChecker) =>
  Effect.gen(function*() {
    const log = yield* EventLog
    const versions = new Map<string, number>()
    const problems: Array<string> = []
    for (const [streamId, span] of checker.streams) {
      const version = yield* log.streamVersion(streamId as StreamId)
      versions.set(streamId, version)
      if (span.first > version + 1) {
        problems.push(
          `line ${span.firstLine}: stream ${streamId} starts at version ${span.first}, but the target has it at version ${version}`
        )
      }
    }
    return { versions, problems }
  })

/** Consecutive events of one stream become one append, expecting the version just before its first event. */
const toAppends = (events: ReadonlyArray<ImportedEvent>): Array<EncodedAppend & { readonly line: number }> => {
  const appends: Array<EncodedAppend & { readonly line: number; readonly events: Array<ImportedEvent["encoded"]> }> = []
  for (const event of events) {
    const last = appends[appends.length - 1]
    if (last !== undefined && last.streamId === event.record.streamId) {
      last.events.push(event.encoded)
    } else {
      appends.push({
        streamId: event.record.streamId,
        expected: (event.record.streamVersion - 1) as StreamVersion,
        events: [event.encoded],
        line: event.line
      })
    }
  }
  return appends
}

const submit = (path: string, keep: (event: ImportedEvent) => boolean, label: string) =>
  Effect.gen(function*() {
    const log = yield* EventLog
    const progress = yield* Progress.make(label)
    let written = 0
    let present = 0
    yield* (yield* lines(path)).pipe(
      Stream.mapEffect(({ line, text }) =>
        Either.match(parseLine(text, line), {
          onLeft: ({ reason }) => Effect.fail(new CliError({ message: `line ${line}: ${reason} (the file changed)` })),
          onRight: Effect.succeed
        })
      ),
      Stream.filter(keep),
      Stream.grouped(windowSize),
      Stream.runForEach((window) =>
        Effect.gen(function*() {
          const appends = toAppends(Chunk.toReadonlyArray(window))
          const results = yield* log.appendEncodedBatch(appends)
          for (const [i, result] of results.entries()) {
            const append = appends[i]!
            if (Either.isLeft(result)) {
              return yield* new CliError({ message: `line ${append.line}: ${result.left.message}` })
            }
            if (result.right.written) written += append.events.length
            else present += append.events.length
          }
          yield* progress.advance(window.length)
        })
      )
    )
    yield* progress.done
    return { written, present }
  })

export const importCommand = Command.make("import", { file }, ({ file }) =>
  Effect.gen(function*() {
    const { bad, checker, problems } = yield* validate(file)
    if (bad > 0) {
      for (const problem of problems) yield* stderrLine(problem)
      if (bad > problems.length) yield* stderrLine(`… and ${bad - problems.length} more bad lines`)
      return yield* new CliError({ message: `${file}: ${bad} bad line${bad === 1 ? "" : "s"}, nothing imported` })
    }
    const target = yield* targetVersions(checker)
    if (target.problems.length > 0) {
      for (const problem of target.problems.slice(0, maxReported)) yield* stderrLine(problem)
      return yield* new CliError({ message: `${file} does not continue the target log, nothing imported` })
    }
    const isPresent = (event: ImportedEvent) =>
      event.record.streamVersion <= (target.versions.get(event.record.streamId) ?? 0)
    const overlap = [...checker.streams].some(([streamId, span]) => span.first <= (target.versions.get(streamId) ?? 0))
    const checked = overlap ? yield* submit(file, isPresent, "verified") : { written: 0, present: 0 }
    const added = checked.present < checker.count
      ? yield* submit(file, (event) => !isPresent(event), "imported")
      : { written: 0, present: 0 }
    yield* stdoutLine(
      `imported ${added.written} events from ${file} (${checked.present + added.present} already present)`
    )
  })).pipe(Command.withDescription("Import a JSONL export: validates every line first, imports nothing on any error"))
