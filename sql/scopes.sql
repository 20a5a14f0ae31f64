-- a small, known set of jobs
SELECT jobtrack.create_group('scopes') AS g \gset
SELECT jobtrack.create_job('Report', 'daily', t::jsonb, CASE WHEN n <= 2 THEN :g END)
  FROM (VALUES (1, '{"customer": "42", "size": 5, "region": "eu"}'),
               (2, '{"customer": "42", "size": 50}'),
               (3, '{"customer": "7", "size": "big"}'),
               (4, '{"size": 500.0, "flag": true}'),
               (5, '{}')) AS v(n, t) ORDER BY n;
SELECT min(id) AS r1 FROM jobtrack.job_status WHERE job_type = 'Report' \gset
SELECT jobtrack.start_job(:r1), jobtrack.succeed_job(:r1);
SELECT jobtrack.set_status(:r1 + 1, 'cancelled');
SELECT id - :r1 + 1 AS n, status FROM jobtrack.for_job('Report') ORDER BY id;
SELECT count(*) FROM jobtrack.for_job_alias('daily');
SELECT count(*) FROM jobtrack.for_job('Report') WHERE status = 'succeeded';
-- where_tag: = and != compare the tag's text; a job without the key never matches
SELECT id - :r1 + 1 AS n FROM jobtrack.where_tag('customer', '42') WHERE job_type = 'Report' ORDER BY id;
SELECT id - :r1 + 1 AS n FROM jobtrack.where_tag('customer', '!=', '42') WHERE job_type = 'Report' ORDER BY id;
SELECT id - :r1 + 1 AS n FROM jobtrack.where_tag('size', '=', '5') WHERE job_type = 'Report' ORDER BY id;
SELECT id - :r1 + 1 AS n FROM jobtrack.where_tag('size', '=', '500.0') WHERE job_type = 'Report' ORDER BY id;
SELECT id - :r1 + 1 AS n FROM jobtrack.where_tag('size', '=', '500') WHERE job_type = 'Report' ORDER BY id;
SELECT id - :r1 + 1 AS n FROM jobtrack.where_tag('flag', 'true') WHERE job_type = 'Report' ORDER BY id;
-- the others compare as numbers when both sides are numbers, as text otherwise
SELECT id - :r1 + 1 AS n FROM jobtrack.where_tag('size', '<', '10') WHERE job_type = 'Report' ORDER BY id;
SELECT id - :r1 + 1 AS n FROM jobtrack.where_tag('size', '>=', '50') WHERE job_type = 'Report' ORDER BY id;
SELECT id - :r1 + 1 AS n FROM jobtrack.where_tag('size', '>', '9') WHERE job_type = 'Report' ORDER BY id;
SELECT id - :r1 + 1 AS n FROM jobtrack.where_tag('size', '<=', 'c') WHERE job_type = 'Report' ORDER BY id;
SELECT id - :r1 + 1 AS n FROM jobtrack.where_tag('customer', '<', '5') WHERE job_type = 'Report' ORDER BY id;
-- statuses
SELECT id - :r1 + 1 AS n, status FROM jobtrack.where_status('succeeded', 'cancelled') WHERE job_type = 'Report' ORDER BY id;
SELECT count(*) FROM jobtrack.where_not_status('succeeded', 'cancelled') WHERE job_type = 'Report';
SELECT count(*) FROM jobtrack.in_group(:g);
-- scopes combine with SQL and with each other
SELECT count(*) FROM jobtrack.for_job('Report') j JOIN jobtrack.where_tag('customer', '42') t USING (id);
-- bad arguments fail before any row is read
SELECT * FROM jobtrack.where_tag('size', '~', '5');
SELECT * FROM jobtrack.where_tag('size', NULL, '5');
SELECT * FROM jobtrack.where_tag(NULL, '5');
SELECT * FROM jobtrack.where_tag('size', '=', NULL);
SELECT * FROM jobtrack.for_job(NULL);
SELECT * FROM jobtrack.for_job_alias(NULL);
-- inlined into one index-backed query (planner forced off sequential scans on this small table)
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT * FROM jobtrack.for_job('Report');
EXPLAIN (COSTS OFF) SELECT * FROM jobtrack.for_job_alias('daily');
EXPLAIN (COSTS OFF) SELECT * FROM jobtrack.where_tag('customer', '42');
-- (where_tag with < and the like compare per row: combine them with an indexed scope)
EXPLAIN (COSTS OFF) SELECT * FROM jobtrack.where_tag('size', '<', '10') WHERE job_type = 'Report';
EXPLAIN (COSTS OFF) SELECT * FROM jobtrack.where_status('failed', 'stuck');
EXPLAIN (COSTS OFF) SELECT * FROM jobtrack.where_not_status('queued', 'delayed', 'started', 'paused', 'succeeded');
EXPLAIN (COSTS OFF) SELECT * FROM jobtrack.in_group(1);
RESET enable_seqscan;
-- a tag too large for a number (numeric takes 131072 digits before the point)
-- is compared as text, never an error for other callers
SELECT jobtrack.create_job('Huge', tags => '{"rows": "1e999999"}') AS huge \gset
SELECT jobtrack.create_job('Huge', tags => jsonb_build_object('rows', repeat('9', 140000))) AS long \gset
SELECT jobtrack.create_job('Huge', tags => '{"rows": "5"}') AS small \gset
SELECT id = :small AS small FROM jobtrack.where_tag('rows', '<', '10') WHERE job_type = 'Huge' ORDER BY id;
SELECT count(*) AS above FROM jobtrack.where_tag('rows', '>', '10') WHERE job_type = 'Huge';
SELECT count(*) AS huge_equal FROM jobtrack.where_tag('rows', '>=', '1e999999') WHERE job_type = 'Huge';
