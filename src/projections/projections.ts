/**
 * The built-in projections, in the order the runner starts them. Later features add theirs here.
 * Override the set (tests, embedders) with `Layer.succeed(RegisteredProjections, [...])`.
 */
import { Context } from "effect"
import type { Projection } from "./Projection.ts"
import { MemoryProjection } from "../agent/memory/MemoryProjection.ts"
import { ApiKeysProjection } from "./ApiKeysProjection.ts"
import { AuditProjection } from "./AuditProjection.ts"
import { RewardsProjection } from "./RewardsProjection.ts"
import { SessionsProjection } from "./SessionsProjection.ts"
import { StreamsProjection } from "./StreamsProjection.ts"

export const builtinProjections: ReadonlyArray<Projection> = [
  StreamsProjection,
  SessionsProjection,
  MemoryProjection,
  RewardsProjection,
  ApiKeysProjection,
  AuditProjection
]

export class RegisteredProjections extends Context.Reference<RegisteredProjections>()(
  "tau/projections/RegisteredProjections",
  { defaultValue: (): ReadonlyArray<Projection> => builtinProjections }
) {}
