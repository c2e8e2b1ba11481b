/**
 * The `projections` group of the typed API (`/api/projections`): each projection's checkpoint, lag behind the
 * log head and dead letters, and rebuilding one (admin). Schemas only.
 */
import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { DeadLetter, ProjectionNotFound, ProjectionStatus } from "../../projections/Projection.ts"
import { ScopeRequired } from "../ApiErrors.ts"

export class ProjectionsOverview extends Schema.Class<ProjectionsOverview>("ProjectionsOverview")({
  head: Schema.Int,
  projections: Schema.Array(ProjectionStatus)
}) {}

const NamePath = Schema.Struct({ name: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(200)) })

export class ProjectionsApi extends HttpApiGroup.make("projections")
  .add(
    HttpApiEndpoint.get("status", "/")
      .addSuccess(ProjectionsOverview)
      .annotate(OpenApi.Description, "Position, lag behind the log head, state and dead-letter count of each projection")
  )
  .add(
    HttpApiEndpoint.get("deadLetters", "/:name/dead-letters")
      .setPath(NamePath)
      .addSuccess(Schema.Array(DeadLetter))
      .addError(ProjectionNotFound, { status: 404 })
  )
  .add(
    HttpApiEndpoint.post("rebuild", "/:name/rebuild")
      .setPath(NamePath)
      .addSuccess(ProjectionStatus)
      .addError(ProjectionNotFound, { status: 404 })
      .addError(ScopeRequired)
      .annotate(OpenApi.Description, "Drop and rebuild a projection from position 1 (admin); answers when done")
  )
  .prefix("/api/projections")
  .annotate(OpenApi.Title, "Projections")
  .annotate(OpenApi.Description, "Read models: status, dead letters, rebuild")
{}
