/**
 * Cheap, valid catalogue events for tests of the log, projections and actors.
 */
import { ModelName, newSessionId, PromptName, PromptVersionId, type SessionId } from "../../src/domain/Ids.ts"
import { SessionStarted, type TauEvent, UserMessageReceived } from "../../src/events/TauEvent.ts"

export const sampleSessionId = (): SessionId => newSessionId()

/** A UserMessageReceived whose content encodes `i`, so tests can tell events apart after a round trip. */
export const sampleEvent = (i: number, sessionId: SessionId = sampleSessionId()): TauEvent =>
  new UserMessageReceived({ sessionId, content: `message ${i}` })

export const sampleSessionStarted = (sessionId: SessionId = sampleSessionId()): SessionStarted =>
  new SessionStarted({
    sessionId,
    workspace: "/tmp/tau-test-workspace",
    model: ModelName.make("test-model"),
    promptName: PromptName.make("default"),
    promptVersion: PromptVersionId.make("default@1"),
    heuristicIds: [],
    maxTurns: 8,
    source: "test"
  })
