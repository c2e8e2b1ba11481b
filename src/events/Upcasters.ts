/**
 * Schema versions of the catalogue and the upcasters that lift older encoded shapes.
 * An encoded shape is never changed: a new shape gets the next version here and an upcaster from the last.
 * Writing always uses `currentSchemaVersion(type)`; reading lifts a row step by step to it before decoding.
 */
import { Either, ParseResult, Schema } from "effect"

export interface Upcaster {
  readonly type: string
  /** Lifts data encoded at `fromVersion` to `fromVersion + 1`. */
  readonly fromVersion: number
  readonly up: (data: unknown) => Either.Either<unknown, string>
}

/**
 * FeedbackReceived, schema version 1 (encoded, as stored):
 *   { sessionId: string, rating: number in [-1, 1], comment?: string }
 * Version 2 adds `source` (the interface the rating came through) and an optional `turn`. A v1 row says
 * nothing about its source, so it becomes "unknown" rather than a guess.
 */
export const FeedbackReceivedV1 = Schema.Struct({
  sessionId: Schema.String,
  rating: Schema.Number.pipe(Schema.between(-1, 1)),
  comment: Schema.optional(Schema.String)
})

const decodeFeedbackV1 = Schema.decodeUnknownEither(FeedbackReceivedV1)

const feedbackReceivedV1toV2: Upcaster = {
  type: "FeedbackReceived",
  fromVersion: 1,
  up: (data) =>
    Either.match(decodeFeedbackV1(data), {
      onLeft: (error) => Either.left(`FeedbackReceived v1: ${ParseResult.TreeFormatter.formatErrorSync(error)}`),
      onRight: (v1) => Either.right({ ...v1, source: "unknown" })
    })
}

export const upcasters: ReadonlyArray<Upcaster> = [feedbackReceivedV1toV2]

const latest = new Map<string, number>()
const byKey = new Map<string, Upcaster>()
for (const u of upcasters) {
  byKey.set(`${u.type}@${u.fromVersion}`, u)
  latest.set(u.type, Math.max(latest.get(u.type) ?? 1, u.fromVersion + 1))
}

export const currentSchemaVersion = (type: string): number => latest.get(type) ?? 1

export const upcast = (type: string, schemaVersion: number, data: unknown): Either.Either<unknown, string> => {
  const target = currentSchemaVersion(type)
  if (schemaVersion === target) return Either.right(data)
  if (!Number.isInteger(schemaVersion) || schemaVersion < 1) {
    return Either.left(`${type} schema version ${schemaVersion} is not a version (1, 2, …)`)
  }
  if (schemaVersion > target) {
    return Either.left(`${type} schema version ${schemaVersion} is newer than this build knows (${target})`)
  }
  let version = schemaVersion
  let current: Either.Either<unknown, string> = Either.right(data)
  while (version < target && Either.isRight(current)) {
    const step = byKey.get(`${type}@${version}`)
    if (step === undefined) return Either.left(`no upcaster for ${type} from schema version ${version}`)
    current = step.up(current.right)
    version++
  }
  return current
}
