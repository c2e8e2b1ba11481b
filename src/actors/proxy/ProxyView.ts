/**
 * What the proxy recorder knows of a session: the session actor's state folded from its events, plus the few
 * envelope facts it decides on (stream version, the last event and when it was recorded, when the current
 * model call was requested, the id of the latest user message). Kept per session in memory and advanced with
 * the events read after its version, so a request decodes only what is new since the last one.
 */
import { Schema } from "effect"
import type { EventId, SessionId } from "../../domain/Ids.ts"
import type { TauEvent } from "../../events/TauEvent.ts"
import { SessionEvent } from "../../events/TauEvent.ts"
import type { SessionState } from "../session/State.ts"
import { evolve, initialState } from "../session/State.ts"

export interface ProxyView {
  readonly state: SessionState
  readonly version: number
  readonly lastTag: string | undefined
  /** When the last event was recorded (ms since the epoch); 0 for a new session. */
  readonly lastAt: number
  /** When the latest ModelRequested was recorded. */
  readonly requestedAt: number | undefined
  /** The latest UserMessageReceived: the cause of the run's events. */
  readonly userEventId: EventId | undefined
}

export const emptyView = (sessionId: SessionId): ProxyView => ({
  state: initialState(sessionId),
  version: 0,
  lastTag: undefined,
  lastAt: 0,
  requestedAt: undefined,
  userEventId: undefined
})

const isSessionEvent = Schema.is(SessionEvent)

export const stepView = (
  view: ProxyView,
  recorded: { readonly event: TauEvent; readonly eventId: EventId; readonly streamVersion: number; readonly at: number }
): ProxyView => {
  const { event } = recorded
  return {
    state: isSessionEvent(event) ? evolve(view.state, event) : view.state,
    version: recorded.streamVersion,
    lastTag: event._tag,
    lastAt: recorded.at,
    requestedAt: event._tag === "ModelRequested" ? recorded.at : view.requestedAt,
    userEventId: event._tag === "UserMessageReceived" ? recorded.eventId : view.userEventId
  }
}
