/**
 * Column decoders that hide dialect differences: node-postgres returns BIGINT as text and TIMESTAMPTZ as a
 * Date, SQLite returns numbers and the ISO text we stored.
 */
import { Schema } from "effect"

export const SqlInt = Schema.Union(Schema.Int, Schema.NumberFromString.pipe(Schema.int()))

export const SqlTimestamp = Schema.Union(Schema.DateFromSelf, Schema.Date)
