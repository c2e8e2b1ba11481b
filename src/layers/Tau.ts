/**
 * The embeddable application layers. `TauLive` is the event log + live projections on the database chosen by
 * TAU_DATABASE_URL; `TauAgentLive` adds the agent (Sessions, LanguageModel, ToolRegistry, Safety);
 * `TauSqlite` / `TauPostgres` take the database explicitly; the smaller layers give just the log or the runner
 * without background work.
 */
import { Layer } from "effect"
import { RewardEvaluator } from "../actors/reward/RewardEvaluator.ts"
import { IdleSweepLive } from "../actors/session/IdleSweep.ts"
import { Embedder } from "../agent/memory/Embedder.ts"
import { Memory } from "../agent/memory/Memory.ts"
import { MemoryProjectionWithEmbedder } from "../agent/memory/MemoryProjectionLayer.ts"
import { MemoryToolsLive } from "../agent/memory/MemoryTools.ts"
import { AuditQuery } from "../projections/AuditQuery.ts"
import { ProjectionRunner } from "../projections/ProjectionRunner.ts"
import { SessionsQuery } from "../projections/SessionsQuery.ts"
import { StreamsQuery } from "../projections/StreamsQuery.ts"
import { AgentLive } from "./Agent.ts"
import * as Database from "./Database.ts"

/** SqlClient + EventLog on the configured database, all migrations applied. */
export const EventLogLive = Database.DatabaseLive

/** The memory projection uses the configured embedder (TAU_EMBEDDINGS), so stored and query vectors agree. */
const withEmbedder = <A, E, R>(runner: Layer.Layer<A, E, R>) =>
  runner.pipe(Layer.provide(MemoryProjectionWithEmbedder), Layer.provide(Embedder.Default))

/** EventLog + a ProjectionRunner that runs nothing in the background (one-shot tools call catchUp/rebuild). */
export const TauOneShot = withEmbedder(ProjectionRunner.Default).pipe(Layer.provideMerge(Database.DatabaseLive))

/** The background work of a Tau process: every projection and the reward actor, live for the layer's lifetime. */
const Background = Layer.merge(withEmbedder(ProjectionRunner.Live), RewardEvaluator.Live)

/** EventLog + every projection and the reward actor kept live for the layer's lifetime. */
export const TauLive = Background.pipe(Layer.provideMerge(Database.DatabaseLive))

/** The read-side query services of the built-in projections; need a SqlClient. */
export const QueriesLive = Layer.mergeAll(StreamsQuery.Default, SessionsQuery.Default, AuditQuery.Default)

/** The agent (Sessions and its services) with the Memory service and the memory tools in its registry. */
const AgentWithMemory = MemoryToolsLive.pipe(Layer.provideMerge(Memory.Default), Layer.provideMerge(AgentLive))

/**
 * The agent with memory, the query services, and the sweep that abandons the idle sessions no actor watches (what a
 * long-running process adds).
 */
const AgentServing = IdleSweepLive.pipe(Layer.provideMerge(Layer.mergeAll(AgentWithMemory, QueriesLive)))

/** TauLive + the query services + the agent with memory. */
export const TauAgentLive = AgentServing.pipe(Layer.provideMerge(TauLive))

/**
 * TauOneShot + the query services + the agent + the live reward actor (it catches up on start and once more on
 * close, so the process's own sessions are scored): what `tau run` / `tau chat` use.
 */
export const TauAgentOneShot = Layer.mergeAll(AgentWithMemory, QueriesLive, RewardEvaluator.Live).pipe(
  Layer.provideMerge(TauOneShot)
)

/** TauLive on an SQLite file given by the embedding app (not read from configuration). */
export const TauSqlite = (options: Parameters<typeof Database.sqlite>[0]) =>
  Background.pipe(Layer.provideMerge(Database.sqlite(options)))

/** TauLive on a PostgreSQL database given by the embedding app. */
export const TauPostgres = (options: Parameters<typeof Database.postgres>[0]) =>
  Background.pipe(Layer.provideMerge(Database.postgres(options)))

/** TauSqlite + the query services + the agent. */
export const TauAgentSqlite = (options: Parameters<typeof Database.sqlite>[0]) =>
  AgentServing.pipe(Layer.provideMerge(TauSqlite(options)))

/** TauPostgres + the query services + the agent. */
export const TauAgentPostgres = (options: Parameters<typeof Database.postgres>[0]) =>
  AgentServing.pipe(Layer.provideMerge(TauPostgres(options)))
