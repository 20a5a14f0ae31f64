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

REVOKE ALL ON SCHEMA jobtrack_internal FROM PUBLIC;
REVOKE ALL ON FUNCTION jobtrack.job(pg_catalog.text) FROM PUBLIC;
