/**
 * Errors of the session actor. They reach the CLI, HTTP and RPC callers, so all are Schema errors.
 */
import { Schema } from "effect"
import { SessionId } from "../../domain/Ids.ts"

/** No such session: a command other than a first message was sent to a stream that does not exist. */
export class SessionNotFound extends Schema.TaggedError<SessionNotFound>()("SessionNotFound", {
  sessionId: SessionId
}) {
  override get message() {
    return `session ${this.sessionId} does not exist`
  }
}

/** The session already has its ending event (completed, abandoned, failed or cancelled). */
export class SessionAlreadyEnded extends Schema.TaggedError<SessionAlreadyEnded>()("SessionAlreadyEnded", {
  sessionId: SessionId,
  ending: Schema.String
}) {
  override get message() {
    return `session ${this.sessionId} has ended (${this.ending})`
  }
}

/** A command that the session cannot take in its current state (a bug in the caller, or a lost race). */
export class InvalidSessionCommand extends Schema.TaggedError<InvalidSessionCommand>()("InvalidSessionCommand", {
  sessionId: SessionId,
  command: Schema.String,
  status: Schema.String,
  detail: Schema.String
}) {
  override get message() {
    return `session ${this.sessionId}: ${this.command} is not valid while ${this.status}: ${this.detail}`
  }
}

/**
 * Another copy of this session's actor appended first (its stream moved under us). This copy stopped without
 * writing; the stream was not forked.
 */
export class SessionWriterConflict extends Schema.TaggedError<SessionWriterConflict>()("SessionWriterConflict", {
  sessionId: SessionId,
  expected: Schema.Int,
  actual: Schema.Int
}) {
  override get message() {
    return `session ${this.sessionId} is written by another actor (stream at ${this.actual}, expected ${this.expected})`
  }
}

/** The actor could not reach the log or decode its stream; nothing was decided. */
export class SessionStorageError extends Schema.TaggedError<SessionStorageError>()("SessionStorageError", {
  sessionId: SessionId,
  message: Schema.String
}) {}

export type DecideError = SessionNotFound | SessionAlreadyEnded | InvalidSessionCommand
export type SessionError = DecideError | SessionWriterConflict | SessionStorageError
