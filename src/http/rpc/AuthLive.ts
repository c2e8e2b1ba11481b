/**
 * The server side of `RpcAuth`: who a bearer key belongs to (`RpcAuthenticator`) and the middleware that checks
 * it against each operation's scope, plus the auth-off variant (`--no-auth`: every caller is the local operator).
 */
import { Context, Effect, Layer, Option } from "effect"
import { ApiKeys } from "../auth/ApiKeys.ts"
import type { Caller } from "../Caller.ts"
import { CurrentCaller, localOperator, scopeAllows } from "../Caller.ts"
import { Forbidden, RequiredScope, RpcAuth, Unauthorized } from "./Auth.ts"

export interface RpcAuthenticatorService {
  /** The caller a bearer token belongs to; none for unknown, malformed or revoked tokens. */
  readonly authenticate: (token: string) => Effect.Effect<Option.Option<Caller>>
}

/** Where RpcAuth looks keys up; in production, the gateway's ApiKeys. */
export class RpcAuthenticator extends Context.Tag("app/http/rpc/RpcAuthenticator")<
  RpcAuthenticator,
  RpcAuthenticatorService
>() {
  /** The gateway's keys (`tau keys create`): what `tau serve` uses. */
  static readonly ApiKeys: Layer.Layer<RpcAuthenticator, never, ApiKeys> = Layer.effect(
    RpcAuthenticator,
    Effect.map(ApiKeys, (keys) => ({ authenticate: keys.authenticate }))
  )

  /** A fixed table of tokens (embedding apps with their own keys, tests). */
  static readonly fromTable = (table: ReadonlyMap<string, Caller>) =>
    Layer.succeed(RpcAuthenticator, {
      authenticate: (token) => Effect.succeed(Option.fromNullable(table.get(token)))
    })
}

const bearer = (header: string | undefined): string | undefined => {
  if (header === undefined) return undefined
  return /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1]
}

/** RpcAuth checking bearer keys with the RpcAuthenticator in context. */
export const RpcAuthLive: Layer.Layer<RpcAuth, never, RpcAuthenticator> = Layer.effect(
  RpcAuth,
  Effect.map(RpcAuthenticator, (keys) =>
    RpcAuth.of(({ headers, next, rpc }) =>
      Effect.gen(function*() {
        const token = bearer(headers["authorization"])
        if (token === undefined) return yield* new Unauthorized({ reason: "missing_key" })
        const found = yield* keys.authenticate(token)
        if (Option.isNone(found)) return yield* new Unauthorized({ reason: "invalid_key" })
        const caller = found.value
        const required = Context.get(rpc.annotations, RequiredScope)
        if (!scopeAllows(caller.scope, required)) {
          return yield* new Forbidden({ operation: rpc._tag, required, scope: caller.scope })
        }
        return yield* Effect.locally(next, CurrentCaller, caller)
      })
    ))
)

/** Auth off (`tau serve --no-auth`, loopback only): every call runs as the local operator. */
export const RpcAuthOff: Layer.Layer<RpcAuth> = Layer.succeed(
  RpcAuth,
  RpcAuth.of(({ next }) => Effect.locally(next, CurrentCaller, localOperator))
)

/** RpcAuthLive or RpcAuthOff, as the gateway's `auth` setting says. */
export const rpcAuthLayer = (auth: boolean): Layer.Layer<RpcAuth, never, RpcAuthenticator> =>
  auth ? RpcAuthLive : RpcAuthOff
