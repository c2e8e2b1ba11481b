/**
 * Read side of the `api_keys` projection: every key (oldest first) and one key by id. No secrets here.
 */
import { Effect, Option, Schema } from "effect"
import { SqlClient } from "@effect/sql"
import { ApiKeyId } from "../domain/Ids.ts"
import { KeyScope } from "../events/catalogue/GatewayEvents.ts"
import { SqlTimestamp } from "./SqlValues.ts"

export class ApiKeyInfo extends Schema.Class<ApiKeyInfo>("ApiKeyInfo")({
  keyId: ApiKeyId,
  name: Schema.String,
  scope: KeyScope,
  createdAt: Schema.Date,
  revokedAt: Schema.OptionFromNullOr(Schema.Date),
  revokeReason: Schema.OptionFromNullOr(Schema.String)
}) {}

/** The JSON form of a key (absent values as null, times as ISO strings), as `tau keys list --json` prints it. */
export const apiKeyInfoToJson = Schema.encodeSync(ApiKeyInfo)

const Row = Schema.Struct({
  key_id: ApiKeyId,
  name: Schema.String,
  scope: KeyScope,
  created_at: SqlTimestamp,
  revoked_at: Schema.NullOr(SqlTimestamp),
  revoke_reason: Schema.NullOr(Schema.String)
})
const decodeRows = Schema.decodeUnknown(Schema.Array(Row))

const toInfo = (r: typeof Row.Type) =>
  new ApiKeyInfo({
    keyId: r.key_id,
    name: r.name,
    scope: r.scope,
    createdAt: r.created_at,
    revokedAt: Option.fromNullable(r.revoked_at),
    revokeReason: Option.fromNullable(r.revoke_reason)
  })

export class ApiKeysQuery extends Effect.Service<ApiKeysQuery>()("tau/projections/ApiKeysQuery", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient

    const run = (statement: Effect.Effect<ReadonlyArray<unknown>, unknown>) =>
      statement.pipe(Effect.flatMap(decodeRows), Effect.map((rows) => rows.map(toInfo)), Effect.orDie)

    /** Every key, revoked ones included, oldest first. */
    const list = Effect.fn("ApiKeysQuery.list")(function*() {
      return yield* run(sql`SELECT * FROM tau_api_keys ORDER BY created_at, key_id`)
    })

    const get = Effect.fn("ApiKeysQuery.get")(function*(keyId: ApiKeyId) {
      return Option.fromNullable((yield* run(sql`SELECT * FROM tau_api_keys WHERE key_id = ${keyId}`))[0])
    })

    return { list, get } as const
  })
}) {}
