SELECT jobtrack.create_job('Agg', external_id => 'agg-' || n) FROM generate_series(1, 8) n;
SELECT jobtrack.set_status(jobtrack.job('agg-2'), 'delayed'), jobtrack.set_status(jobtrack.job('agg-3'), 'started'),
       jobtrack.set_status(jobtrack.job('agg-4'), 'paused'), jobtrack.set_status(jobtrack.job('agg-5'), 'started'),
       jobtrack.set_status(jobtrack.job('agg-5'), 'stuck'), jobtrack.set_status(jobtrack.job('agg-6'), 'started'),
       jobtrack.set_status(jobtrack.job('agg-6'), 'succeeded'), jobtrack.set_status(jobtrack.job('agg-7'), 'started'),
       jobtrack.set_status(jobtrack.job('agg-7'), 'failed'), jobtrack.set_status(jobtrack.job('agg-8'), 'cancelled');
SELECT jobtrack.count_finished(status), jobtrack.count_successful(status), jobtrack.count_failed(status),
       jobtrack.count_cancelled(status), jobtrack.count_running(status), jobtrack.count_queued(status),
       jobtrack.count_not_finished(status)
  FROM jobtrack.for_job('Agg');
-- equal to the plain SQL they stand for
SELECT jobtrack.count_finished(status) = count(*) FILTER (WHERE status IN ('succeeded', 'failed', 'cancelled')) AS finished_ok,
       jobtrack.count_queued(status) = count(*) FILTER (WHERE status IN ('queued', 'delayed')) AS queued_ok,
       jobtrack.count_not_finished(status) = count(*) FILTER (WHERE status NOT IN ('succeeded', 'failed', 'cancelled')) AS not_finished_ok
  FROM jobtrack.job_status;
-- NULLs are not counted, an empty set counts 0
SELECT jobtrack.count_finished(s) FROM (VALUES (NULL::jobtrack.status), ('failed')) v(s);
SELECT jobtrack.count_finished(status) FROM jobtrack.for_job('None');
-- parallel plans: partial counts combine to the serial result
CREATE TABLE agg_big AS SELECT (enum_range(NULL::jobtrack.status))[1 + n % 8] AS status FROM generate_series(1, 100000) n;
ANALYZE agg_big;
SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT jobtrack.count_finished(status) FROM agg_big;
SELECT jobtrack.count_finished(status), jobtrack.count_successful(status), jobtrack.count_failed(status),
       jobtrack.count_cancelled(status), jobtrack.count_running(status), jobtrack.count_queued(status),
       jobtrack.count_not_finished(status)
  FROM agg_big;
RESET max_parallel_workers_per_gather;
SET max_parallel_workers_per_gather = 0;
SELECT jobtrack.count_finished(status), jobtrack.count_successful(status), jobtrack.count_failed(status),
       jobtrack.count_cancelled(status), jobtrack.count_running(status), jobtrack.count_queued(status),
       jobtrack.count_not_finished(status)
  FROM agg_big;
DROP TABLE agg_big;
