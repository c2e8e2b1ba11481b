/**
 * One append request with new, distinct event ids (the usual single append) as one top-level statement, with no
 * PL/pgSQL: ~0.1 ms less server time than `tau_append_one`, about as much as a raw INSERT costs.
 *
 * Parameters: stream, expected version (`any`, `no_stream` or the number as text), then per event id, type,
 * schema version, data text, metadata text and recorded-at. One row back: (declined, accepted, current version of
 * the stream, head before the append).
 *
 * Its snapshot is taken when the statement starts, before the head lock is granted, so it can miss a commit of
 * another process made in between. It notices by comparing the head it locked (`FOR UPDATE` returns the latest
 * committed row) with the head in its snapshot: every commit that writes events moves the head. It then
 * declines, writing nothing, as it does when an id is already stored; the caller sends `tau_append_one`, which
 * takes the lock before it reads. With equal heads the snapshot holds every commit ordered before this one, so
 * the version check, the stored-id probe and the numbering from head+1 are exact, and a version conflict it
 * reports is real. Ids repeated inside the request must not be sent here (the caller checks).
 */
export const appendOneStatement = `WITH locked AS (
  SELECT h.position FROM tau_log_head h WHERE h.id = 1 FOR UPDATE
), decided AS (
  SELECT c.cur,
         (SELECT position FROM locked) IS DISTINCT FROM (SELECT h.position FROM tau_log_head h WHERE h.id = 1)
           OR EXISTS (SELECT 1 FROM unnest($3::text[]) AS u(id)
                       WHERE (SELECT true FROM tau_events s WHERE s.event_id = u.id LIMIT 1)) AS declined,
         CASE $2::text WHEN 'any' THEN true WHEN 'no_stream' THEN c.cur = 0 ELSE $2::text::int = c.cur END AS accepted
    FROM (SELECT coalesce((SELECT t.stream_version FROM tau_events t WHERE t.stream_id = $1::text
                            ORDER BY t.stream_version DESC LIMIT 1), 0) AS cur) c
), inserted AS (
  INSERT INTO tau_events
    (position, event_id, stream_id, stream_version, type, schema_version, data, metadata, recorded_at)
  SELECT l.position + e.j, e.id, $1::text, d.cur + e.j, e.typ, e.sv, e.dat::json, e.meta::json, e.rec
    FROM locked l, decided d,
         unnest($3::text[], $4::text[], $5::int[], $6::text[], $7::text[], $8::timestamptz[])
           WITH ORDINALITY AS e(id, typ, sv, dat, meta, rec, j)
   WHERE d.accepted AND NOT d.declined
), moved AS (
  UPDATE tau_log_head SET position = position + cardinality($3::text[])
   WHERE id = 1 AND cardinality($3::text[]) > 0 AND (SELECT accepted AND NOT declined FROM decided)
  RETURNING pg_notify('tau_events', position::text)
)
SELECT d.declined, d.accepted, d.cur, l.position FROM decided d, locked l`
