/**
 * Turns catalogue events into stored rows and back. Reading applies upcasters first, so an old encoded
 * shape is lifted to the current schema version before it is decoded; writing always uses the current one.
 */
import { Either, ParseResult, Schema } from "effect"
import type { Position } from "../domain/Ids.ts"
import { compileClassCheck, Invalid } from "../domain/SchemaCheck.ts"
import type { SchemaClass } from "../domain/Unchecked.ts"
import { uncheckedMaker } from "../domain/Unchecked.ts"
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

type Decoder = (input: unknown) => Either.Either<TauEvent, ParseResult.ParseError>

/**
 * Reads are the hot path (replays, projections, rebuilds decode every event), so each type gets its own
 * decoder: its fields are validated as a struct, then the instance is made without the constructor's second
 * validation pass (`uncheckedMaker`, which adds the tag). That is what decoding the class does, minus the union
 * dispatch — about half the cost. Types whose constructor does more than assign fields would need the full path;
 * the catalogue round-trip tests compare both paths on every member.
 */
const fastDecoders: ReadonlyMap<string, Decoder> = new Map(
  TauEvent.members.map((member): readonly [string, Decoder] => {
    const { _tag: _ignored, ...fields } = member.fields
    const validate = Schema.decodeUnknownEither(Schema.Struct(fields), { onExcessProperty: "ignore" })
    const make = uncheckedMaker(member as unknown as SchemaClass<object, TauEvent>)
    return [member._tag, (input) => Either.map(validate(input), make)]
  })
)

/** The reference decoder (full class decode through the union); tests check the fast path against it. */
export const decodeEventStrict = (type: string, data: unknown): Either.Either<TauEvent, ParseResult.ParseError> =>
  decodeUnknown(typeof data === "object" && data !== null ? { ...data, _tag: type } : data)

/**
 * Writes go through each type's own encoder (no union dispatch). The catalogue has no transformations on the type
 * side, so an event's encoded form is its checked fields: the compiled check gives it at a fraction of Schema's
 * cost, and Schema's encoder runs only when the check refuses (to throw its error, with the path).
 */
const encoders: ReadonlyMap<string, (event: TauEvent) => unknown> = new Map(
  TauEvent.members.map((member) => {
    const encode = Schema.encodeSync(member as Schema.Schema<TauEvent, unknown>)
    const check = compileClassCheck(member)
    if (check === undefined) return [member._tag, encode]
    const Member: abstract new (...args: never) => unknown = member
    return [member._tag, (event: TauEvent) => {
      const checked = event instanceof Member ? check(event) : Invalid
      return checked === Invalid ? encode(event) : checked
    }]
  })
)

/** Events are immutable, so an event's encoded form is computed once (sealing and appending both need it). */
const encodedForms = new WeakMap<TauEvent, { readonly _tag: string }>()

/** The encoded (JSON-ready) form of an event, `_tag` included. Throws a ParseError on an invalid event. */
export const encodeFields = (event: TauEvent): { readonly _tag: string } => {
  const known = encodedForms.get(event)
  if (known !== undefined) return known
  const encode = encoders.get(event._tag)
  const encoded = (encode !== undefined ? encode(event) : encodeUnknown(event)) as { readonly _tag: string }
  encodedForms.set(event, encoded)
  return encoded
}

export const encodeEvent = (event: TauEvent): EncodedPayload => {
  const { _tag, ...fields } = encodeFields(event)
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
  const fast = fastDecoders.get(row.type)
  const fields = lifted.right
  const result = fast !== undefined
    ? fast(fields)
    : decodeUnknown(typeof fields === "object" && fields !== null ? { ...fields, _tag: row.type } : fields)
  return Either.mapLeft(result, (error) =>
    new EventDecodeError({
      position: row.position,
      type: row.type,
      schemaVersion: row.schemaVersion,
      message: ParseResult.TreeFormatter.formatErrorSync(error)
    }))
}
