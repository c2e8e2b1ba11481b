/**
 * Validation of a JSONL file for `tau log import`, line by line and across lines. Every reason names what is
 * wrong (with the schema path), so `line N: reason` is enough to fix the file.
 */
import { Either, ParseResult, Schema } from "effect"
import type { Position } from "../../domain/Ids.ts"
import { decodeEvent } from "../../events/Codec.ts"
import type { EncodedEvent } from "../../events/Envelope.ts"
import { RecordedEventJson } from "../../events/Envelope.ts"

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

const oneLine = (text: string) => text.replace(/\s*\n[\s└├─│]*/g, " / ")

export const isBlank = (text: string) => text.trim().length === 0

/** Parses one line: JSON, then the RecordedEventJson shape, then the event against the catalogue. */
export const parseLine = (text: string, line: number): Either.Either<ImportedEvent, string> => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    return Either.left(`invalid JSON (${error instanceof Error ? error.message : String(error)})`)
  }
  const decoded = decodeRecord(json)
  if (Either.isLeft(decoded)) return Either.left(formatParseError(decoded.left))
  const record = decoded.right
  if (record.streamVersion < 1) return Either.left("streamVersion: must be at least 1")
  const event = decodeEvent({
    position: record.position as Position,
    type: record.type,
    schemaVersion: record.schemaVersion,
    data: record.data
  })
  if (Either.isLeft(event)) return Either.left(`${record.type} does not decode: ${oneLine(event.left.message)}`)
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
  count = 0

  check(event: ImportedEvent): string | undefined {
    const { eventId, streamId, streamVersion } = event.record
    const seen = this.ids.get(eventId)
    if (seen !== undefined) return `event id ${eventId} is already on line ${seen}`
    const span = this.streams.get(streamId)
    if (span !== undefined && streamVersion !== span.last + 1) {
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
}
