/**
 * Sealing an event before append: encoded, every string and key run through the Safety service's deep redaction,
 * decoded back — so no secret reaches the log whatever field it hides in. An event redaction leaves unchanged
 * (the common case) is returned as it is, without a second decode.
 *
 * Synchronous: an event that does not encode or decode is a bug in its maker, so it throws (a defect where an
 * Effect calls it), and a turn's events are sealed without an Effect step each.
 */
import { Schema } from "effect"
import { encodeFields } from "../../events/Codec.ts"
import { SessionEvent } from "../../events/TauEvent.ts"

const decode = Schema.decodeUnknownSync(SessionEvent)

export const makeSeal = (redactDeep: <A>(value: A) => A) => (event: SessionEvent): SessionEvent => {
  const encoded = encodeFields(event)
  const redacted = redactDeep(encoded)
  return redacted === encoded ? event : decode(redacted)
}
