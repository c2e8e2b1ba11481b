/**
 * Schemas of the audit trail's read side, shared by AuditQuery and the HTTP group (schemas only, no services):
 * one audited request, the filters of a query (in their URL form: every value a string) and the paging cursor.
 */
import { Either, ParseResult, Schema } from "effect"
import { ApiKeyId, SessionId } from "../domain/Ids.ts"

const EpochMs = Schema.Int.pipe(Schema.between(0, 253_402_300_799_999))

export class AuditRecord extends Schema.Class<AuditRecord>("AuditRecord")({
  requestId: Schema.String,
  keyId: Schema.optional(ApiKeyId),
  method: Schema.String,
  route: Schema.String,
  sessionId: Schema.optional(SessionId),
  status: Schema.Int,
  latencyMs: Schema.Int,
  /** When the request arrived, epoch ms. */
  startedAt: EpochMs
}) {}

/** Where a page ends: the (startedAt, requestId) of its last row. The next page starts strictly after it. */
export interface AuditPosition {
  readonly startedAt: number
  readonly requestId: string
}

const base64url = (text: string) => Buffer.from(text, "utf8").toString("base64url")

export const encodeCursor = (position: AuditPosition): string => base64url(`${position.startedAt}:${position.requestId}`)

const parseCursor = (text: string): AuditPosition | undefined => {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return undefined
  const raw = Buffer.from(text, "base64url").toString("utf8")
  const colon = raw.indexOf(":")
  if (colon <= 0 || colon === raw.length - 1) return undefined
  const digits = raw.slice(0, colon)
  if (!/^\d{1,15}$/.test(digits)) return undefined
  const position = { startedAt: Number(digits), requestId: raw.slice(colon + 1) }
  return base64url(`${position.startedAt}:${position.requestId}`) === text ? position : undefined
}

/** The opaque `next` cursor of a page (base64url of `startedAt:requestId`). */
export const AuditCursor = Schema.transformOrFail(
  Schema.String,
  Schema.Struct({ startedAt: EpochMs, requestId: Schema.String }),
  {
    strict: true,
    decode: (text, _, ast) => {
      const position = parseCursor(text)
      return position === undefined
        ? Either.left(new ParseResult.Type(ast, text, "not a cursor of this API"))
        : Either.right(position)
    },
    encode: (position) => Either.right(encodeCursor(position))
  }
)

/** A time bound: epoch ms (digits) or an ISO 8601 date/time (`2026-11-26`, `2026-11-26T01:02:03Z`). */
export const TimeParam = Schema.transformOrFail(Schema.String, EpochMs, {
  strict: true,
  decode: (text, _, ast) => {
    if (/^\d{1,15}$/.test(text)) return Either.right(Number(text))
    const ms = /^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text) ? Date.parse(text) : Number.NaN
    return Number.isFinite(ms) && ms >= 0
      ? Either.right(ms)
      : Either.left(new ParseResult.Type(ast, text, "expected epoch milliseconds or an ISO 8601 date"))
  },
  encode: (ms) => Either.right(String(ms))
}).annotations({ description: "epoch milliseconds or an ISO 8601 date/time" })

export const StatusClass = Schema.Literal("1xx", "2xx", "3xx", "4xx", "5xx")
export type StatusClass = typeof StatusClass.Type

const IntParam = (min: number, max: number) => Schema.NumberFromString.pipe(Schema.int(), Schema.between(min, max))

export const maxAuditLimit = 1000

/**
 * Query filters, all optional and combined with AND. Decoded from URL parameters (strings) into numbers,
 * dates and a cursor position. `since` is inclusive, `until` exclusive; `route` is a path prefix
 * (case-sensitive); `status` is exact, `statusClass` a hundred (`4xx`).
 */
export const AuditFilters = Schema.Struct({
  keyId: Schema.optional(ApiKeyId),
  sessionId: Schema.optional(SessionId),
  status: Schema.optional(IntParam(100, 599)),
  statusClass: Schema.optional(StatusClass),
  route: Schema.optional(Schema.String.pipe(Schema.minLength(1), Schema.maxLength(2000))),
  since: Schema.optional(TimeParam),
  until: Schema.optional(TimeParam),
  /** The `next` of the previous page. */
  cursor: Schema.optional(AuditCursor),
  /** Rows to skip (after the cursor, when both are given). */
  offset: Schema.optional(IntParam(0, 10_000_000)),
  /** 1–1000, default 100. */
  limit: Schema.optional(IntParam(1, maxAuditLimit))
})
export type AuditFilters = typeof AuditFilters.Type

export class AuditPage extends Schema.Class<AuditPage>("AuditPage")({
  /** Newest first (by startedAt, then requestId). */
  entries: Schema.Array(AuditRecord),
  /** Present when more rows match: pass it as `cursor` for the next page. */
  next: Schema.optional(Schema.String)
}) {}
