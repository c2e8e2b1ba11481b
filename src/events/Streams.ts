/**
 * Stream ids of the catalogue (DESIGN.md §2): `session-<id>`, `memory-<id>`, `reward-<sessionId>`, `cortex`,
 * `prompt-<name>`, `experiment-<id>`, `trainer`. Writers build ids only through these helpers.
 */
import type { ApiKeyId, ExperimentId, MemoryId, PromptName, SessionId } from "../domain/Ids.ts"
import { StreamId } from "../domain/Ids.ts"
import type { TauEvent } from "./TauEvent.ts"

export type StreamKind = "session" | "memory" | "reward" | "cortex" | "prompt" | "experiment" | "trainer" | "apikey" | "audit" | "other"

export const sessionStream = (id: SessionId): StreamId => StreamId.make(`session-${id}`)
export const memoryStream = (id: MemoryId): StreamId => StreamId.make(`memory-${id}`)
export const rewardStream = (sessionId: SessionId): StreamId => StreamId.make(`reward-${sessionId}`)
export const promptStream = (name: PromptName): StreamId => StreamId.make(`prompt-${name}`)
export const experimentStream = (id: ExperimentId): StreamId => StreamId.make(`experiment-${id}`)
export const apiKeyStream = (id: ApiKeyId): StreamId => StreamId.make(`apikey-${id}`)
/** One audit stream per UTC day, so no stream grows without bound. */
export const auditStream = (at: Date): StreamId => StreamId.make(`audit-${at.toISOString().slice(0, 10)}`)
export const cortexStream: StreamId = StreamId.make("cortex")
export const trainerStream: StreamId = StreamId.make("trainer")

const prefixed: ReadonlyArray<StreamKind> = ["session", "memory", "reward", "prompt", "experiment", "apikey", "audit"]

/** The family of a stream id; ids no helper here produces are "other". */
export const streamKind = (streamId: string): StreamKind => {
  if (streamId === cortexStream) return "cortex"
  if (streamId === trainerStream) return "trainer"
  const dash = streamId.indexOf("-")
  if (dash <= 0 || dash === streamId.length - 1) return "other"
  const prefix = streamId.slice(0, dash)
  return prefixed.find((kind) => kind === prefix) ?? "other"
}

/** The stream an event belongs on. Links and merges go on the stream of the record they start from. */
export const streamFor = (event: TauEvent): StreamId => {
  switch (event._tag) {
    case "MemoryRecorded":
    case "MemoryUpdated":
    case "MemoryDeleted":
    case "MemoryRestored":
      return memoryStream(event.memoryId)
    case "MemoryLinked":
      return memoryStream(event.from)
    case "MemoriesMerged":
      return memoryStream(event.into)
    case "RewardAssigned":
      return rewardStream(event.sessionId)
    case "HeuristicLearned":
    case "HeuristicReinforced":
    case "HeuristicWeakened":
    case "HeuristicRetired":
    case "BulletinPublished":
      return cortexStream
    case "PolicyUpdateComputed":
    case "TrainingPaused":
    case "TrainingResumed":
    case "CurriculumUpdated":
      return trainerStream
    case "PromptCandidateProposed":
    case "PromptAdopted":
    case "PromptRolledBack":
      return promptStream(event.promptName)
    case "ExperimentStarted":
    case "ExperimentConcluded":
      return experimentStream(event.experimentId)
    case "ApiKeyCreated":
    case "ApiKeyRevoked":
      return apiKeyStream(event.keyId)
    case "RequestAudited":
      return auditStream(new Date(event.startedAt))
    default:
      return sessionStream(event.sessionId)
  }
}
