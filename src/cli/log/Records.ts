/**
 * How `tau log` prints recorded events: one RecordedEventJson per line (export, `--json`) or one compact
 * human line (tail).
 */
import { Schema } from "effect"
import type { RecordedEvent } from "../../events/Envelope.ts"
import { RecordedEventJson } from "../../events/Envelope.ts"

const encode = Schema.encodeSync(RecordedEventJson)

export const jsonLine = (row: RecordedEvent): string => JSON.stringify(encode(row))

const maxDataChars = 160

export const humanLine = (row: RecordedEvent): string => {
  const data = JSON.stringify(row.data) ?? ""
  const compact = data.length > maxDataChars ? `${data.slice(0, maxDataChars - 1)}…` : data
  return `${row.position}  ${row.streamId}@${row.streamVersion}  ${row.type}  ${compact}`
}
