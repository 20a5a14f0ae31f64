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
-- in C: it also has the worker's next pass read the whole change log
CREATE OR REPLACE FUNCTION jobtrack_internal.group_change_restored() RETURNS trigger
	AS 'MODULE_PATHNAME', 'jobtrack_group_change_restored'
	LANGUAGE C;
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

-- the tag index without its pending list and without the jobs that have no
-- tags (see jobtrack.sql), built anew from the table
DROP INDEX jobtrack.job_status_tags_idx;
CREATE INDEX job_status_tags_idx ON jobtrack.job_status USING gin (tags jsonb_path_ops)
	WITH (fastupdate = off) WHERE tags OPERATOR(pg_catalog.<>) '{}'::pg_catalog.jsonb;

-- live progress (live.c): a started job's slot overlays its stored columns;
-- STABLE so that the scopes that use them stay inlinable
CREATE FUNCTION jobtrack_internal.live_percentage(job_id pg_catalog.int8, status jobtrack.status, stored pg_catalog.numeric)
	RETURNS pg_catalog.numeric
	AS 'MODULE_PATHNAME', 'jobtrack_live_percentage' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION jobtrack_internal.live_percentage(pg_catalog.int8, jobtrack.status, pg_catalog.numeric)
	IS 'internal: a started job''s live percentage, else the stored one';
CREATE FUNCTION jobtrack_internal.live_current(job_id pg_catalog.int8, status jobtrack.status, stored pg_catalog.int8)
	RETURNS pg_catalog.int8
	AS 'MODULE_PATHNAME', 'jobtrack_live_current' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION jobtrack_internal.live_current(pg_catalog.int8, jobtrack.status, pg_catalog.int8)
	IS 'internal: a started job''s live progress_current, else the stored one';
CREATE FUNCTION jobtrack_internal.live_total(job_id pg_catalog.int8, status jobtrack.status, stored pg_catalog.int8)
	RETURNS pg_catalog.int8
	AS 'MODULE_PATHNAME', 'jobtrack_live_total' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION jobtrack_internal.live_total(pg_catalog.int8, jobtrack.status, pg_catalog.int8)
	IS 'internal: a started job''s live progress_total, else the stored one';
CREATE FUNCTION jobtrack_internal.live_heartbeat(job_id pg_catalog.int8, status jobtrack.status, stored pg_catalog.timestamptz)
	RETURNS pg_catalog.timestamptz
	AS 'MODULE_PATHNAME', 'jobtrack_live_heartbeat' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION jobtrack_internal.live_heartbeat(pg_catalog.int8, jobtrack.status, pg_catalog.timestamptz)
	IS 'internal: a started job''s live heartbeat, else the stored one';
CREATE FUNCTION jobtrack_internal.live_slots(OUT job_id pg_catalog.int8, OUT percentage pg_catalog.numeric,
	OUT progress_current pg_catalog.int8, OUT progress_total pg_catalog.int8,
	OUT heartbeat_at pg_catalog.timestamptz, OUT stored pg_catalog.bool)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'jobtrack_live_slot_list' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION jobtrack_internal.live_slots() IS 'internal: the live slots of this database';

CREATE VIEW jobtrack.live_progress WITH (security_invoker = true) AS
SELECT s.job_id, s.percentage, s.progress_current, s.progress_total, s.heartbeat_at, s.stored
  FROM jobtrack_internal.live_slots() s
  -- a join, not a correlated EXISTS, so that Citus can run it on a sharded job_status
  JOIN jobtrack.job_status j ON j.id OPERATOR(pg_catalog.=) s.job_id;
COMMENT ON VIEW jobtrack.live_progress IS 'the live progress of started jobs you can see: values not yet in their rows (stored false) or already there (stored true)';

-- runs the flush as the extension's owner, for a caller with UPDATE on
-- job_status and no row-level security (it locks every started job's row)
CREATE FUNCTION jobtrack.flush_progress() RETURNS pg_catalog.int4
	AS 'MODULE_PATHNAME', 'jobtrack_flush_progress' LANGUAGE C VOLATILE
	SET search_path = pg_catalog, pg_temp SET jit = off;
COMMENT ON FUNCTION jobtrack.flush_progress() IS 'writes the live progress of this database''s started jobs to their rows now, as the worker does once per jobtrack.live_flush_interval; returns the rows written';

CREATE OR REPLACE FUNCTION jobtrack.for_job(job_type pg_catalog.text) RETURNS SETOF jobtrack.job_status
	LANGUAGE sql STABLE PARALLEL SAFE
	AS $$
	SELECT j.id, j.external_id, j.job_type, j.alias, j.group_id, j.tags, j.status,
	       jobtrack_internal.live_percentage(j.id, j.status, j.percentage),
	       jobtrack_internal.live_current(j.id, j.status, j.progress_current),
	       jobtrack_internal.live_total(j.id, j.status, j.progress_total),
	       j.attempts, j.data, j.failed_reason, j.created_at, j.available_at, j.started_at,
	       j.finished_at, jobtrack_internal.live_heartbeat(j.id, j.status, j.heartbeat_at),
	       j.updated_at, j.owner
	  FROM jobtrack.job_status j
	 WHERE jobtrack_internal.check_scope_argument('job_type', $1)
	   AND j.job_type OPERATOR(pg_catalog.=) $1
	$$;
COMMENT ON FUNCTION jobtrack.for_job(pg_catalog.text) IS 'jobs of one type';

CREATE OR REPLACE FUNCTION jobtrack.for_job_alias(alias pg_catalog.text) RETURNS SETOF jobtrack.job_status
	LANGUAGE sql STABLE PARALLEL SAFE
	AS $$
	SELECT j.id, j.external_id, j.job_type, j.alias, j.group_id, j.tags, j.status,
	       jobtrack_internal.live_percentage(j.id, j.status, j.percentage),
	       jobtrack_internal.live_current(j.id, j.status, j.progress_current),
	       jobtrack_internal.live_total(j.id, j.status, j.progress_total),
	       j.attempts, j.data, j.failed_reason, j.created_at, j.available_at, j.started_at,
	       j.finished_at, jobtrack_internal.live_heartbeat(j.id, j.status, j.heartbeat_at),
	       j.updated_at, j.owner
	  FROM jobtrack.job_status j
	 WHERE jobtrack_internal.check_scope_argument('alias', $1)
	   AND j.alias OPERATOR(pg_catalog.=) $1
	$$;
COMMENT ON FUNCTION jobtrack.for_job_alias(pg_catalog.text) IS 'jobs with one alias';

CREATE OR REPLACE FUNCTION jobtrack.where_tag(key pg_catalog.text, op pg_catalog.text, value pg_catalog.text)
	RETURNS SETOF jobtrack.job_status
	LANGUAGE sql STABLE PARALLEL SAFE
	AS $$
	SELECT j.id, j.external_id, j.job_type, j.alias, j.group_id, j.tags, j.status,
	       jobtrack_internal.live_percentage(j.id, j.status, j.percentage),
	       jobtrack_internal.live_current(j.id, j.status, j.progress_current),
	       jobtrack_internal.live_total(j.id, j.status, j.progress_total),
	       j.attempts, j.data, j.failed_reason, j.created_at, j.available_at, j.started_at,
	       j.finished_at, jobtrack_internal.live_heartbeat(j.id, j.status, j.heartbeat_at),
	       j.updated_at, j.owner
	  FROM jobtrack.job_status j
	 WHERE jobtrack_internal.check_scope_argument('key', $1)
	   AND jobtrack_internal.check_scope_argument('value', $3)
	   AND jobtrack_internal.check_tag_operator($2)
	   AND CASE
			WHEN $2 OPERATOR(pg_catalog.=) '=' THEN
				j.tags OPERATOR(pg_catalog.<>) '{}'::pg_catalog.jsonb
				AND j.tags OPERATOR(pg_catalog.@>) ANY (jobtrack_internal.tag_probes($1, $3))
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
	SELECT j.id, j.external_id, j.job_type, j.alias, j.group_id, j.tags, j.status,
	       jobtrack_internal.live_percentage(j.id, j.status, j.percentage),
	       jobtrack_internal.live_current(j.id, j.status, j.progress_current),
	       jobtrack_internal.live_total(j.id, j.status, j.progress_total),
	       j.attempts, j.data, j.failed_reason, j.created_at, j.available_at, j.started_at,
	       j.finished_at, jobtrack_internal.live_heartbeat(j.id, j.status, j.heartbeat_at),
	       j.updated_at, j.owner
	  FROM jobtrack.job_status j
	 WHERE jobtrack_internal.check_scope_argument('key', $1)
	   AND jobtrack_internal.check_scope_argument('value', $2)
	   AND j.tags OPERATOR(pg_catalog.<>) '{}'::pg_catalog.jsonb
	   AND j.tags OPERATOR(pg_catalog.@>) ANY (jobtrack_internal.tag_probes($1, $2))
	   AND (j.tags OPERATOR(pg_catalog.->>) $1) OPERATOR(pg_catalog.=) $2
	$$;
COMMENT ON FUNCTION jobtrack.where_tag(pg_catalog.text, pg_catalog.text) IS 'jobs whose tag key has the text value';

CREATE OR REPLACE FUNCTION jobtrack.where_status(VARIADIC statuses jobtrack.status[]) RETURNS SETOF jobtrack.job_status
	LANGUAGE sql STABLE PARALLEL SAFE
	AS $$
	SELECT j.id, j.external_id, j.job_type, j.alias, j.group_id, j.tags, j.status,
	       jobtrack_internal.live_percentage(j.id, j.status, j.percentage),
	       jobtrack_internal.live_current(j.id, j.status, j.progress_current),
	       jobtrack_internal.live_total(j.id, j.status, j.progress_total),
	       j.attempts, j.data, j.failed_reason, j.created_at, j.available_at, j.started_at,
	       j.finished_at, jobtrack_internal.live_heartbeat(j.id, j.status, j.heartbeat_at),
	       j.updated_at, j.owner
	  FROM jobtrack.job_status j
	 WHERE j.status OPERATOR(pg_catalog.=) ANY ($1)
	$$;
CREATE OR REPLACE FUNCTION jobtrack.where_not_status(VARIADIC statuses jobtrack.status[]) RETURNS SETOF jobtrack.job_status
	LANGUAGE sql STABLE PARALLEL SAFE
	AS $$
	SELECT j.id, j.external_id, j.job_type, j.alias, j.group_id, j.tags, j.status,
	       jobtrack_internal.live_percentage(j.id, j.status, j.percentage),
	       jobtrack_internal.live_current(j.id, j.status, j.progress_current),
	       jobtrack_internal.live_total(j.id, j.status, j.progress_total),
	       j.attempts, j.data, j.failed_reason, j.created_at, j.available_at, j.started_at,
	       j.finished_at, jobtrack_internal.live_heartbeat(j.id, j.status, j.heartbeat_at),
	       j.updated_at, j.owner
	  FROM jobtrack.job_status j
	 WHERE j.status OPERATOR(pg_catalog.=) ANY (jobtrack_internal.other_statuses($1))
	$$;
COMMENT ON FUNCTION jobtrack.where_not_status(jobtrack.status[]) IS 'jobs in none of the statuses';

CREATE OR REPLACE FUNCTION jobtrack.in_group(group_id pg_catalog.int8) RETURNS SETOF jobtrack.job_status
	LANGUAGE sql STABLE PARALLEL SAFE
	AS $$
	SELECT j.id, j.external_id, j.job_type, j.alias, j.group_id, j.tags, j.status,
	       jobtrack_internal.live_percentage(j.id, j.status, j.percentage),
	       jobtrack_internal.live_current(j.id, j.status, j.progress_current),
	       jobtrack_internal.live_total(j.id, j.status, j.progress_total),
	       j.attempts, j.data, j.failed_reason, j.created_at, j.available_at, j.started_at,
	       j.finished_at, jobtrack_internal.live_heartbeat(j.id, j.status, j.heartbeat_at),
	       j.updated_at, j.owner
	  FROM jobtrack.job_status j
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
	SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off
	SET plan_cache_mode = auto;
COMMENT ON FUNCTION jobtrack.recount_groups(pg_catalog.int8) IS 'counts a group''s jobs afresh (every group''s for NULL), for changes no trigger saw, and evaluates it; returns the events raised';


-- views for psql, made for \watch 1 in an 80-column terminal:
--   SELECT * FROM jobtrack.group_overview LIMIT 20 \watch 1
--   SELECT * FROM jobtrack.running_jobs LIMIT 20 \watch 1

CREATE FUNCTION jobtrack_internal.short_duration(seconds pg_catalog.int8) RETURNS pg_catalog.text
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	AS $$
	SELECT CASE WHEN $1 IS NULL THEN ''
		WHEN $1 OPERATOR(pg_catalog.<) 60 THEN $1::pg_catalog.text OPERATOR(pg_catalog.||) 's'
		WHEN $1 OPERATOR(pg_catalog.<) 3600
			THEN ($1 OPERATOR(pg_catalog./) 60)::pg_catalog.text OPERATOR(pg_catalog.||) 'm'
		WHEN $1 OPERATOR(pg_catalog.<) 86400
			THEN ($1 OPERATOR(pg_catalog./) 3600)::pg_catalog.text OPERATOR(pg_catalog.||) 'h'
				 OPERATOR(pg_catalog.||) ($1 OPERATOR(pg_catalog.%) 3600 OPERATOR(pg_catalog./) 60)::pg_catalog.text
				 OPERATOR(pg_catalog.||) 'm'
		WHEN $1 OPERATOR(pg_catalog.<) 8640000
			THEN ($1 OPERATOR(pg_catalog./) 86400)::pg_catalog.text OPERATOR(pg_catalog.||) 'd'
				 OPERATOR(pg_catalog.||) ($1 OPERATOR(pg_catalog.%) 86400 OPERATOR(pg_catalog./) 3600)::pg_catalog.text
				 OPERATOR(pg_catalog.||) 'h'
		ELSE '>99d' END
	$$;
COMMENT ON FUNCTION jobtrack_internal.short_duration(pg_catalog.int8) IS 'internal: a number of seconds as 42s, 7m, 3h12m or 2d5h, for the psql views';

CREATE FUNCTION jobtrack_internal.text_bar(percent pg_catalog.int4) RETURNS pg_catalog.text
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	AS $$
	SELECT pg_catalog.repeat('#', $1 OPERATOR(pg_catalog./) 10)
		   OPERATOR(pg_catalog.||) pg_catalog.repeat('.', 10 OPERATOR(pg_catalog.-) ($1 OPERATOR(pg_catalog./) 10))
		   OPERATOR(pg_catalog.||) ' ' OPERATOR(pg_catalog.||) pg_catalog.lpad($1::pg_catalog.text, 3)
		   OPERATOR(pg_catalog.||) '%'
	$$;
COMMENT ON FUNCTION jobtrack_internal.text_bar(pg_catalog.int4) IS 'internal: a percentage (0 to 100) as a 10-character bar and a number, for the psql views';

/*
 * One line per open group, from the evaluator's counts (group_count), never
 * from every job: the cost is the number of open groups.  The ETA divides
 * the unfinished jobs by the finish rate of the current run (group_count
 * keeps no history).
 */
CREATE VIEW jobtrack.group_overview AS
SELECT x.id,
	   CASE WHEN pg_catalog.length(x.t) OPERATOR(pg_catalog.>) 20
			THEN pg_catalog.left(x.t, 19) OPERATOR(pg_catalog.||) '…' ELSE x.t END AS title,
	   x.run,
	   x.finished::pg_catalog.text OPERATOR(pg_catalog.||) '/' OPERATOR(pg_catalog.||) x.total::pg_catalog.text AS done,
	   x.failed AS fail,
	   jobtrack_internal.text_bar(CASE WHEN x.total OPERATOR(pg_catalog.=) 0 THEN 0
			ELSE (100 OPERATOR(pg_catalog.*) x.finished OPERATOR(pg_catalog./) x.total)::pg_catalog.int4 END) AS progress,
	   jobtrack_internal.short_duration(x.age_s::pg_catalog.int8) AS age,
	   jobtrack_internal.short_duration(CASE
			WHEN x.started_at IS NULL OR x.finished OPERATOR(pg_catalog.=) 0
				 OR x.finished OPERATOR(pg_catalog.>=) x.total THEN NULL
			ELSE (x.age_s OPERATOR(pg_catalog.*) (x.total OPERATOR(pg_catalog.-) x.finished)
				  OPERATOR(pg_catalog./) x.finished)::pg_catalog.int8 END) AS eta
  FROM (SELECT g.id, g.run, g.started_at,
			   pg_catalog.translate(pg_catalog.left(g.title, 21), E'\n\r\t', '   ') AS t,
			   COALESCE(c.queued OPERATOR(pg_catalog.+) c.delayed OPERATOR(pg_catalog.+) c.started
						OPERATOR(pg_catalog.+) c.paused OPERATOR(pg_catalog.+) c.stuck
						OPERATOR(pg_catalog.+) c.succeeded OPERATOR(pg_catalog.+) c.failed
						OPERATOR(pg_catalog.+) c.cancelled, 0) AS total,
			   COALESCE(c.succeeded OPERATOR(pg_catalog.+) c.failed OPERATOR(pg_catalog.+) c.cancelled, 0) AS finished,
			   COALESCE(c.failed, 0) AS failed,
			   pg_catalog.date_part('epoch', pg_catalog.now() OPERATOR(pg_catalog.-) COALESCE(g.started_at, g.created_at)) AS age_s
		  FROM jobtrack.job_group g
		  LEFT JOIN jobtrack.group_count c ON c.group_id OPERATOR(pg_catalog.=) g.id
		 WHERE g.status OPERATOR(pg_catalog.<>) 'completed'::jobtrack.group_status) x
 ORDER BY x.id;
COMMENT ON VIEW jobtrack.group_overview IS 'one line per open group, for \watch: done/total, failed, a progress bar, age and an ETA from the run''s finish rate; reads group_count, never job_status';

/*
 * One line per started or stuck job.  flag says stuck for a job marked
 * stuck, and late for a started job whose heartbeat (or start) is older
 * than jobtrack.stuck_after, when that is set: about to be marked stuck.
 * It reads job_status with the caller's rights, so row-level security on it
 * shows each role its own jobs here too.
 */
CREATE VIEW jobtrack.running_jobs WITH (security_invoker = true) AS
SELECT j.id,
	   CASE WHEN pg_catalog.length(j.job_type) OPERATOR(pg_catalog.>) 16
			THEN pg_catalog.left(pg_catalog.regexp_replace(j.job_type, '[[:cntrl:]]', ' ', 'g'), 15) OPERATOR(pg_catalog.||) '…'
			ELSE pg_catalog.regexp_replace(j.job_type, '[[:cntrl:]]', ' ', 'g') END AS type,
	   CASE WHEN pg_catalog.length(j.alias) OPERATOR(pg_catalog.>) 12
			THEN pg_catalog.left(pg_catalog.regexp_replace(j.alias, '[[:cntrl:]]', ' ', 'g'), 11) OPERATOR(pg_catalog.||) '…'
			ELSE COALESCE(pg_catalog.regexp_replace(j.alias, '[[:cntrl:]]', ' ', 'g'), '') END AS alias,
	   j.group_id AS "group",
	   jobtrack_internal.text_bar(pg_catalog.floor(LEAST(GREATEST(jobtrack_internal.live_percentage(j.id, j.status, j.percentage), 0), 100))::pg_catalog.int4) AS progress,
	   jobtrack_internal.short_duration(pg_catalog.floor(pg_catalog.date_part('epoch',
			pg_catalog.now() OPERATOR(pg_catalog.-) COALESCE(jobtrack_internal.live_heartbeat(j.id, j.status, j.heartbeat_at), j.started_at)))::pg_catalog.int8) AS beat,
	   CASE WHEN j.status OPERATOR(pg_catalog.=) 'stuck'::jobtrack.status THEN 'stuck'
			WHEN s.after OPERATOR(pg_catalog.>) '0'::pg_catalog.interval
				 AND pg_catalog.now() OPERATOR(pg_catalog.-) COALESCE(jobtrack_internal.live_heartbeat(j.id, j.status, j.heartbeat_at), j.started_at)
					 OPERATOR(pg_catalog.>) s.after THEN 'late'
			ELSE '' END AS flag
  FROM jobtrack.job_status j
 CROSS JOIN (SELECT COALESCE(NULLIF(pg_catalog.current_setting('jobtrack.stuck_after', true), ''), '0')::pg_catalog.interval
				 AS after) s
 WHERE j.status OPERATOR(pg_catalog.=) ANY ('{started,stuck}'::jobtrack.status[])
 ORDER BY j.id;
COMMENT ON VIEW jobtrack.running_jobs IS 'one line per started or stuck job, for \watch: type, alias, group, a progress bar, the heartbeat''s age and a stuck/late flag';

REVOKE ALL ON SCHEMA jobtrack_internal FROM PUBLIC;
REVOKE ALL ON jobtrack.group_overview, jobtrack.running_jobs FROM PUBLIC;
REVOKE ALL ON FUNCTION jobtrack_internal.short_duration(pg_catalog.int8), jobtrack_internal.text_bar(pg_catalog.int4) FROM PUBLIC;
REVOKE ALL ON FUNCTION jobtrack.recount_groups(pg_catalog.int8) FROM PUBLIC;

/*
 * The evaluator's and housekeeping's statements are short and run many
 * times a second; JIT compilation, which a large drained change log's
 * estimate can trigger, costs each of them tens of milliseconds.
 */
ALTER FUNCTION jobtrack.check_groups() SET jit = off;
ALTER FUNCTION jobtrack.update_status_running(pg_catalog.int8) SET jit = off;
ALTER FUNCTION jobtrack.run_maintenance() SET jit = off;
/*
 * The evaluator's statements ask for generic plans; a role's or database's
 * plan_cache_mode must not overrule that inside its functions.
 */
ALTER FUNCTION jobtrack.check_groups() SET plan_cache_mode = auto;
ALTER FUNCTION jobtrack.update_status_running(pg_catalog.int8) SET plan_cache_mode = auto;
REVOKE ALL ON FUNCTION jobtrack.job(pg_catalog.text) FROM PUBLIC;

/*
 * One worker per database: worker_stats shows this database's worker and
 * gains databases_not_served.  Its result type changes, so it and the view
 * over it are made anew; whatever their readers were granted is granted
 * again.
 */
DO $upgrade$
DECLARE
	view_acl pg_catalog.aclitem[];
	function_acl pg_catalog.aclitem[];
	owner_oid pg_catalog.oid;
	grant_row record;
BEGIN
	SELECT c.relacl, c.relowner INTO view_acl, owner_oid FROM pg_catalog.pg_class c
	 WHERE c.oid OPERATOR(pg_catalog.=) 'jobtrack.stats'::pg_catalog.regclass;
	SELECT p.proacl INTO function_acl FROM pg_catalog.pg_proc p
	 WHERE p.oid OPERATOR(pg_catalog.=) 'jobtrack_internal.worker_stats()'::pg_catalog.regprocedure;

	DROP VIEW jobtrack.stats;
	DROP FUNCTION jobtrack_internal.worker_stats();
	CREATE FUNCTION jobtrack_internal.worker_stats(
			OUT worker_pid pg_catalog.int4, OUT worker_state pg_catalog.text,
			OUT checks pg_catalog.int8, OUT wakeups pg_catalog.int8, OUT events pg_catalog.int8,
			OUT last_check_at pg_catalog.timestamptz, OUT last_event_at pg_catalog.timestamptz,
			OUT recent_events pg_catalog.int4, OUT latency_p50_ms pg_catalog.float8,
			OUT latency_p99_ms pg_catalog.float8, OUT latency_max_ms pg_catalog.float8,
			OUT databases_not_served pg_catalog.text[])
		RETURNS record
		AS 'MODULE_PATHNAME', 'jobtrack_worker_stats' LANGUAGE C VOLATILE;
	COMMENT ON FUNCTION jobtrack_internal.worker_stats() IS 'internal: the figures behind the jobtrack.stats view';
	CREATE VIEW jobtrack.stats AS
		SELECT s.*, f.groups_set_aside, f.set_aside_group_ids
		  FROM jobtrack_internal.worker_stats() s,
		       LATERAL (SELECT pg_catalog.count(*) AS groups_set_aside,
		                       pg_catalog.array_agg(g.group_id ORDER BY g.group_id) AS set_aside_group_ids
		                  FROM jobtrack.group_failure g) f;
	COMMENT ON VIEW jobtrack.stats IS 'this database''s worker''s own figures: checks run, wake-ups, events raised, the change-to-event latency of recent events; the databases no worker was free for; and the groups set aside';
	REVOKE ALL ON FUNCTION jobtrack_internal.worker_stats() FROM PUBLIC;
	REVOKE ALL ON jobtrack.stats FROM PUBLIC;

	FOR grant_row IN
		SELECT 'VIEW' AS kind, a.grantee, a.privilege_type, a.is_grantable
		  FROM pg_catalog.aclexplode(view_acl) a
		 WHERE a.grantee OPERATOR(pg_catalog.<>) owner_oid
		UNION ALL
		SELECT 'FUNCTION', a.grantee, a.privilege_type, a.is_grantable
		  FROM pg_catalog.aclexplode(function_acl) a
		 WHERE a.grantee OPERATOR(pg_catalog.<>) owner_oid
	LOOP
		EXECUTE pg_catalog.format('GRANT %s ON %s TO %s%s',
			grant_row.privilege_type,
			CASE grant_row.kind WHEN 'VIEW' THEN 'jobtrack.stats'
				ELSE 'FUNCTION jobtrack_internal.worker_stats()' END,
			CASE WHEN grant_row.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'
				ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(grant_row.grantee)) END,
			CASE WHEN grant_row.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
	END LOOP;
END
$upgrade$;

-- live progress figures, appended to the view made above
CREATE FUNCTION jobtrack_internal.live_stats(OUT live_slots_used pg_catalog.int8,
		OUT live_slots pg_catalog.int8, OUT live_slots_full pg_catalog.int8)
	RETURNS record
	AS 'MODULE_PATHNAME', 'jobtrack_live_stats' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION jobtrack_internal.live_stats() IS 'internal: the live progress figures behind the jobtrack.stats view';

CREATE OR REPLACE VIEW jobtrack.stats AS
	SELECT s.*, f.groups_set_aside, f.set_aside_group_ids,
	       l.live_slots_used, l.live_slots, l.live_slots_full
	  FROM jobtrack_internal.worker_stats() s,
	       LATERAL (SELECT pg_catalog.count(*) AS groups_set_aside,
	                       pg_catalog.array_agg(g.group_id ORDER BY g.group_id) AS set_aside_group_ids
	                  FROM jobtrack.group_failure g) f,
	       jobtrack_internal.live_stats() l;
COMMENT ON VIEW jobtrack.stats IS 'this database''s worker''s own figures: checks run, wake-ups, events raised, the change-to-event latency of recent events; the databases no worker was free for; the groups set aside; and the live progress slots in use, available, and the writes that found none free';

REVOKE ALL ON jobtrack.live_progress FROM PUBLIC;
REVOKE ALL ON FUNCTION jobtrack.flush_progress(),
	jobtrack_internal.live_percentage(pg_catalog.int8, jobtrack.status, pg_catalog.numeric),
	jobtrack_internal.live_current(pg_catalog.int8, jobtrack.status, pg_catalog.int8),
	jobtrack_internal.live_total(pg_catalog.int8, jobtrack.status, pg_catalog.int8),
	jobtrack_internal.live_heartbeat(pg_catalog.int8, jobtrack.status, pg_catalog.timestamptz),
	jobtrack_internal.live_slots(), jobtrack_internal.live_stats() FROM PUBLIC;

/*
 * Ready for a Citus cluster (README.md "Scaling out with Citus"): the
 * tables keyed by job carry job_id in their primary key, and messages and
 * signals carry their job's owner, so that the row-level security policies
 * need no subquery; a sharded table allows neither otherwise.
 */
ALTER TABLE jobtrack.job_message ADD COLUMN owner pg_catalog.name;
UPDATE jobtrack.job_message m SET owner = j.owner
  FROM jobtrack.job_status j WHERE j.id OPERATOR(pg_catalog.=) m.job_id;
UPDATE jobtrack.job_message m SET owner = CURRENT_USER WHERE m.owner IS NULL;
ALTER TABLE jobtrack.job_message ALTER COLUMN owner SET DEFAULT CURRENT_USER,
	ALTER COLUMN owner SET NOT NULL,
	DROP CONSTRAINT job_message_pkey, ADD PRIMARY KEY (job_id, id);
DROP INDEX jobtrack.job_message_job_idx;
COMMENT ON COLUMN jobtrack.job_message.owner IS 'the owner of the job, copied at insert for the row-level security policy';
ALTER TABLE jobtrack.job_signal ADD COLUMN owner pg_catalog.name;
UPDATE jobtrack.job_signal s SET owner = j.owner
  FROM jobtrack.job_status j WHERE j.id OPERATOR(pg_catalog.=) s.job_id;
UPDATE jobtrack.job_signal s SET owner = CURRENT_USER WHERE s.owner IS NULL;
ALTER TABLE jobtrack.job_signal ALTER COLUMN owner SET DEFAULT CURRENT_USER,
	ALTER COLUMN owner SET NOT NULL,
	DROP CONSTRAINT job_signal_pkey, ADD PRIMARY KEY (job_id, id);
COMMENT ON COLUMN jobtrack.job_signal.owner IS 'the owner of the job, copied at insert for the row-level security policy';
ALTER POLICY job_message_owner ON jobtrack.job_message
	USING (owner OPERATOR(pg_catalog.=) CURRENT_USER);
ALTER POLICY job_signal_owner ON jobtrack.job_signal
	USING (owner OPERATOR(pg_catalog.=) CURRENT_USER);

/*
 * A message or signal belongs to its job's owner, whoever inserts it, so
 * that under row-level security no role can leave one on another role's
 * job (the policies compare this column; a subquery there would keep the
 * tables from being sharded).  The owner is read from the job's row as the
 * extension's owner; on a Citus node from the colocated job_status shard.
 */
CREATE FUNCTION jobtrack_internal.job_child_owner() RETURNS trigger
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	job_owner pg_catalog.name;
BEGIN
	-- only on jobtrack's own tables: a temporary table of the same name,
	-- with this trigger attached, would otherwise run it as the owner
	IF TG_TABLE_SCHEMA OPERATOR(pg_catalog.<>) 'jobtrack' THEN
		RAISE EXCEPTION 'jobtrack triggers can only be used on jobtrack''s own tables'
			USING ERRCODE = '42501';
	END IF;
	IF TG_TABLE_NAME OPERATOR(pg_catalog.=) ANY (ARRAY['job_message', 'job_signal']) THEN
		SELECT j.owner INTO job_owner FROM jobtrack.job_status j WHERE j.id OPERATOR(pg_catalog.=) NEW.job_id;
	ELSE
		EXECUTE pg_catalog.format('SELECT j.owner FROM %s j WHERE j.id OPERATOR(pg_catalog.=) $1',
			jobtrack_internal.colocated_shard(TG_RELID, 'jobtrack.job_status'))
		   INTO job_owner USING NEW.job_id;
	END IF;
	NEW.owner := COALESCE(job_owner, NEW.owner);
	RETURN NEW;
END
$$;
COMMENT ON FUNCTION jobtrack_internal.job_child_owner() IS 'internal: gives a new message or signal the owner of its job';
CREATE TRIGGER job_message_owner
	BEFORE INSERT ON jobtrack.job_message
	FOR EACH ROW EXECUTE FUNCTION jobtrack_internal.job_child_owner();
CREATE TRIGGER job_signal_owner
	BEFORE INSERT ON jobtrack.job_signal
	FOR EACH ROW EXECUTE FUNCTION jobtrack_internal.job_child_owner();
REVOKE ALL ON FUNCTION jobtrack_internal.job_child_owner() FROM PUBLIC;

/*
 * On a Citus cluster (jobtrack.distribute()) job_status is sharded, and its
 * triggers fire on the node that holds the job's shard, where no evaluator
 * runs.  There the job_status_record trigger writes the change into this
 * table's shard that is colocated with the job, in the job's own local
 * transaction.  The coordinator's evaluator moves the rows into its
 * group_change with one DELETE ... RETURNING over every shard; Citus
 * commits that delete with two-phase commit, and the coordinator's events
 * with it, so a change is moved once and evaluated once.  Logged, unlike
 * group_change: a worker node's crash must not lose a change.  Not dumped:
 * a dump restores the jobs, whose own rows rebuild the counts.  Always
 * empty on one server.
 */
CREATE TABLE jobtrack.group_change_outbox (
	group_id			pg_catalog.int8 NOT NULL,
	job_id				pg_catalog.int8 NOT NULL,
	old_status			jobtrack.status,
	new_status			jobtrack.status,
	created_at			pg_catalog.timestamptz NOT NULL
) WITH (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 10000);
COMMENT ON TABLE jobtrack.group_change_outbox IS 'internal: on a Citus cluster, job changes written on the job''s node, not yet moved to the coordinator''s group_change';

REVOKE ALL ON jobtrack.group_change_outbox FROM PUBLIC;

CREATE OR REPLACE FUNCTION jobtrack_internal.job_status_deleted() RETURNS trigger
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	-- only on jobtrack's own tables: a temporary table of the same name,
	-- with this trigger attached, would otherwise run it as the owner
	IF TG_TABLE_SCHEMA OPERATOR(pg_catalog.<>) 'jobtrack' THEN
		RAISE EXCEPTION 'jobtrack triggers can only be used on jobtrack''s own tables'
			USING ERRCODE = '42501';
	END IF;
	IF TG_TABLE_NAME OPERATOR(pg_catalog.=) 'job_status' THEN
		DELETE FROM jobtrack.job_message m USING gone g WHERE m.job_id OPERATOR(pg_catalog.=) g.id;
		DELETE FROM jobtrack.job_signal s USING gone g WHERE s.job_id OPERATOR(pg_catalog.=) g.id;
		RETURN NULL;
	END IF;
	-- a shard on a Citus node: the jobs' messages and signals are in the colocated shards here
	EXECUTE pg_catalog.format('DELETE FROM %s m USING gone g WHERE m.job_id OPERATOR(pg_catalog.=) g.id',
		jobtrack_internal.colocated_shard(TG_RELID, 'jobtrack.job_message'));
	EXECUTE pg_catalog.format('DELETE FROM %s s USING gone g WHERE s.job_id OPERATOR(pg_catalog.=) g.id',
		jobtrack_internal.colocated_shard(TG_RELID, 'jobtrack.job_signal'));
	RETURN NULL;
END
$$;

-- scaling out (Citus): README.md "Scaling out with Citus"

/*
 * Where this node stands: 'local' (one server, or Citus without jobtrack
 * distributed), 'coordinator' or 'worker' (a Citus worker node, where
 * shards live and no evaluator may run).  pg_dist_* exist only where Citus
 * is installed, hence EXECUTE.
 */
CREATE FUNCTION jobtrack_internal.node_role() RETURNS pg_catalog.text
	LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	distributed pg_catalog.bool;
	group_id pg_catalog.int4;
BEGIN
	IF pg_catalog.to_regclass('pg_catalog.pg_dist_partition') IS NULL THEN
		RETURN 'local';
	END IF;
	EXECUTE 'SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition p
			  WHERE p.logicalrelid OPERATOR(pg_catalog.=) ''jobtrack.job_status''::pg_catalog.regclass)'
	   INTO distributed;
	IF NOT distributed THEN
		RETURN 'local';
	END IF;
	EXECUTE 'SELECT g.groupid FROM pg_catalog.pg_dist_local_group g' INTO group_id;
	RETURN CASE WHEN group_id OPERATOR(pg_catalog.=) 0 THEN 'coordinator' ELSE 'worker' END;
END
$$;
COMMENT ON FUNCTION jobtrack_internal.node_role() IS 'internal: local, or on a Citus cluster where jobtrack is distributed, coordinator or worker';

/*
 * The shard of target colocated with a shard of one of jobtrack's sharded
 * tables on this node, so that a trigger firing on that shard reads and
 * writes rows of the same jobs next to it.  Citus names a shard after its
 * table and shard id, and colocated shards cover the same hash range.
 */
CREATE FUNCTION jobtrack_internal.colocated_shard(shard pg_catalog.regclass, target pg_catalog.regclass)
	RETURNS pg_catalog.regclass
	LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	shard_id pg_catalog.int8;
	result pg_catalog.regclass;
BEGIN
	SELECT pg_catalog.substring(c.relname::pg_catalog.text, '_([0-9]+)$')::pg_catalog.int8 INTO shard_id
	  FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) shard;
	EXECUTE 'SELECT pg_catalog.format(''%I.%I'', n.nspname,
				   c.relname::pg_catalog.text OPERATOR(pg_catalog.||) ''_'' OPERATOR(pg_catalog.||) t.shardid)
			   FROM pg_catalog.pg_dist_shard s
			   JOIN pg_catalog.pg_dist_shard t ON t.logicalrelid OPERATOR(pg_catalog.=) $2
				AND t.shardminvalue OPERATOR(pg_catalog.=) s.shardminvalue
			   JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) $2
			   JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
			  WHERE s.shardid OPERATOR(pg_catalog.=) $1
				AND s.logicalrelid OPERATOR(pg_catalog.=) ANY (ARRAY[''jobtrack.job_status'', ''jobtrack.job_message'',
					''jobtrack.job_signal'', ''jobtrack.group_change_outbox'']::pg_catalog.regclass[])'
	   INTO result USING shard_id, target;
	IF result IS NULL THEN
		RAISE EXCEPTION 'relation % is not a shard of a sharded jobtrack table', shard
			USING ERRCODE = '55000';
	END IF;
	RETURN result;
END
$$;
COMMENT ON FUNCTION jobtrack_internal.colocated_shard(pg_catalog.regclass, pg_catalog.regclass) IS 'internal: the shard of target on this node that holds the same jobs as a given shard';

/*
 * Citus plans a query before PostgreSQL inlines the SQL functions in it, so
 * an inlined scope would bring a sharded table into a query already planned
 * for one server.  On a distributed install the scopes are therefore
 * PL/pgSQL functions with the same query (RETURN QUERY), which Citus plans
 * with the arguments' values; distribute() and undistribute() switch them,
 * keeping their signatures, privileges and comments.
 */
CREATE FUNCTION jobtrack_internal.set_scope_language(language pg_catalog.text) RETURNS pg_catalog.void
	LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	scope record;
	body pg_catalog.text;
BEGIN
	IF language OPERATOR(pg_catalog.<>) ALL (ARRAY['sql', 'plpgsql']) THEN
		RAISE EXCEPTION 'scopes are written in sql or plpgsql, not %', language USING ERRCODE = '22023';
	END IF;
	FOR scope IN
		SELECT p.oid, p.prosrc, l.lanname FROM pg_catalog.pg_proc p
		  JOIN pg_catalog.pg_language l ON l.oid OPERATOR(pg_catalog.=) p.prolang
		 WHERE p.pronamespace OPERATOR(pg_catalog.=) 'jobtrack'::pg_catalog.regnamespace
		   AND p.proretset AND p.prorettype OPERATOR(pg_catalog.=) 'jobtrack.job_status'::pg_catalog.regtype
		   AND l.lanname OPERATOR(pg_catalog.<>) language
		   AND l.lanname OPERATOR(pg_catalog.=) ANY (ARRAY['sql', 'plpgsql'])
	LOOP
		IF language OPERATOR(pg_catalog.=) 'plpgsql' THEN
			body := E'\n#variable_conflict use_column\nBEGIN\n\tRETURN QUERY' OPERATOR(pg_catalog.||)
				pg_catalog.rtrim(scope.prosrc, E'\n\t ') OPERATOR(pg_catalog.||) E';\nEND\n';
		ELSE
			body := pg_catalog.substring(scope.prosrc, E'^\n#variable_conflict use_column\nBEGIN\n\tRETURN QUERY(.*);\nEND\n$')
				OPERATOR(pg_catalog.||) E'\n\t';
		END IF;
		EXECUTE pg_catalog.format('CREATE OR REPLACE FUNCTION %s(%s) RETURNS SETOF jobtrack.job_status'
								  ' LANGUAGE %s STABLE PARALLEL SAFE AS %L',
								  scope.oid::pg_catalog.regproc, pg_catalog.pg_get_function_arguments(scope.oid),
								  language, body);
	END LOOP;
END
$$;
COMMENT ON FUNCTION jobtrack_internal.set_scope_language(pg_catalog.text) IS 'internal: rewrites the scopes in sql (inlinable, one server) or plpgsql (a Citus cluster)';

/*
 * Each node draws ids from its own sequences: those of the coordinator for
 * every call made there, those of a worker node for rows inserted on it.
 * Like Citus's own sequences, worker node group g takes the ids from
 * g * 2^48 + 1 to (g + 1) * 2^48 - 1, and the coordinator's stay below
 * 2^48, so no two nodes ever hand out the same id.  Run
 * by distribute(), and again after adding a node (README.md).
 */
CREATE FUNCTION jobtrack_internal.split_id_ranges() RETURNS pg_catalog.void
	LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	command CONSTANT pg_catalog.text := $command$
DO $do$
DECLARE
	node_group pg_catalog.int8;
	seq pg_catalog.text;
	low pg_catalog.int8;
	high pg_catalog.int8;
	last pg_catalog.int8;
BEGIN
	EXECUTE 'SELECT g.groupid FROM pg_catalog.pg_dist_local_group g' INTO node_group;
	low := (node_group OPERATOR(pg_catalog.<<) 48) OPERATOR(pg_catalog.+) 1;
	high := ((node_group OPERATOR(pg_catalog.+) 1) OPERATOR(pg_catalog.<<) 48) OPERATOR(pg_catalog.-) 1;
	FOREACH seq IN ARRAY ARRAY['job_status_id_seq', 'job_message_id_seq', 'job_signal_id_seq'] LOOP
		-- a node already in its range keeps its place: a restart would hand out its ids again
		EXECUTE pg_catalog.format('SELECT s.last_value FROM jobtrack.%I s', seq) INTO last;
		CONTINUE WHEN last OPERATOR(pg_catalog.>=) low AND last OPERATOR(pg_catalog.<=) high;
		EXECUTE pg_catalog.format('ALTER SEQUENCE jobtrack.%I MINVALUE %s MAXVALUE %s START %s RESTART',
			seq, low, high, low);
	END LOOP;
END
$do$
$command$;
	failed pg_catalog.text;
BEGIN
	-- the coordinator (group 0) keeps its sequences as they are
	EXECUTE 'SELECT pg_catalog.string_agg(r.nodename OPERATOR(pg_catalog.||) '':'' OPERATOR(pg_catalog.||) r.nodeport
				   OPERATOR(pg_catalog.||) '' '' OPERATOR(pg_catalog.||) r.result, '', '')
			   FROM pg_catalog.run_command_on_workers($1) r WHERE NOT r.success'
	   INTO failed USING command;
	IF failed IS NOT NULL THEN
		RAISE EXCEPTION 'could not give every node its own range of ids'
			USING ERRCODE = '55000', DETAIL = pg_catalog.format('Failed on %s.', failed);
	END IF;
END
$$;
COMMENT ON FUNCTION jobtrack_internal.split_id_ranges() IS 'internal: gives each node of a Citus cluster its own range of job, message and signal ids';

/*
 * Shards the tables keyed by job across a Citus cluster: job_status by id,
 * and job_message, job_signal and group_change_outbox by job_id, colocated
 * with it, so that every call naming one job runs on one node.  Groups,
 * counts, events and external ids stay on the coordinator, where the one
 * evaluator runs.  group_change becomes logged there: after a crash of the
 * coordinator it cannot be rebuilt from the jobs while workers write.
 */
CREATE FUNCTION jobtrack.distribute(shard_count pg_catalog.int4 DEFAULT NULL) RETURNS pg_catalog.void
	LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	role pg_catalog.text;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension e WHERE e.extname OPERATOR(pg_catalog.=) 'citus') THEN
		RAISE EXCEPTION 'jobtrack can only be distributed where Citus is installed'
			USING ERRCODE = '55000',
				  HINT = 'Preload citus before jobtrack, run CREATE EXTENSION citus and add the worker nodes first.';
	END IF;
	role := jobtrack_internal.node_role();
	IF role OPERATOR(pg_catalog.<>) 'local' THEN
		RAISE EXCEPTION 'jobtrack is already distributed'
			USING ERRCODE = '55000', HINT = 'Call jobtrack.undistribute() first to change the shard count.';
	END IF;
	EXECUTE 'SELECT g.groupid FROM pg_catalog.pg_dist_local_group g' INTO role;
	IF role OPERATOR(pg_catalog.<>) '0' THEN
		RAISE EXCEPTION 'jobtrack can only be distributed on the coordinator'
			USING ERRCODE = '55000', HINT = 'Connect to the Citus coordinator and call jobtrack.distribute() there.';
	END IF;
	IF shard_count IS NOT NULL AND shard_count OPERATOR(pg_catalog.<) 1 THEN
		RAISE EXCEPTION 'shard_count must be positive' USING ERRCODE = '22023';
	END IF;
	-- jobtrack's triggers write only into shards colocated with their own
	PERFORM pg_catalog.set_config('citus.enable_unsafe_triggers', 'on', true);
	-- function DDL and the table copies share one connection per node
	PERFORM pg_catalog.set_config('citus.multi_shard_modify_mode', 'sequential', true);
	-- live progress stays off once distributed: what the slots hold goes to the rows now
	PERFORM jobtrack.flush_progress();
	PERFORM jobtrack_internal.set_scope_language('plpgsql');
	/*
	 * Citus copies the rows into the shards with their triggers in place:
	 * copied rows are neither new nor changed, and their groups counted
	 * them already.  Writers wait for this transaction meanwhile.
	 */
	ALTER TABLE jobtrack.job_status DISABLE TRIGGER USER;
	ALTER TABLE jobtrack.job_message DISABLE TRIGGER USER;
	ALTER TABLE jobtrack.job_signal DISABLE TRIGGER USER;
	EXECUTE 'SELECT pg_catalog.create_distributed_table($1, $2, colocate_with => ''none'', shard_count => $3)'
	  USING 'jobtrack.job_status'::pg_catalog.regclass, 'id',
			COALESCE(shard_count, pg_catalog.current_setting('citus.shard_count')::pg_catalog.int4);
	EXECUTE 'SELECT pg_catalog.create_distributed_table($1, ''job_id'', colocate_with => ''jobtrack.job_status'')'
	  USING 'jobtrack.group_change_outbox'::pg_catalog.regclass;
	EXECUTE 'SELECT pg_catalog.create_distributed_table($1, ''job_id'', colocate_with => ''jobtrack.job_status'')'
	  USING 'jobtrack.job_message'::pg_catalog.regclass;
	EXECUTE 'SELECT pg_catalog.create_distributed_table($1, ''job_id'', colocate_with => ''jobtrack.job_status'')'
	  USING 'jobtrack.job_signal'::pg_catalog.regclass;
	ALTER TABLE jobtrack.job_status ENABLE TRIGGER USER;
	ALTER TABLE jobtrack.job_message ENABLE TRIGGER USER;
	ALTER TABLE jobtrack.job_signal ENABLE TRIGGER USER;
	PERFORM jobtrack_internal.split_id_ranges();
END
$$;
COMMENT ON FUNCTION jobtrack.distribute(pg_catalog.int4) IS 'on a Citus coordinator: shards the jobs and their messages, signals and changes across the worker nodes (README.md "Scaling out with Citus")';

/*
 * Turns the sharded tables back into plain tables of this node: each
 * table's rows are read into a temporary copy (keep_rows), its shards and
 * its Citus metadata are dropped on every node as Citus's own DROP TABLE
 * does, and the rows go back into the table, which kept its identity, so
 * that it stays a member of the extension.  (Citus's undistribute_table()
 * builds a new table, which an extension's table cannot be.)  Without
 * keep_rows it prepares DROP EXTENSION: with the shards gone, every node
 * can drop the extension.
 */
CREATE FUNCTION jobtrack_internal.release_shards(keep_rows pg_catalog.bool) RETURNS pg_catalog.void
	LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	name pg_catalog.text;
	rel pg_catalog.regclass;
BEGIN
	PERFORM pg_catalog.set_config('citus.enable_unsafe_triggers', 'on', true);
	PERFORM pg_catalog.set_config('citus.multi_shard_modify_mode', 'sequential', true);
	-- housekeeping and the evaluator lock these first on the coordinator: they wait, no deadlock
	LOCK TABLE jobtrack.job_status, jobtrack.job_message, jobtrack.job_signal, jobtrack.group_change_outbox
		IN ACCESS EXCLUSIVE MODE;
	ALTER TABLE jobtrack.job_status DISABLE TRIGGER USER;
	ALTER TABLE jobtrack.job_message DISABLE TRIGGER USER;
	ALTER TABLE jobtrack.job_signal DISABLE TRIGGER USER;
	FOREACH name IN ARRAY ARRAY['job_signal', 'job_message', 'group_change_outbox', 'job_status'] LOOP
		rel := pg_catalog.format('jobtrack.%I', name)::pg_catalog.regclass;
		IF keep_rows THEN
			EXECUTE pg_catalog.format('CREATE TEMPORARY TABLE jobtrack_rows ON COMMIT DROP AS SELECT * FROM %s', rel);
		END IF;
		EXECUTE 'SELECT pg_catalog.master_remove_distributed_table_metadata_from_workers($1, ''jobtrack'', $2)'
		  USING rel, name;
		EXECUTE 'SELECT pg_catalog.citus_drop_all_shards($1, ''jobtrack'', $2)' USING rel, name;
		EXECUTE 'SELECT pg_catalog.master_remove_partition_metadata($1, ''jobtrack'', $2)' USING rel, name;
		-- Citus's own TRUNCATE trigger, which a plain table does without
		FOR name IN SELECT t.tgname FROM pg_catalog.pg_trigger t
					 WHERE t.tgrelid OPERATOR(pg_catalog.=) rel
					   AND t.tgfoid OPERATOR(pg_catalog.=) 'pg_catalog.citus_truncate_trigger'::pg_catalog.regproc LOOP
			EXECUTE pg_catalog.format('DROP TRIGGER %I ON %s', name, rel);
		END LOOP;
		-- the rows the table held before it was distributed are still on disk
		EXECUTE pg_catalog.format('TRUNCATE %s', rel);
		IF keep_rows THEN
			EXECUTE pg_catalog.format('INSERT INTO %s SELECT * FROM jobtrack_rows', rel);
			DROP TABLE jobtrack_rows;
		END IF;
	END LOOP;
	ALTER TABLE jobtrack.job_status ENABLE TRIGGER USER;
	ALTER TABLE jobtrack.job_message ENABLE TRIGGER USER;
	ALTER TABLE jobtrack.job_signal ENABLE TRIGGER USER;
END
$$;
COMMENT ON FUNCTION jobtrack_internal.release_shards(pg_catalog.bool) IS 'internal: drops the shards of the distributed tables, keeping their rows (or not) in the plain tables';

/*
 * Brings every shard back to the coordinator.  Writers are kept out
 * meanwhile, and the changes still on the workers are evaluated first.
 */
CREATE FUNCTION jobtrack.undistribute() RETURNS pg_catalog.void
	LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	IF jobtrack_internal.node_role() OPERATOR(pg_catalog.<>) 'coordinator' THEN
		RAISE EXCEPTION 'jobtrack is not distributed from this node'
			USING ERRCODE = '55000', HINT = 'Call jobtrack.undistribute() on the coordinator of a cluster where jobtrack.distribute() ran.';
	END IF;
	-- function DDL and the table copies share one connection per node
	PERFORM pg_catalog.set_config('citus.multi_shard_modify_mode', 'sequential', true);
	PERFORM jobtrack_internal.set_scope_language('sql');
	LOCK TABLE jobtrack.job_status IN EXCLUSIVE MODE;
	PERFORM jobtrack.check_groups();
	PERFORM jobtrack_internal.release_shards(true);
END
$$;
COMMENT ON FUNCTION jobtrack.undistribute() IS 'on a Citus coordinator: brings the shards of jobtrack.distribute() back into plain tables on the coordinator';

REVOKE ALL ON FUNCTION jobtrack_internal.node_role(), jobtrack_internal.colocated_shard(pg_catalog.regclass, pg_catalog.regclass),
	jobtrack_internal.set_scope_language(pg_catalog.text), jobtrack_internal.release_shards(pg_catalog.bool), jobtrack_internal.split_id_ranges(),
	jobtrack.distribute(pg_catalog.int4), jobtrack.undistribute() FROM PUBLIC;

/*
 * The record triggers lose their WHEN clause: PostgreSQL parses it anew for
 * every statement, which cost a status change more than the call it saves.
 * The function passes over rows that need nothing recorded.  A trigger
 * created anew fires in the default mode, so each keeps the mode it had: a
 * logical replication subscriber sets them ENABLE ALWAYS, and must not find
 * its changes unrecorded after the update.
 */
DO $$
DECLARE
	trigger_name pg_catalog.text;
	mode "char";
BEGIN
	FOREACH trigger_name IN ARRAY ARRAY['job_status_record_insert', 'job_status_record_update'] LOOP
		SELECT t.tgenabled INTO mode FROM pg_catalog.pg_trigger t
		 WHERE t.tgrelid OPERATOR(pg_catalog.=) 'jobtrack.job_status'::pg_catalog.regclass
		   AND t.tgname OPERATOR(pg_catalog.=) trigger_name;
		EXECUTE pg_catalog.format('DROP TRIGGER %I ON jobtrack.job_status', trigger_name);
		EXECUTE pg_catalog.format('CREATE TRIGGER %I AFTER %s ON jobtrack.job_status FOR EACH ROW'
			' EXECUTE FUNCTION jobtrack_internal.job_status_record()', trigger_name,
			CASE trigger_name WHEN 'job_status_record_insert' THEN 'INSERT' ELSE 'UPDATE' END);
		IF mode OPERATOR(pg_catalog.<>) 'O' THEN
			EXECUTE pg_catalog.format('ALTER TABLE jobtrack.job_status %s TRIGGER %I',
				CASE mode WHEN 'A' THEN 'ENABLE ALWAYS' WHEN 'R' THEN 'ENABLE REPLICA' ELSE 'DISABLE' END,
				trigger_name);
		END IF;
	END LOOP;
END
$$;

/*
 * Group retention now deletes a group only once its counts say it has no
 * job (a group whose jobs a restore has not loaded yet has no counts, and
 * must stay); create_group() gives a new group its zero counts.  A group
 * created before has counts only if a change of one of its jobs was
 * evaluated: the others get theirs now, all zero.  Changes not evaluated
 * yet add to them as they would have added to a row made then.
 */
INSERT INTO jobtrack.group_count (group_id)
SELECT g.id FROM jobtrack.job_group g
 WHERE NOT EXISTS (SELECT 1 FROM jobtrack.group_count c WHERE c.group_id OPERATOR(pg_catalog.=) g.id);
