\echo Use "ALTER EXTENSION jobtrack UPDATE TO '2.0'" to load this file. \quit

/*
 * jobtrack 1.2 -> 2.0: every function that acts on a job takes jobtrack's
 * id only; a job system's id goes through jobtrack.job(external_id).  The
 * text twins are dropped: an untyped parameter resolved to them, so
 * succeed_job($1) with 1 acted on the job whose external id is "1".  What
 * users do not call moves to schema jobtrack_internal.
 */

CREATE SCHEMA jobtrack_internal;
COMMENT ON SCHEMA jobtrack_internal IS 'jobtrack''s helpers: nothing here is called by users directly';
DROP FUNCTION jobtrack.start_job(pg_catalog.text);
DROP FUNCTION jobtrack.succeed_job(pg_catalog.text);
DROP FUNCTION jobtrack.fail_job(pg_catalog.text, pg_catalog.text);
DROP FUNCTION jobtrack.cancel_job(pg_catalog.text);
DROP FUNCTION jobtrack.pause_job(pg_catalog.text);
DROP FUNCTION jobtrack.retry_job(pg_catalog.text);
DROP FUNCTION jobtrack.set_status(pg_catalog.text, jobtrack.status);
DROP FUNCTION jobtrack.set_progress(pg_catalog.text, pg_catalog.numeric);
DROP FUNCTION jobtrack.set_progress(pg_catalog.text, pg_catalog.int8, pg_catalog.int8);
DROP FUNCTION jobtrack.heartbeat(pg_catalog.text);
DROP FUNCTION jobtrack.add_message(pg_catalog.text, pg_catalog.text, pg_catalog.text);
DROP FUNCTION jobtrack.send_signal(pg_catalog.text, pg_catalog.text, pg_catalog.jsonb, pg_catalog.bool);
DROP FUNCTION jobtrack.request_cancel(pg_catalog.text);
DROP FUNCTION jobtrack.take_signals(pg_catalog.text);
DROP FUNCTION jobtrack.get_status(pg_catalog.text);
DROP FUNCTION jobtrack.percentage(pg_catalog.text);
DROP FUNCTION jobtrack.runtime(pg_catalog.text);
DROP FUNCTION jobtrack.is_successful(pg_catalog.text);
DROP FUNCTION jobtrack.is_failed(pg_catalog.text);
DROP FUNCTION jobtrack.is_cancelled(pg_catalog.text);
DROP FUNCTION jobtrack.is_running(pg_catalog.text);
DROP FUNCTION jobtrack.is_queued(pg_catalog.text);
DROP FUNCTION jobtrack.has_finished(pg_catalog.text);

ALTER FUNCTION jobtrack.job_status_guard() SET SCHEMA jobtrack_internal;
ALTER FUNCTION jobtrack.job_status_record() SET SCHEMA jobtrack_internal;
ALTER FUNCTION jobtrack.job_status_truncated() SET SCHEMA jobtrack_internal;
ALTER FUNCTION jobtrack.group_change_restored() SET SCHEMA jobtrack_internal;
ALTER FUNCTION jobtrack.job_status_deleted() SET SCHEMA jobtrack_internal;
ALTER FUNCTION jobtrack.check_event_horizon(pg_catalog.int8) SET SCHEMA jobtrack_internal;
ALTER FUNCTION jobtrack.check_scope_argument(pg_catalog.text, pg_catalog.text) SET SCHEMA jobtrack_internal;
ALTER FUNCTION jobtrack.check_tag_operator(pg_catalog.text) SET SCHEMA jobtrack_internal;
ALTER FUNCTION jobtrack.tag_probes(pg_catalog.text, pg_catalog.text) SET SCHEMA jobtrack_internal;
ALTER FUNCTION jobtrack.tag_compare(pg_catalog.text, pg_catalog.text, pg_catalog.text) SET SCHEMA jobtrack_internal;
ALTER FUNCTION jobtrack.other_statuses(jobtrack.status[]) SET SCHEMA jobtrack_internal;
ALTER FUNCTION jobtrack.worker_stats() SET SCHEMA jobtrack_internal;
ALTER FUNCTION jobtrack.count_finished_accum(pg_catalog.int8, jobtrack.status) SET SCHEMA jobtrack_internal;
ALTER FUNCTION jobtrack.count_successful_accum(pg_catalog.int8, jobtrack.status) SET SCHEMA jobtrack_internal;
ALTER FUNCTION jobtrack.count_failed_accum(pg_catalog.int8, jobtrack.status) SET SCHEMA jobtrack_internal;
ALTER FUNCTION jobtrack.count_cancelled_accum(pg_catalog.int8, jobtrack.status) SET SCHEMA jobtrack_internal;
ALTER FUNCTION jobtrack.count_running_accum(pg_catalog.int8, jobtrack.status) SET SCHEMA jobtrack_internal;
ALTER FUNCTION jobtrack.count_queued_accum(pg_catalog.int8, jobtrack.status) SET SCHEMA jobtrack_internal;
ALTER FUNCTION jobtrack.count_not_finished_accum(pg_catalog.int8, jobtrack.status) SET SCHEMA jobtrack_internal;

/*
 * The one way to name a job by its job system's id.  Every other function
 * takes the jobtrack id (bigint) only, so an untyped parameter can never
 * resolve to a lookup by external id: succeed_job($1) with '1' is job 1.
 */
CREATE FUNCTION jobtrack.job(external_id pg_catalog.text) RETURNS pg_catalog.int8
	AS 'MODULE_PATHNAME', 'jobtrack_job' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION jobtrack.job(pg_catalog.text) IS 'the id of the job with this external id; P0002 if there is none';

CREATE OR REPLACE FUNCTION jobtrack.for_job(job_type pg_catalog.text) RETURNS SETOF jobtrack.job_status
	LANGUAGE sql STABLE PARALLEL SAFE
	AS $$
	SELECT j.* FROM jobtrack.job_status j
	 WHERE jobtrack_internal.check_scope_argument('job_type', $1)
	   AND j.job_type OPERATOR(pg_catalog.=) $1
	$$;
COMMENT ON FUNCTION jobtrack.for_job(pg_catalog.text) IS 'jobs of one type';

CREATE OR REPLACE FUNCTION jobtrack.for_job_alias(alias pg_catalog.text) RETURNS SETOF jobtrack.job_status
	LANGUAGE sql STABLE PARALLEL SAFE
	AS $$
	SELECT j.* FROM jobtrack.job_status j
	 WHERE jobtrack_internal.check_scope_argument('alias', $1)
	   AND j.alias OPERATOR(pg_catalog.=) $1
	$$;
COMMENT ON FUNCTION jobtrack.for_job_alias(pg_catalog.text) IS 'jobs with one alias';

CREATE OR REPLACE FUNCTION jobtrack.where_tag(key pg_catalog.text, op pg_catalog.text, value pg_catalog.text)
	RETURNS SETOF jobtrack.job_status
	LANGUAGE sql STABLE PARALLEL SAFE
	AS $$
	SELECT j.* FROM jobtrack.job_status j
	 WHERE jobtrack_internal.check_scope_argument('key', $1)
	   AND jobtrack_internal.check_scope_argument('value', $3)
	   AND jobtrack_internal.check_tag_operator($2)
	   AND CASE
			WHEN $2 OPERATOR(pg_catalog.=) '=' THEN
				j.tags OPERATOR(pg_catalog.@>) ANY (jobtrack_internal.tag_probes($1, $3))
				AND (j.tags OPERATOR(pg_catalog.->>) $1) OPERATOR(pg_catalog.=) $3
			WHEN $2 OPERATOR(pg_catalog.=) '!=' THEN
				(j.tags OPERATOR(pg_catalog.->>) $1) OPERATOR(pg_catalog.<>) $3
			ELSE
				jobtrack_internal.tag_compare(j.tags OPERATOR(pg_catalog.->>) $1, $2, $3)
		   END
	$$;
COMMENT ON FUNCTION jobtrack.where_tag(pg_catalog.text, pg_catalog.text, pg_catalog.text)
	IS 'jobs whose tag key compares with value by op (= != < <= > >=); a job without the key never matches';

CREATE OR REPLACE FUNCTION jobtrack.where_tag(key pg_catalog.text, value pg_catalog.text) RETURNS SETOF jobtrack.job_status
	LANGUAGE sql STABLE PARALLEL SAFE
	AS $$
	SELECT j.* FROM jobtrack.job_status j
	 WHERE jobtrack_internal.check_scope_argument('key', $1)
	   AND jobtrack_internal.check_scope_argument('value', $2)
	   AND j.tags OPERATOR(pg_catalog.@>) ANY (jobtrack_internal.tag_probes($1, $2))
	   AND (j.tags OPERATOR(pg_catalog.->>) $1) OPERATOR(pg_catalog.=) $2
	$$;
COMMENT ON FUNCTION jobtrack.where_tag(pg_catalog.text, pg_catalog.text) IS 'jobs whose tag key has the text value';

CREATE OR REPLACE FUNCTION jobtrack.where_not_status(VARIADIC statuses jobtrack.status[]) RETURNS SETOF jobtrack.job_status
	LANGUAGE sql STABLE PARALLEL SAFE
	AS $$
	SELECT j.* FROM jobtrack.job_status j
	 WHERE j.status OPERATOR(pg_catalog.=) ANY (jobtrack_internal.other_statuses($1))
	$$;
COMMENT ON FUNCTION jobtrack.where_not_status(jobtrack.status[]) IS 'jobs in none of the statuses';

CREATE OR REPLACE FUNCTION jobtrack.in_group(group_id pg_catalog.int8) RETURNS SETOF jobtrack.job_status
	LANGUAGE sql STABLE PARALLEL SAFE
	AS $$
	SELECT j.* FROM jobtrack.job_status j
	 WHERE jobtrack_internal.check_scope_argument('group_id', $1::pg_catalog.text)
	   AND j.group_id OPERATOR(pg_catalog.=) $1
	$$;
COMMENT ON FUNCTION jobtrack.in_group(pg_catalog.int8) IS 'jobs of one group';

CREATE OR REPLACE FUNCTION jobtrack.group_events(after_id pg_catalog.int8 DEFAULT 0) RETURNS SETOF jobtrack.group_event
	LANGUAGE sql STABLE
	AS $$
	SELECT e.* FROM jobtrack.group_event e
	 WHERE jobtrack_internal.check_event_horizon($1)
	   AND e.id OPERATOR(pg_catalog.>) COALESCE($1, 0)
	 ORDER BY e.id
	$$;
COMMENT ON FUNCTION jobtrack.group_events(pg_catalog.int8) IS 'group events after an event id, in the order they were raised; every kept event from 0 (no position yet); JT001 if retention deleted events after a later after_id';

CREATE FUNCTION jobtrack.recount_groups(group_id pg_catalog.int8 DEFAULT NULL) RETURNS pg_catalog.int4
	AS 'MODULE_PATHNAME', 'jobtrack_recount_groups' LANGUAGE C VOLATILE
	SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION jobtrack.recount_groups(pg_catalog.int8) IS 'counts a group''s jobs afresh (every group''s for NULL), for changes no trigger saw, and evaluates it; returns the events raised';


-- views for psql, made for \watch 1 in an 80-column terminal:
--   SELECT * FROM jobtrack.group_overview LIMIT 20 \watch 1
--   SELECT * FROM jobtrack.running_jobs LIMIT 20 \watch 1
--
-- group_overview reads the open groups (job_group, through its partial index
-- on open groups) and their counts from group_count (kept by the evaluator),
-- never job_status: its cost is the number of open groups, not of jobs.
-- The ETA divides the unfinished jobs by the group's finish rate over its
-- current run (finished jobs / time since the run started); group_count
-- keeps no history, so this is the rate since the run started.
--
-- running_jobs reads the started and stuck jobs through the status index.
-- `flag` says `stuck` for a job the maintenance marked stuck, and `late` for
-- a started job whose heartbeat (or start) is older than
-- jobtrack.stuck_after (when that is set), i.e. one about to be marked stuck.

-- The subquery (kept apart by OFFSET 0, so that its expressions are computed
-- once per row and not copied into every branch of the CASEs) reads the
-- numbers in id order; the outer query only formats them.
CREATE VIEW jobtrack.group_overview AS
SELECT y.id,
	   CASE WHEN pg_catalog.length(y.t) OPERATOR(pg_catalog.>) 20
			THEN pg_catalog.left(y.t, 19) OPERATOR(pg_catalog.||) '…'
			ELSE y.t END AS title,
	   y.run,
	   (y.finished::pg_catalog.text OPERATOR(pg_catalog.||) '/'
			OPERATOR(pg_catalog.||) y.total::pg_catalog.text) AS done,
	   y.failed AS fail,
	   (pg_catalog.substr('##########..........', 11 OPERATOR(pg_catalog.-) y.filled, 10)
			OPERATOR(pg_catalog.||) pg_catalog.lpad(y.pct::pg_catalog.text, 4) OPERATOR(pg_catalog.||) '%') AS progress,
	   CASE WHEN y.age_s IS NULL THEN ''
			WHEN y.age_s OPERATOR(pg_catalog.<) 60 THEN y.age_s::pg_catalog.text OPERATOR(pg_catalog.||) 's'
			WHEN y.age_s OPERATOR(pg_catalog.<) 3600
				THEN (y.age_s OPERATOR(pg_catalog./) 60)::pg_catalog.text OPERATOR(pg_catalog.||) 'm'
			WHEN y.age_s OPERATOR(pg_catalog.<) 86400
				THEN (y.age_s OPERATOR(pg_catalog./) 3600)::pg_catalog.text OPERATOR(pg_catalog.||) 'h'
					 OPERATOR(pg_catalog.||) (y.age_s OPERATOR(pg_catalog.%) 3600 OPERATOR(pg_catalog./) 60)::pg_catalog.text
					 OPERATOR(pg_catalog.||) 'm'
			WHEN y.age_s OPERATOR(pg_catalog.<) 8640000
				THEN (y.age_s OPERATOR(pg_catalog./) 86400)::pg_catalog.text OPERATOR(pg_catalog.||) 'd'
					 OPERATOR(pg_catalog.||) (y.age_s OPERATOR(pg_catalog.%) 86400 OPERATOR(pg_catalog./) 3600)::pg_catalog.text
					 OPERATOR(pg_catalog.||) 'h'
			ELSE '>99d'
	   END AS age,
	   CASE WHEN y.eta_s IS NULL THEN ''
			WHEN y.eta_s OPERATOR(pg_catalog.<) 60 THEN y.eta_s::pg_catalog.text OPERATOR(pg_catalog.||) 's'
			WHEN y.eta_s OPERATOR(pg_catalog.<) 3600
				THEN (y.eta_s OPERATOR(pg_catalog./) 60)::pg_catalog.text OPERATOR(pg_catalog.||) 'm'
			WHEN y.eta_s OPERATOR(pg_catalog.<) 86400
				THEN (y.eta_s OPERATOR(pg_catalog./) 3600)::pg_catalog.text OPERATOR(pg_catalog.||) 'h'
					 OPERATOR(pg_catalog.||) (y.eta_s OPERATOR(pg_catalog.%) 3600 OPERATOR(pg_catalog./) 60)::pg_catalog.text
					 OPERATOR(pg_catalog.||) 'm'
			WHEN y.eta_s OPERATOR(pg_catalog.<) 8640000
				THEN (y.eta_s OPERATOR(pg_catalog./) 86400)::pg_catalog.text OPERATOR(pg_catalog.||) 'd'
					 OPERATOR(pg_catalog.||) (y.eta_s OPERATOR(pg_catalog.%) 86400 OPERATOR(pg_catalog./) 3600)::pg_catalog.text
					 OPERATOR(pg_catalog.||) 'h'
			ELSE '>99d'
	   END AS eta
  FROM (SELECT g.id, g.run,
			   pg_catalog.translate(pg_catalog.left(g.title, 21), E'\n\r\t', '   ') AS t,
			   (COALESCE(c.queued, 0) OPERATOR(pg_catalog.+) COALESCE(c.delayed, 0)
						 OPERATOR(pg_catalog.+) COALESCE(c.started, 0) OPERATOR(pg_catalog.+) COALESCE(c.paused, 0)
						 OPERATOR(pg_catalog.+) COALESCE(c.stuck, 0) OPERATOR(pg_catalog.+) COALESCE(c.succeeded, 0)
						 OPERATOR(pg_catalog.+) COALESCE(c.failed, 0) OPERATOR(pg_catalog.+) COALESCE(c.cancelled, 0)) AS total,
			   (COALESCE(c.succeeded, 0) OPERATOR(pg_catalog.+) COALESCE(c.failed, 0)
						 OPERATOR(pg_catalog.+) COALESCE(c.cancelled, 0)) AS finished,
			   COALESCE(c.failed, 0) AS failed,
			   CASE WHEN (COALESCE(c.queued, 0) OPERATOR(pg_catalog.+) COALESCE(c.delayed, 0)
						 OPERATOR(pg_catalog.+) COALESCE(c.started, 0) OPERATOR(pg_catalog.+) COALESCE(c.paused, 0)
						 OPERATOR(pg_catalog.+) COALESCE(c.stuck, 0) OPERATOR(pg_catalog.+) COALESCE(c.succeeded, 0)
						 OPERATOR(pg_catalog.+) COALESCE(c.failed, 0) OPERATOR(pg_catalog.+) COALESCE(c.cancelled, 0)) OPERATOR(pg_catalog.=) 0 THEN 0
					ELSE (100 OPERATOR(pg_catalog.*) (COALESCE(c.succeeded, 0) OPERATOR(pg_catalog.+) COALESCE(c.failed, 0)
						 OPERATOR(pg_catalog.+) COALESCE(c.cancelled, 0)) OPERATOR(pg_catalog./) (COALESCE(c.queued, 0) OPERATOR(pg_catalog.+) COALESCE(c.delayed, 0)
						 OPERATOR(pg_catalog.+) COALESCE(c.started, 0) OPERATOR(pg_catalog.+) COALESCE(c.paused, 0)
						 OPERATOR(pg_catalog.+) COALESCE(c.stuck, 0) OPERATOR(pg_catalog.+) COALESCE(c.succeeded, 0)
						 OPERATOR(pg_catalog.+) COALESCE(c.failed, 0) OPERATOR(pg_catalog.+) COALESCE(c.cancelled, 0)))::pg_catalog.int4 END AS pct,
			   CASE WHEN (COALESCE(c.queued, 0) OPERATOR(pg_catalog.+) COALESCE(c.delayed, 0)
						 OPERATOR(pg_catalog.+) COALESCE(c.started, 0) OPERATOR(pg_catalog.+) COALESCE(c.paused, 0)
						 OPERATOR(pg_catalog.+) COALESCE(c.stuck, 0) OPERATOR(pg_catalog.+) COALESCE(c.succeeded, 0)
						 OPERATOR(pg_catalog.+) COALESCE(c.failed, 0) OPERATOR(pg_catalog.+) COALESCE(c.cancelled, 0)) OPERATOR(pg_catalog.=) 0 THEN 0
					ELSE (10 OPERATOR(pg_catalog.*) (COALESCE(c.succeeded, 0) OPERATOR(pg_catalog.+) COALESCE(c.failed, 0)
						 OPERATOR(pg_catalog.+) COALESCE(c.cancelled, 0)) OPERATOR(pg_catalog./) (COALESCE(c.queued, 0) OPERATOR(pg_catalog.+) COALESCE(c.delayed, 0)
						 OPERATOR(pg_catalog.+) COALESCE(c.started, 0) OPERATOR(pg_catalog.+) COALESCE(c.paused, 0)
						 OPERATOR(pg_catalog.+) COALESCE(c.stuck, 0) OPERATOR(pg_catalog.+) COALESCE(c.succeeded, 0)
						 OPERATOR(pg_catalog.+) COALESCE(c.failed, 0) OPERATOR(pg_catalog.+) COALESCE(c.cancelled, 0)))::pg_catalog.int4 END AS filled,
			   pg_catalog.date_part('epoch', pg_catalog.now() OPERATOR(pg_catalog.-) COALESCE(g.started_at, g.created_at))::pg_catalog.int8 AS age_s,
			   CASE WHEN g.started_at IS NULL OR (COALESCE(c.succeeded, 0) OPERATOR(pg_catalog.+) COALESCE(c.failed, 0)
						 OPERATOR(pg_catalog.+) COALESCE(c.cancelled, 0)) OPERATOR(pg_catalog.=) 0
						 OR (COALESCE(c.succeeded, 0) OPERATOR(pg_catalog.+) COALESCE(c.failed, 0)
						 OPERATOR(pg_catalog.+) COALESCE(c.cancelled, 0)) OPERATOR(pg_catalog.>=) (COALESCE(c.queued, 0) OPERATOR(pg_catalog.+) COALESCE(c.delayed, 0)
						 OPERATOR(pg_catalog.+) COALESCE(c.started, 0) OPERATOR(pg_catalog.+) COALESCE(c.paused, 0)
						 OPERATOR(pg_catalog.+) COALESCE(c.stuck, 0) OPERATOR(pg_catalog.+) COALESCE(c.succeeded, 0)
						 OPERATOR(pg_catalog.+) COALESCE(c.failed, 0) OPERATOR(pg_catalog.+) COALESCE(c.cancelled, 0)) THEN NULL
					ELSE (pg_catalog.date_part('epoch', pg_catalog.now() OPERATOR(pg_catalog.-) COALESCE(g.started_at, g.created_at)) OPERATOR(pg_catalog.*) ((COALESCE(c.queued, 0) OPERATOR(pg_catalog.+) COALESCE(c.delayed, 0)
						 OPERATOR(pg_catalog.+) COALESCE(c.started, 0) OPERATOR(pg_catalog.+) COALESCE(c.paused, 0)
						 OPERATOR(pg_catalog.+) COALESCE(c.stuck, 0) OPERATOR(pg_catalog.+) COALESCE(c.succeeded, 0)
						 OPERATOR(pg_catalog.+) COALESCE(c.failed, 0) OPERATOR(pg_catalog.+) COALESCE(c.cancelled, 0)) OPERATOR(pg_catalog.-) (COALESCE(c.succeeded, 0) OPERATOR(pg_catalog.+) COALESCE(c.failed, 0)
						 OPERATOR(pg_catalog.+) COALESCE(c.cancelled, 0)))
						 OPERATOR(pg_catalog./) (COALESCE(c.succeeded, 0) OPERATOR(pg_catalog.+) COALESCE(c.failed, 0)
						 OPERATOR(pg_catalog.+) COALESCE(c.cancelled, 0)))::pg_catalog.int8 END AS eta_s
		  FROM jobtrack.job_group g
		  LEFT JOIN jobtrack.group_count c ON c.group_id OPERATOR(pg_catalog.=) g.id
		 WHERE g.status OPERATOR(pg_catalog.<>) 'completed'::jobtrack.group_status
		 ORDER BY g.id
		OFFSET 0) y;

COMMENT ON VIEW jobtrack.group_overview IS 'one line per open group, for \watch: done/total, failed, a progress bar, age and an ETA from the run''s finish rate; reads group_count, never job_status';

CREATE VIEW jobtrack.running_jobs AS
SELECT j.id,
	   CASE WHEN pg_catalog.length(j.job_type) OPERATOR(pg_catalog.>) 16
			THEN pg_catalog.left(pg_catalog.regexp_replace(j.job_type, '[[:cntrl:]]', ' ', 'g'), 15) OPERATOR(pg_catalog.||) '…'
			ELSE pg_catalog.regexp_replace(j.job_type, '[[:cntrl:]]', ' ', 'g') END AS type,
	   CASE WHEN pg_catalog.length(j.alias) OPERATOR(pg_catalog.>) 12
			THEN pg_catalog.left(pg_catalog.regexp_replace(j.alias, '[[:cntrl:]]', ' ', 'g'), 11) OPERATOR(pg_catalog.||) '…'
			ELSE COALESCE(pg_catalog.regexp_replace(j.alias, '[[:cntrl:]]', ' ', 'g'), '') END AS alias,
	   j.group_id AS "group",
	   (pg_catalog.repeat('#', p.filled) OPERATOR(pg_catalog.||)
			pg_catalog.repeat('.', 10 OPERATOR(pg_catalog.-) p.filled) OPERATOR(pg_catalog.||) ' '
			OPERATOR(pg_catalog.||) pg_catalog.lpad(p.pct::pg_catalog.text, 3) OPERATOR(pg_catalog.||) '%') AS progress,
	   CASE WHEN h.beat_s IS NULL THEN ''
			WHEN h.beat_s OPERATOR(pg_catalog.<) 60 THEN h.beat_s::pg_catalog.text OPERATOR(pg_catalog.||) 's'
			WHEN h.beat_s OPERATOR(pg_catalog.<) 3600
				THEN (h.beat_s OPERATOR(pg_catalog./) 60)::pg_catalog.text OPERATOR(pg_catalog.||) 'm'
			WHEN h.beat_s OPERATOR(pg_catalog.<) 86400
				THEN (h.beat_s OPERATOR(pg_catalog./) 3600)::pg_catalog.text OPERATOR(pg_catalog.||) 'h'
			ELSE (h.beat_s OPERATOR(pg_catalog./) 86400)::pg_catalog.text OPERATOR(pg_catalog.||) 'd'
	   END AS beat,
	   CASE WHEN j.status OPERATOR(pg_catalog.=) 'stuck'::jobtrack.status THEN 'stuck'
			WHEN s.after OPERATOR(pg_catalog.>) '0'::pg_catalog.interval
				 AND pg_catalog.now() OPERATOR(pg_catalog.-) COALESCE(j.heartbeat_at, j.started_at)
					 OPERATOR(pg_catalog.>) s.after THEN 'late'
			ELSE '' END AS flag
  FROM jobtrack.job_status j
 CROSS JOIN (
		SELECT COALESCE(NULLIF(pg_catalog.current_setting('jobtrack.stuck_after', true), ''), '0')::pg_catalog.interval AS after) s
 CROSS JOIN LATERAL (
		SELECT pg_catalog.floor(LEAST(GREATEST(j.percentage, 0), 100))::pg_catalog.int4 AS pct,
			   pg_catalog.floor(LEAST(GREATEST(j.percentage, 0), 100) OPERATOR(pg_catalog./) 10)::pg_catalog.int4 AS filled) p
 CROSS JOIN LATERAL (
		SELECT pg_catalog.floor(pg_catalog.date_part('epoch',
				   pg_catalog.now() OPERATOR(pg_catalog.-) COALESCE(j.heartbeat_at, j.started_at)))::pg_catalog.int8 AS beat_s) h
 WHERE j.status OPERATOR(pg_catalog.=) ANY ('{started,stuck}'::jobtrack.status[])
 ORDER BY j.id;

COMMENT ON VIEW jobtrack.running_jobs IS 'one line per started or stuck job, for \watch: type, alias, group, a progress bar, the heartbeat''s age and a stuck/late flag';

REVOKE ALL ON SCHEMA jobtrack_internal FROM PUBLIC;
REVOKE ALL ON jobtrack.group_overview, jobtrack.running_jobs FROM PUBLIC;
REVOKE ALL ON FUNCTION jobtrack.recount_groups(pg_catalog.int8) FROM PUBLIC;
REVOKE ALL ON FUNCTION jobtrack.job(pg_catalog.text) FROM PUBLIC;
