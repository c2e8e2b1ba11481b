/**
 * Validation of a JSONL file for `tau log import`, line by line and across lines. Every reason names what is
 * wrong (with the schema path), so `line N: reason` is enough to fix the file.
 */
import { Either, ParseResult, Schema } from "effect"
import type { Position } from "../../domain/Ids.ts"
import { decodeEvent } from "../../events/Codec.ts"
import type { EncodedEvent } from "../../events/Envelope.ts"
import { RecordedEventJson } from "../../events/Envelope.ts"
import { TauEvent } from "../../events/TauEvent.ts"
import { upcast } from "../../events/Upcasters.ts"

export interface ImportedEvent {
  readonly line: number
  readonly record: RecordedEventJson
  readonly encoded: EncodedEvent
}

const decodeRecord = Schema.decodeUnknownEither(RecordedEventJson, { errors: "all" })

const formatParseError = (error: ParseResult.ParseError): string =>
  ParseResult.ArrayFormatter.formatErrorSync(error)
    .map((issue) => `${issue.path.length === 0 ? "" : `${issue.path.join(".")}: `}${issue.message}`)
    .join("; ")

const members = new Map<string, Schema.Schema.AnyNoContext>(
  TauEvent.members.map((member): [string, Schema.Schema.AnyNoContext] => [member._tag, member])
)

/**
 * Codec.decodeEvent decides validity; this only explains a failure briefly (the union's own message lists every
 * member): the unknown type, the upcaster's complaint, or the paths that fail in the type's own schema.
 */
const explain = (record: RecordedEventJson, fallback: string): string => {
  const member = members.get(record.type)
  if (member === undefined) return `unknown event type ${record.type}`
  const lifted = upcast(record.type, record.schemaVersion, record.data)
  if (Either.isLeft(lifted)) return lifted.left
  const fields = lifted.right
  const input = typeof fields === "object" && fields !== null ? { ...fields, _tag: record.type } : fields
  const decoded = Schema.decodeUnknownEither(member, { errors: "all" })(input)
  return Either.isLeft(decoded) ? formatParseError(decoded.left) : fallback.replace(/\s*\n\s*/g, " ")
}

export const isBlank = (text: string) => text.trim().length === 0

/** Parses one line: JSON, then the RecordedEventJson shape, then the event against the catalogue. */
/** Why a line is bad, with its JSON when it parsed (so the checker can still follow its stream). */
export interface LineProblem {
  readonly reason: string
  readonly json?: unknown
}

export const parseLine = (text: string, line: number): Either.Either<ImportedEvent, LineProblem> => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    return Either.left({ reason: `invalid JSON (${error instanceof Error ? error.message : String(error)})` })
  }
  const decoded = decodeRecord(json)
  if (Either.isLeft(decoded)) return Either.left({ reason: formatParseError(decoded.left), json })
  const record = decoded.right
  if (record.streamVersion < 1) return Either.left({ reason: "streamVersion: must be at least 1", json })
  const event = decodeEvent({
    position: record.position as Position,
    type: record.type,
    schemaVersion: record.schemaVersion,
    data: record.data
  })
  if (Either.isLeft(event)) {
    return Either.left({ reason: `${record.type} does not decode: ${explain(record, event.left.message)}`, json })
  }
  return Either.right({
    line,
    record,
    encoded: {
      eventId: record.eventId,
      type: record.type,
      schemaVersion: record.schemaVersion,
      data: JSON.stringify(record.data),
      metadata: record.metadata,
      recordedAt: record.recordedAt
    }
  })
}

export interface StreamSpan {
  readonly first: number
  readonly firstLine: number
  readonly last: number
  readonly lastLine: number
}

/** Cross-line rules: unique event ids, and each stream's versions consecutive in file order. */
export class ImportChecker {
  readonly streams = new Map<string, StreamSpan>()
  private readonly ids = new Map<string, number>()
  private readonly unknown = new Set<string>()
  count = 0

  check(event: ImportedEvent): string | undefined {
    const { eventId, streamId, streamVersion } = event.record
    const seen = this.ids.get(eventId)
    if (seen !== undefined) return `event id ${eventId} is already on line ${seen}`
    const span = this.streams.get(streamId)
    if (span !== undefined && streamVersion !== span.last + 1 && !this.unknown.delete(streamId)) {
      return `stream ${streamId}: version ${streamVersion} does not follow version ${span.last} (line ${span.lastLine})`
    }
    this.ids.set(eventId, event.line)
    this.streams.set(
      streamId,
      span === undefined
        ? { first: streamVersion, firstLine: event.line, last: streamVersion, lastLine: event.line }
        : { ...span, last: streamVersion, lastLine: event.line }
    )
    this.count++
    return undefined
  }

  /**
   * A bad line still moves its stream on when its stream and version can be read, and otherwise makes the
   * stream's next line its new baseline, so one bad line is reported once, not again for every later line.
   */
  skip(json: unknown, line: number): void {
    if (typeof json !== "object" || json === null) return
    const { streamId, streamVersion } = json as { readonly streamId?: unknown; readonly streamVersion?: unknown }
    if (typeof streamId !== "string") return
    const span = this.streams.get(streamId)
    if (typeof streamVersion === "number" && Number.isInteger(streamVersion)) {
      this.streams.set(streamId, span === undefined
        ? { first: streamVersion, firstLine: line, last: streamVersion, lastLine: line }
        : { ...span, last: streamVersion, lastLine: line })
    } else {
      this.unknown.add(streamId)
    }
  }
}
