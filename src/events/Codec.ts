/**
 * Turns catalogue events into stored rows and back. Reading applies upcasters first, so an old encoded
 * shape is lifted to the current schema version before it is decoded; writing always uses the current one.
 */
import { Either, ParseResult, Schema } from "effect"
import type { Position } from "../domain/Ids.ts"
import { EventDecodeError } from "./Errors.ts"
import { TauEvent } from "./TauEvent.ts"
import { currentSchemaVersion, upcast } from "./Upcasters.ts"

export interface EncodedPayload {
  readonly type: string
  readonly schemaVersion: number
  /** JSON text of the encoded fields, without `_tag` (the type column holds it). */
  readonly data: string
}

const encodeUnknown = Schema.encodeSync(TauEvent)
const decodeUnknown = Schema.decodeUnknownEither(TauEvent, { onExcessProperty: "ignore" })

export const encodeEvent = (event: TauEvent): EncodedPayload => {
  const { _tag, ...fields } = encodeUnknown(event) as { readonly _tag: string }
  return { type: _tag, schemaVersion: currentSchemaVersion(_tag), data: JSON.stringify(fields) }
}

export interface DecodeInput {
  readonly position: Position
  readonly type: string
  readonly schemaVersion: number
  readonly data: unknown
}

export const decodeEvent = (row: DecodeInput): Either.Either<TauEvent, EventDecodeError> => {
  const lifted = upcast(row.type, row.schemaVersion, row.data)
  if (Either.isLeft(lifted)) {
    return Either.left(
      new EventDecodeError({ position: row.position, type: row.type, schemaVersion: row.schemaVersion, message: lifted.left })
    )
  }
  const fields = lifted.right
  const input = typeof fields === "object" && fields !== null ? { ...fields, _tag: row.type } : fields
  return Either.mapLeft(decodeUnknown(input), (error) =>
    new EventDecodeError({
      position: row.position,
      type: row.type,
      schemaVersion: row.schemaVersion,
      message: ParseResult.TreeFormatter.formatErrorSync(error)
    }))
}
