/**
 * `tau feedback <session> --rating -1..1 [--comment text] [--turn n]`: records `FeedbackReceived` through the
 * session's actor (the stream's single writer), then lets the reward actor produce the revised reward.
 */
import { Args, Command, Options } from "@effect/cli"
import { Effect, Option } from "effect"
import { RewardEvaluator } from "../../actors/reward/RewardEvaluator.ts"
import { Sessions } from "../../actors/session/Sessions.ts"
import { SessionId } from "../../domain/Ids.ts"
import { CliError } from "../CliError.ts"
import { stdoutLine } from "../Output.ts"

const session = Args.text({ name: "session" }).pipe(Args.withDescription("The session id"))
const rating = Options.float("rating").pipe(Options.withDescription("-1 (bad) … 1 (good)"))
const comment = Options.text("comment").pipe(Options.withDescription("Why"), Options.optional)
const turn = Options.integer("turn").pipe(Options.withDescription("Rate this turn's reply only"), Options.optional)

export const feedbackCommand = Command.make("feedback", { session, rating, comment, turn }, (options) =>
  Effect.gen(function*() {
    if (!(options.rating >= -1 && options.rating <= 1)) {
      return yield* new CliError({ message: "--rating must be between -1 and 1" })
    }
    const sessionId = SessionId.make(options.session)
    yield* (yield* Sessions).feedback(sessionId, {
      rating: options.rating,
      comment: Option.getOrUndefined(options.comment),
      turn: Option.getOrUndefined(options.turn),
      source: "cli"
    }).pipe(Effect.mapError((e) => new CliError({ message: `feedback: ${e.message}` })))
    yield* (yield* RewardEvaluator).catchUp()
    yield* stdoutLine(`feedback recorded for ${sessionId}`)
  })).pipe(Command.withDescription("Rate a session (or one of its turns) from -1 to 1"))
