-- the payload of an event
SELECT jobtrack.create_group('payload group') AS g \gset
SELECT jobtrack.create_job('E', group_id => :g) AS a \gset
SELECT jobtrack.create_job('E', group_id => :g) AS b \gset
SELECT jobtrack.start_job(:a), jobtrack.succeed_job(:a), jobtrack.start_job(:b), jobtrack.fail_job(:b, 'x');
SELECT jobtrack.check_groups();
SELECT e.event, e.run, e.payload->>'event' = e.event AS event_ok, (e.payload->>'event_id')::bigint = e.id AS id_ok,
       (e.payload->>'group_id')::bigint = e.group_id AS group_ok, (e.payload->>'run')::int = e.run AS run_ok,
       e.payload->>'title' AS title, (e.payload->>'at')::timestamptz = e.created_at AS at_ok,
       e.payload->'counts' AS counts
  FROM jobtrack.group_event e WHERE e.group_id = :g ORDER BY e.id;
SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys((SELECT payload FROM jobtrack.group_event WHERE group_id = :g LIMIT 1)) k;
-- group_events(after_id) replays in order
SELECT min(id) AS first FROM jobtrack.group_event WHERE group_id = :g \gset
SELECT event FROM jobtrack.group_events(:first - 1) WHERE group_id = :g;
SELECT event FROM jobtrack.group_events(:first) WHERE group_id = :g;
-- a 4,000-byte title (the longest allowed) and a 1 MB payload: the events are raised, the row keeps the whole title
SELECT jobtrack.create_group(repeat('t', 4000), jsonb_build_object('blob', repeat('x', 1000000))) AS big \gset
SELECT jobtrack.create_job('E', group_id => :big) AS c \gset
SELECT jobtrack.start_job(:c), jobtrack.succeed_job(:c);
SELECT jobtrack.check_groups();
SELECT event, length(payload->>'title') AS stored_title FROM jobtrack.group_event WHERE group_id = :big ORDER BY id;
-- one event per group, run and kind, enforced (terse: the detail names the group's id)
\set VERBOSITY terse
INSERT INTO jobtrack.group_event (group_id, run, event, payload)
SELECT group_id, run, event, payload FROM jobtrack.group_event WHERE group_id = :g ORDER BY id LIMIT 1;
\set VERBOSITY default
