/**
 * Sealing an event before append: encoded, every string and key run through the Safety service's deep redaction,
 * decoded back — so no secret reaches the log whatever field it hides in. An event redaction leaves unchanged
 * (the common case) is returned as it is, without a second decode.
 */
import { Effect, Schema } from "effect"
import { encodeFields } from "../../events/Codec.ts"
import { SessionEvent } from "../../events/TauEvent.ts"

const decode = Schema.decodeUnknown(SessionEvent)

export const makeSeal = (redactDeep: <A>(value: A) => A) => (event: SessionEvent): Effect.Effect<SessionEvent> =>
  Effect.suspend(() => {
    const encoded = encodeFields(event)
    const redacted = redactDeep(encoded)
    return redacted === encoded ? Effect.succeed(event) : decode(redacted)
  }).pipe(Effect.orDie)
