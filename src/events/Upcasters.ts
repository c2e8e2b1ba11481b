/**
 * Schema versions of the catalogue and the upcasters that lift older encoded shapes.
 * An encoded shape is never changed: a new shape gets the next version here and an upcaster from the last.
 */
import { Either } from "effect"

export interface Upcaster {
  readonly type: string
  /** Lifts data encoded at `fromVersion` to `fromVersion + 1`. */
  readonly fromVersion: number
  readonly up: (data: unknown) => Either.Either<unknown, string>
}

export const upcasters: ReadonlyArray<Upcaster> = []

const latest = new Map<string, number>()
const byKey = new Map<string, Upcaster>()
for (const u of upcasters) {
  byKey.set(`${u.type}@${u.fromVersion}`, u)
  latest.set(u.type, Math.max(latest.get(u.type) ?? 1, u.fromVersion + 1))
}

export const currentSchemaVersion = (type: string): number => latest.get(type) ?? 1

export const upcast = (type: string, schemaVersion: number, data: unknown): Either.Either<unknown, string> => {
  const target = currentSchemaVersion(type)
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
