/**
 * PostgreSQL schema of the event log. Migration ids are global across Tau (the projection runner adds
 * 0002…), and an applied migration is never edited.
 */
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

const eventLog = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  // `json` (not jsonb) keeps the exact text the writer sent, so an idempotent retry is a byte comparison, while
  // the server still validates it and `data->>'field'` works for ad-hoc queries.
  yield* sql`CREATE TABLE tau_events (
    position BIGINT PRIMARY KEY CHECK (position > 0),
    event_id TEXT NOT NULL UNIQUE,
    stream_id TEXT NOT NULL,
    stream_version INTEGER NOT NULL CHECK (stream_version > 0),
    type TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    data JSON NOT NULL,
    metadata JSON NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    UNIQUE (stream_id, stream_version)
  )`
  // One row: the append lock (taken FOR UPDATE first in every append transaction) and the committed head.
  yield* sql`CREATE TABLE tau_log_head (
    id SMALLINT PRIMARY KEY CHECK (id = 1),
    position BIGINT NOT NULL
  )`
  yield* sql`INSERT INTO tau_log_head (id, position) VALUES (1, 0)`
})

/**
 * `tau_append`: AppendPlan.planBatch as one statement, so a batch costs one round trip in autocommit instead of
 * BEGIN, lock, load, insert, COMMIT. Requests come as parallel arrays (`p_counts[r]` events each, flattened into
 * the event arrays); one row per request comes back, in order. Stored and earlier-in-batch identities are found
 * by index (stored row per event, previous occurrence of the same id), not by a growing map, so a batch of n
 * events costs O(n) work. Returned kinds: ok, retry (idempotent, nothing written), version, and the
 * EventIdConflict reasons.
 */
const appendFunction = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE FUNCTION tau_append(
    p_streams text[], p_expected text[], p_counts int[],
    p_event_ids text[], p_types text[], p_schema_versions int[], p_data text[], p_metadata text[],
    p_recorded_at timestamptz[]
  ) RETURNS TABLE (o_kind text, o_positions bigint[], o_version int, o_event_id text, o_actual int, o_head bigint)
  LANGUAGE plpgsql AS $fn$
  DECLARE
    v_head bigint;
    v_requests int := coalesce(array_length(p_streams, 1), 0);
    v_events int := coalesce(array_length(p_event_ids, 1), 0);
    v_prev int[]; v_s_pos bigint[]; v_s_stream text[]; v_s_ver int[]; v_s_type text[]; v_s_sv int[]; v_s_data text[];
    v_slot int[]; v_init int[]; v_vers int[];
    v_acc_pos bigint[] := array_fill(NULL::bigint, ARRAY[v_events]);
    v_acc_ver int[] := array_fill(NULL::int, ARRAY[v_events]);
    v_acc_stream text[] := array_fill(NULL::text, ARRAY[v_events]);
    v_off int := 0; v_n int; v_r int; v_j int; v_k int; v_found int; v_dup int;
    v_stream text; v_actual int; v_ver int; v_written int := 0;
    v_positions bigint[]; v_kind text; v_bad text; v_ok boolean;
    v_id_pos bigint; v_id_stream text; v_id_ver int; v_id_type text; v_id_sv int; v_id_data text; v_last_ver int;
  BEGIN
    SELECT h.position INTO v_head FROM tau_log_head h WHERE h.id = 1 FOR UPDATE;
    IF NOT FOUND THEN RAISE EXCEPTION 'tau_log_head has no row: schema damaged'; END IF;

    -- One unique-index probe per id (LATERAL … LIMIT 1 is not flattened into a join): with "= ANY(array)" a
    -- generic plan cached while the table was small kept scanning the whole table as it grew.
    SELECT array_agg(e.prev ORDER BY e.i), array_agg(t.position ORDER BY e.i), array_agg(t.stream_id ORDER BY e.i),
           array_agg(t.stream_version ORDER BY e.i), array_agg(t.type ORDER BY e.i),
           array_agg(t.schema_version ORDER BY e.i), array_agg(t.data ORDER BY e.i)
      INTO v_prev, v_s_pos, v_s_stream, v_s_ver, v_s_type, v_s_sv, v_s_data
      FROM (SELECT u.i, u.id, lag(u.i) OVER (PARTITION BY u.id ORDER BY u.i)::int AS prev
              FROM unnest(p_event_ids) WITH ORDINALITY AS u(id, i)) e
      LEFT JOIN LATERAL (SELECT s.position, s.stream_id, s.stream_version, s.type, s.schema_version, s.data::text AS data
                           FROM tau_events s WHERE s.event_id = e.id LIMIT 1) t ON true;

    SELECT array_agg(s.slot ORDER BY s.r),
           array_agg(coalesce((SELECT t.stream_version FROM tau_events t WHERE t.stream_id = s.sid
                                ORDER BY t.stream_version DESC LIMIT 1), 0) ORDER BY s.r)
      INTO v_slot, v_init
      FROM (SELECT u.r, u.sid, dense_rank() OVER (ORDER BY u.sid)::int AS slot
              FROM unnest(p_streams) WITH ORDINALITY AS u(sid, r)) s;
    v_vers := array_fill(NULL::int, ARRAY[greatest(v_requests, 1)]);

    FOR v_r IN 1 .. v_requests LOOP
      v_n := p_counts[v_r];
      v_stream := p_streams[v_r];
      IF v_vers[v_slot[v_r]] IS NULL THEN v_vers[v_slot[v_r]] := v_init[v_r]; END IF;
      v_found := 0; v_dup := NULL;
      FOR v_j IN v_off + 1 .. v_off + v_n LOOP
        IF v_prev[v_j] IS NOT NULL AND v_prev[v_j] > v_off THEN v_dup := v_j; EXIT; END IF;
        IF v_s_pos[v_j] IS NOT NULL THEN
          v_found := v_found + 1;
        ELSE
          v_k := v_prev[v_j];
          WHILE v_k IS NOT NULL AND v_acc_pos[v_k] IS NULL LOOP v_k := v_prev[v_k]; END LOOP;
          IF v_k IS NOT NULL THEN v_found := v_found + 1; END IF;
        END IF;
      END LOOP;

      v_positions := '{}';
      o_kind := NULL; o_positions := NULL; o_version := NULL; o_event_id := NULL; o_actual := NULL; o_head := NULL;
      IF v_dup IS NOT NULL THEN
        o_kind := 'duplicate-in-append'; o_event_id := p_event_ids[v_dup];
      ELSIF v_found > 0 THEN
        v_bad := NULL; v_kind := NULL; v_last_ver := NULL;
        FOR v_j IN v_off + 1 .. v_off + v_n LOOP
          IF v_s_pos[v_j] IS NOT NULL THEN
            v_id_pos := v_s_pos[v_j]; v_id_stream := v_s_stream[v_j]; v_id_ver := v_s_ver[v_j];
            v_id_type := v_s_type[v_j]; v_id_sv := v_s_sv[v_j]; v_id_data := v_s_data[v_j];
          ELSE
            v_k := v_prev[v_j];
            WHILE v_k IS NOT NULL AND v_acc_pos[v_k] IS NULL LOOP v_k := v_prev[v_k]; END LOOP;
            IF v_k IS NULL THEN v_kind := 'partial-batch'; v_bad := p_event_ids[v_j]; EXIT; END IF;
            v_id_pos := v_acc_pos[v_k]; v_id_stream := v_acc_stream[v_k]; v_id_ver := v_acc_ver[v_k];
            v_id_type := p_types[v_k]; v_id_sv := p_schema_versions[v_k]; v_id_data := p_data[v_k];
          END IF;
          IF v_id_stream IS DISTINCT FROM v_stream OR v_id_type IS DISTINCT FROM p_types[v_j]
             OR v_id_sv IS DISTINCT FROM p_schema_versions[v_j] OR v_id_data IS DISTINCT FROM p_data[v_j]
             OR (v_last_ver IS NOT NULL AND v_id_ver IS DISTINCT FROM v_last_ver + 1) THEN
            v_kind := 'content-differs'; v_bad := p_event_ids[v_j]; EXIT;
          END IF;
          v_positions := v_positions || v_id_pos;
          v_last_ver := v_id_ver;
        END LOOP;
        IF v_kind IS NOT NULL THEN
          o_kind := v_kind; o_event_id := v_bad;
        ELSE
          o_kind := 'retry'; o_positions := v_positions; o_version := v_last_ver;
        END IF;
      ELSE
        v_actual := v_vers[v_slot[v_r]];
        v_ok := CASE p_expected[v_r] WHEN 'any' THEN true WHEN 'no_stream' THEN v_actual = 0
                  ELSE p_expected[v_r]::int = v_actual END;
        IF NOT v_ok THEN
          o_kind := 'version'; o_actual := v_actual;
        ELSE
          v_ver := v_actual;
          FOR v_j IN v_off + 1 .. v_off + v_n LOOP
            v_head := v_head + 1; v_ver := v_ver + 1;
            v_acc_pos[v_j] := v_head; v_acc_ver[v_j] := v_ver; v_acc_stream[v_j] := v_stream;
            v_positions := v_positions || v_head;
          END LOOP;
          v_written := v_written + v_n;
          v_vers[v_slot[v_r]] := v_ver;
          o_kind := 'ok'; o_positions := v_positions; o_version := v_ver;
        END IF;
      END IF;
      RETURN NEXT;
      v_off := v_off + v_n;
    END LOOP;

    IF v_written > 0 THEN
      WITH inserted AS (
        INSERT INTO tau_events
          (position, event_id, stream_id, stream_version, type, schema_version, data, metadata, recorded_at)
        SELECT u.pos, u.id, u.sid, u.ver, u.typ, u.sv, u.dat::json, u.meta::json, u.rec
          FROM unnest(v_acc_pos, p_event_ids, v_acc_stream, v_acc_ver, p_types, p_schema_versions, p_data, p_metadata,
                      p_recorded_at) AS u(pos, id, sid, ver, typ, sv, dat, meta, rec)
          WHERE u.pos IS NOT NULL
      ), moved AS (
        UPDATE tau_log_head SET position = v_head WHERE id = 1
      )
      SELECT pg_notify('tau_events', v_head::text)::text INTO v_bad;
    END IF;
    o_kind := 'head'; o_positions := NULL; o_version := NULL; o_event_id := NULL; o_actual := NULL; o_head := v_head;
    RETURN NEXT;
  END
  $fn$`
})

/**
 * `tau_append_fast`: the same contract as `tau_append` (arguments, rows, rules), with the common batch (every
 * stream named once, every event id new and named once) decided and written by one statement, and anything
 * else delegated to `tau_append` inside the same call. The lock is its own first statement, so the statement
 * after it takes a fresh snapshot that holds every commit ordered before ours (READ COMMITTED, volatile
 * function). Both functions run with generic plans: with the default plan cache mode these array-parameter
 * statements were re-planned on every call, which cost more than the work (0.75 vs 0.3 ms per one-event call).
 */
const appendFastFunction = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`ALTER FUNCTION tau_append(text[], text[], int[], text[], text[], int[], text[], text[], timestamptz[])
    SET plan_cache_mode = force_generic_plan`
  yield* sql`CREATE FUNCTION tau_append_fast(
    p_streams text[], p_expected text[], p_counts int[],
    p_event_ids text[], p_types text[], p_schema_versions int[], p_data text[], p_metadata text[],
    p_recorded_at timestamptz[]
  ) RETURNS TABLE (o_kind text, o_positions bigint[], o_version int, o_event_id text, o_actual int, o_head bigint)
  LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $fn$
  DECLARE
    v_head bigint;
  BEGIN
    SELECT h.position INTO v_head FROM tau_log_head h WHERE h.id = 1 FOR UPDATE;
    IF NOT FOUND THEN RAISE EXCEPTION 'tau_log_head has no row: schema damaged'; END IF;

    -- No rows come back when the batch is not the common case; nothing is written then.
    RETURN QUERY
    WITH slow AS (
      SELECT EXISTS (SELECT 1 FROM unnest(p_event_ids) AS u(id)
                      WHERE (SELECT true FROM tau_events s WHERE s.event_id = u.id LIMIT 1))
          OR cardinality(p_streams) > (SELECT count(DISTINCT u.sid) FROM unnest(p_streams) AS u(sid))
          OR cardinality(p_event_ids) > (SELECT count(DISTINCT u.id) FROM unnest(p_event_ids) AS u(id)) AS yes
    ), req AS (
      SELECT r.r, r.sid, r.cnt, sum(r.cnt) OVER (ORDER BY r.r) - r.cnt AS off,
             coalesce((SELECT t.stream_version FROM tau_events t WHERE t.stream_id = r.sid
                        ORDER BY t.stream_version DESC LIMIT 1), 0) AS cur,
             r.exp
        FROM unnest(p_streams, p_expected, p_counts) WITH ORDINALITY AS r(sid, exp, cnt, r)
    ), chk AS (
      SELECT req.*, CASE req.exp WHEN 'any' THEN true WHEN 'no_stream' THEN req.cur = 0
                      ELSE req.exp::int = req.cur END AS ok
        FROM req
    ), acc AS (
      -- before: events of accepted requests ahead of this one, so accepted rows get head+1, head+2, … gap-free.
      SELECT chk.*, coalesce(sum(chk.cnt) FILTER (WHERE chk.ok)
                      OVER (ORDER BY chk.r ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
        FROM chk
    ), ev AS (
      SELECT a.sid, a.cur, a.before, a.off, k.j
        FROM acc a, generate_series(a.off + 1, a.off + a.cnt) AS k(j)
       WHERE a.ok AND NOT (SELECT yes FROM slow)
    ), inserted AS (
      INSERT INTO tau_events
        (position, event_id, stream_id, stream_version, type, schema_version, data, metadata, recorded_at)
      SELECT v_head + ev.before + (ev.j - ev.off), p_event_ids[ev.j], ev.sid, ev.cur + (ev.j - ev.off), p_types[ev.j],
             p_schema_versions[ev.j], p_data[ev.j]::json, p_metadata[ev.j]::json, p_recorded_at[ev.j]
        FROM ev
    ), total AS (
      SELECT CASE WHEN (SELECT yes FROM slow) THEN 0 ELSE coalesce(sum(a.cnt) FILTER (WHERE a.ok), 0) END AS n
        FROM acc a
    ), moved AS (
      UPDATE tau_log_head SET position = v_head + (SELECT n FROM total) WHERE id = 1 AND (SELECT n FROM total) > 0
      RETURNING pg_notify('tau_events', position::text)
    )
    SELECT o.kind, o.positions, o.version, NULL::text, o.actual, o.head FROM (
      SELECT a.r, CASE WHEN a.ok THEN 'ok' ELSE 'version' END AS kind,
             CASE WHEN a.ok THEN ARRAY(SELECT v_head + a.before + k FROM generate_series(1, a.cnt) AS k) END AS positions,
             CASE WHEN a.ok THEN (a.cur + a.cnt)::int END AS version,
             CASE WHEN a.ok THEN NULL ELSE a.cur END::int AS actual, NULL::bigint AS head
        FROM acc a
      UNION ALL
      SELECT NULL, 'head', NULL, NULL, NULL, v_head + (SELECT n FROM total)
    ) o
    WHERE NOT (SELECT yes FROM slow)
    ORDER BY o.r NULLS LAST;

    IF NOT FOUND THEN
      RETURN QUERY SELECT * FROM tau_append(p_streams, p_expected, p_counts, p_event_ids, p_types, p_schema_versions,
                                            p_data, p_metadata, p_recorded_at);
    END IF;
  END
  $fn$`
})

/**
 * `tau_append_one`: `tau_append_fast` for a batch of one request, the usual case when appends do not overlap.
 * Without the window functions and per-request joins a batch needs, the same lock-then-one-statement shape
 * costs ~25% less server time. Anything but new, distinct ids is delegated to `tau_append`.
 */
const appendOneFunction = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE FUNCTION tau_append_one(
    p_streams text[], p_expected text[], p_counts int[],
    p_event_ids text[], p_types text[], p_schema_versions int[], p_data text[], p_metadata text[],
    p_recorded_at timestamptz[]
  ) RETURNS TABLE (o_kind text, o_positions bigint[], o_version int, o_event_id text, o_actual int, o_head bigint)
  LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $fn$
  DECLARE
    v_head bigint;
    v_n int := coalesce(cardinality(p_event_ids), 0);
    v_cur int; v_ok boolean; v_slow boolean;
  BEGIN
    IF coalesce(cardinality(p_streams), 0) <> 1 THEN
      RAISE EXCEPTION 'tau_append_one takes exactly one request, got %', coalesce(cardinality(p_streams), 0);
    END IF;
    SELECT h.position INTO v_head FROM tau_log_head h WHERE h.id = 1 FOR UPDATE;
    IF NOT FOUND THEN RAISE EXCEPTION 'tau_log_head has no row: schema damaged'; END IF;

    -- Writes only when the request is accepted and every id is new and distinct; v_slow sends it to tau_append.
    WITH chk AS (
      SELECT c.cur,
             CASE p_expected[1] WHEN 'any' THEN true WHEN 'no_stream' THEN c.cur = 0 ELSE p_expected[1]::int = c.cur END AS ok,
             EXISTS (SELECT 1 FROM unnest(p_event_ids) AS u(id)
                      WHERE (SELECT true FROM tau_events s WHERE s.event_id = u.id LIMIT 1))
               OR (v_n > 1 AND v_n > (SELECT count(DISTINCT u.id) FROM unnest(p_event_ids) AS u(id))) AS slow
        FROM (SELECT coalesce((SELECT t.stream_version FROM tau_events t WHERE t.stream_id = p_streams[1]
                                ORDER BY t.stream_version DESC LIMIT 1), 0) AS cur) c
    ), inserted AS (
      INSERT INTO tau_events
        (position, event_id, stream_id, stream_version, type, schema_version, data, metadata, recorded_at)
      SELECT v_head + e.j, e.id, p_streams[1], c.cur + e.j, e.typ, e.sv, e.dat::json, e.meta::json, e.rec
        FROM chk c, unnest(p_event_ids, p_types, p_schema_versions, p_data, p_metadata, p_recorded_at)
                      WITH ORDINALITY AS e(id, typ, sv, dat, meta, rec, j)
       WHERE c.ok AND NOT c.slow
    ), moved AS (
      UPDATE tau_log_head SET position = v_head + v_n FROM chk c
       WHERE tau_log_head.id = 1 AND c.ok AND NOT c.slow AND v_n > 0
      RETURNING pg_notify('tau_events', tau_log_head.position::text)
    )
    SELECT c.cur, c.ok, c.slow INTO v_cur, v_ok, v_slow FROM chk c;

    IF v_slow THEN
      RETURN QUERY SELECT * FROM tau_append(p_streams, p_expected, p_counts, p_event_ids, p_types, p_schema_versions,
                                            p_data, p_metadata, p_recorded_at);
      RETURN;
    END IF;
    IF v_ok THEN
      o_kind := 'ok'; o_positions := ARRAY(SELECT v_head + k FROM generate_series(1, v_n) AS k); o_version := v_cur + v_n;
      RETURN NEXT;
      v_head := v_head + v_n;
    ELSE
      o_kind := 'version'; o_actual := v_cur;
      RETURN NEXT;
    END IF;
    o_kind := 'head'; o_positions := NULL; o_version := NULL; o_actual := NULL; o_head := v_head;
    RETURN NEXT;
  END
  $fn$`
})

export const pgEventLogMigrations = {
  "0001_event_log": eventLog,
  "0004_pg_append_function": appendFunction,
  "0005_pg_append_fast": appendFastFunction,
  "0006_pg_append_one": appendOneFunction
} as const
