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

/**
 * True when `ref`'s target was collected by a full garbage collection. Up to five tries, a macrotask apart: work
 * still settling (a timer, a finaliser) may hold it for a moment; only something that keeps it fails them all.
 */
export const isCollected = (ref: WeakRef<object>): Effect.Effect<boolean> =>
  Effect.gen(function*() {
    for (let attempt = 0; attempt < 5; attempt++) {
      yield* nextMacrotask
      gc()
      yield* nextMacrotask
      if (ref.deref() === undefined) return true
    }
    return false
  })
