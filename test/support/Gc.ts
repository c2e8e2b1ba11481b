/**
 * Garbage collection in tests: whether an object is still reachable. A WeakRef's target read during a job stays
 * alive until that job ends, so the collection runs between two macrotasks.
 */
import { Effect } from "effect"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"

setFlagsFromString("--expose-gc")
const gc = runInNewContext("gc") as () => void

const nextMacrotask = Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 20)))

/** True when `ref`'s target was collected by a full garbage collection. */
export const isCollected = (ref: WeakRef<object>): Effect.Effect<boolean> =>
  Effect.gen(function*() {
    yield* nextMacrotask
    gc()
    yield* nextMacrotask
    return ref.deref() === undefined
  })
