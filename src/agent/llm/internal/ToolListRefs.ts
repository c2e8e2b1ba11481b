/**
 * Which tool lists the model thread keeps. Copying a message to the thread costs about as much as the SDK's own
 * work on it, and most of a request is its tool list (JSON schemas), which a run sends unchanged on every call:
 * a list seen a second time is defined on the thread once and then sent by id. A list seen once (a proxied
 * client's own) goes inline, so the thread keeps nothing for it.
 */
import type { ToolsRef, WireTools } from "./ModelThreadProtocol.ts"

export interface ToolListRefs {
  /** The reference to send instead of `tools`, or undefined: send them inline. */
  readonly refFor: (tools: WireTools | undefined) => ToolsRef | undefined
  /** Forgets every list (a new thread keeps none). */
  readonly reset: () => void
}

export const makeToolListRefs = (keep: number): ToolListRefs => {
  let ids = new WeakMap<WireTools, number | "seen">()
  // Insertion order is definition order: the oldest is dropped first, on both sides.
  let kept = new Map<number, WireTools>()
  let next = 0
  return {
    refFor: (tools) => {
      if (tools === undefined) return undefined
      const known = ids.get(tools)
      if (known === undefined) {
        ids.set(tools, "seen")
        return undefined
      }
      if (known !== "seen") return { id: known }
      const id = ++next
      ids.set(tools, id)
      kept.set(id, tools)
      if (kept.size <= keep) return { id, define: tools }
      const [forget, list] = kept.entries().next().value as [number, WireTools]
      kept.delete(forget)
      ids.delete(list)
      return { id, define: tools, forget }
    },
    reset: () => {
      ids = new WeakMap()
      kept = new Map()
    }
  }
}
