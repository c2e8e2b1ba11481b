/**
 * Who is calling: set by the gateway middleware for the rest of the request (a FiberRef, so every route —
 * HttpApi handlers, the OpenAI adapter — reads it without a service in its requirements).
 */
import type { Effect } from "effect"
import { FiberRef } from "effect"
import type { ApiKeyId } from "../domain/Ids.ts"
import type { KeyScope } from "../events/catalogue/GatewayEvents.ts"

export interface Caller {
  /** Absent when auth is off (single-user localhost mode). */
  readonly keyId: ApiKeyId | undefined
  readonly name: string
  readonly scope: KeyScope
}

/** Auth off: the local operator, allowed everything. The middleware always sets the real caller. */
export const localOperator: Caller = { keyId: undefined, name: "local", scope: "admin" }

export const CurrentCaller: FiberRef.FiberRef<Caller> = FiberRef.unsafeMake<Caller>(localOperator)

export const currentCaller: Effect.Effect<Caller> = FiberRef.get(CurrentCaller)

const rank: Record<KeyScope, number> = { read: 0, write: 1, admin: 2 }

/** Whether `has` includes `needs` (admin ⊃ write ⊃ read). */
export const scopeAllows = (has: KeyScope, needs: KeyScope): boolean => rank[has] >= rank[needs]
