-- 02_transitions.sql: the status machine: which status may follow which.
-- The full 8 x 8 matrix is run through set_status by id, set_status by
-- external id, a plain UPDATE of jobtrack.job_status and the named
-- transition functions; a DO block records every outcome in a temp table
-- and the assertions compare it with the SPEC's list, written out here.
-- Then the columns that move with a status: started_at, finished_at,
-- attempts, heartbeat_at, updated_at, percentage, failed_reason.
--
-- A refused call is rolled back (by the DO block's exception handler, or by
-- throws_ok), so the job's row cannot show whether the call wrote it before
-- it failed.  What outlives the rollback is this transaction's count of row
-- versions written to each jobtrack table (pg_stat_xact_user_tables counts
-- the writes of aborted subtransactions too) and the sequences; the
-- matrix records both around every call.
\set ON_ERROR_STOP 1
BEGIN;
SELECT plan(53);

\ir lib/traces.psql
-- row versions this transaction wrote to one jobtrack table so far
CREATE FUNCTION pg_temp.jt_writes(tab text) RETURNS bigint LANGUAGE sql AS $$
	SELECT s.n_tup_ins + s.n_tup_upd + s.n_tup_del FROM pg_catalog.pg_stat_xact_user_tables s
	 WHERE s.schemaname = 'jobtrack' AND s.relname = tab
$$;

-- the allowed transitions, written out by hand (not derived from the extension)
CREATE TEMP TABLE jt_allowed (from_s jobtrack.status, to_s jobtrack.status, PRIMARY KEY (from_s, to_s));
INSERT INTO jt_allowed VALUES
	('queued', 'started'), ('queued', 'delayed'), ('queued', 'paused'), ('queued', 'cancelled'),
	('delayed', 'queued'), ('delayed', 'started'), ('delayed', 'cancelled'),
	('started', 'succeeded'), ('started', 'failed'), ('started', 'cancelled'), ('started', 'paused'), ('started', 'stuck'),
	('paused', 'started'), ('paused', 'queued'), ('paused', 'cancelled'),
	('stuck', 'started'), ('stuck', 'queued'), ('stuck', 'failed'), ('stuck', 'cancelled'),
	('failed', 'queued'), ('cancelled', 'queued');
-- a status set to itself is a no-op, never an error
INSERT INTO jt_allowed SELECT s, s FROM unnest(enum_range(NULL::jobtrack.status)) AS s;

-- how to reach each status from queued through allowed steps
CREATE TEMP TABLE jt_path (s jobtrack.status PRIMARY KEY, steps jobtrack.status[]);
INSERT INTO jt_path VALUES
	('queued', '{}'), ('delayed', '{delayed}'), ('started', '{started}'), ('paused', '{paused}'),
	('stuck', '{started,stuck}'), ('succeeded', '{started,succeeded}'),
	('failed', '{started,failed}'), ('cancelled', '{cancelled}');

-- the named function that requests each status
CREATE TEMP TABLE jt_named (to_s jobtrack.status PRIMARY KEY, fn text);
INSERT INTO jt_named VALUES
	('started', 'start_job'), ('succeeded', 'succeed_job'), ('failed', 'fail_job'),
	('cancelled', 'cancel_job'), ('paused', 'pause_job'), ('queued', 'retry_job');

CREATE TEMP TABLE jt_result (
	method		text,
	from_s		jobtrack.status,
	to_s		jobtrack.status,
	job_id		bigint,
	reached		jobtrack.status,	-- status before the call (must be from_s)
	sqlstate	text,
	message		text,
	returned	jobtrack.status,
	status_after jobtrack.status,
	row_before	text,
	row_after	text,
	traces_before text,			-- pg_temp.jt_traces() before and after the call
	traces_after text,
	job_writes	bigint,			-- job_status row versions the call wrote
	group_changes bigint		-- group_change rows the call wrote
);

DO $matrix$
DECLARE
	m		text;
	f		jobtrack.status;
	t		jobtrack.status;
	step	jobtrack.status;
	j		bigint;
	ext		text;
	fn		text;
	r_state	text;
	r_msg	text;
	r_ret	jobtrack.status;
	r_before text;
	r_reached jobtrack.status;
	r_traces text;
	r_jobs	bigint;
	r_changes bigint;
	g		bigint := jobtrack.create_group('matrix');
BEGIN
	FOREACH m IN ARRAY ARRAY['set_status', 'set_status_external_id', 'update', 'named_function'] LOOP
		FOR f IN SELECT unnest(enum_range(NULL::jobtrack.status)) LOOP
			FOR t IN SELECT unnest(enum_range(NULL::jobtrack.status)) LOOP
				SELECT n.fn INTO fn FROM jt_named n WHERE n.to_s = t;
				CONTINUE WHEN m = 'named_function' AND fn IS NULL;
				ext := format('matrix-%s-%s-%s', m, f, t);
				-- in a group, so that every change of status records a group change
				j := jobtrack.create_job('matrix', group_id => g, external_id => ext);
				FOREACH step IN ARRAY (SELECT p.steps FROM jt_path p WHERE p.s = f) LOOP
					PERFORM jobtrack.set_status(j, step);
				END LOOP;
				SELECT js.status, md5(js::text) INTO r_reached, r_before
				  FROM jobtrack.job_status js WHERE js.id = j;
				r_state := '00000';
				r_msg := NULL;
				r_ret := NULL;
				r_traces := pg_temp.jt_traces();
				r_jobs := pg_temp.jt_writes('job_status');
				r_changes := pg_temp.jt_writes('group_change');
				BEGIN
					IF m = 'set_status' THEN
						r_ret := jobtrack.set_status(j, t);
					ELSIF m = 'set_status_external_id' THEN
						r_ret := jobtrack.set_status(jobtrack.job(ext), t);
					ELSIF m = 'update' THEN
						UPDATE jobtrack.job_status SET status = t WHERE id = j;
					ELSE
						EXECUTE format('SELECT jobtrack.%I($1)', fn) INTO r_ret USING j;
					END IF;
				EXCEPTION WHEN OTHERS THEN
					GET STACKED DIAGNOSTICS r_state = RETURNED_SQLSTATE, r_msg = MESSAGE_TEXT;
				END;
				INSERT INTO jt_result
				SELECT m, f, t, j, r_reached, r_state, r_msg, r_ret, js.status, r_before, md5(js::text),
					   r_traces, pg_temp.jt_traces(),
					   pg_temp.jt_writes('job_status') - r_jobs, pg_temp.jt_writes('group_change') - r_changes
				  FROM jobtrack.job_status js WHERE js.id = j;
			END LOOP;
		END LOOP;
	END LOOP;
END
$matrix$;

SELECT is((SELECT count(*) FROM jt_allowed), 29::bigint, 'SPEC lists 21 transitions plus 8 no-ops');
SELECT is_empty($$SELECT method, from_s, reached FROM jt_result WHERE reached IS DISTINCT FROM from_s$$,
	'every job reached its from-status through allowed steps');
SELECT results_eq($$SELECT method, count(*) FROM jt_result GROUP BY method ORDER BY method$$,
	$$VALUES ('named_function', 48::bigint), ('set_status', 64), ('set_status_external_id', 64), ('update', 64)$$,
	'the matrix ran every (from, to) pair for every method');

-- allowed pairs succeed, forbidden pairs raise 55000: per method
SELECT set_eq(format($$SELECT from_s, to_s FROM jt_result WHERE method = %L AND sqlstate = '00000'$$, m),
	$$SELECT from_s, to_s FROM jt_allowed$$,
	format('%s: exactly the allowed pairs (and same-status no-ops) succeed', m))
  FROM unnest(ARRAY['set_status', 'set_status_external_id', 'update']) AS m;
SELECT set_eq($$SELECT from_s, to_s FROM jt_result WHERE method = 'named_function' AND sqlstate = '00000'$$,
	$$SELECT a.from_s, a.to_s FROM jt_allowed a JOIN jt_named n USING (to_s)$$,
	'start/succeed/fail/cancel/pause/retry_job: exactly the allowed pairs succeed');
SELECT is_empty(format($$SELECT from_s, to_s, sqlstate, message FROM jt_result r
	 WHERE method = %L AND sqlstate NOT IN ('00000', '55000')$$, m),
	format('%s: every failure is SQLSTATE 55000', m))
  FROM unnest(ARRAY['named_function', 'set_status', 'set_status_external_id', 'update']) AS m;
SELECT is((SELECT count(*) FROM jt_result WHERE sqlstate = '55000'),
	(35 * 3 + 23)::bigint,
	'35 forbidden pairs per matrix (23 for the named functions) raised 55000');

-- allowed: the job has the requested status, the function returned it
SELECT is_empty($$SELECT method, from_s, to_s, returned, status_after FROM jt_result
	 WHERE sqlstate = '00000' AND (status_after <> to_s OR (method <> 'update' AND returned IS DISTINCT FROM to_s))$$,
	'after an allowed change the job has the requested status, which the function returns');
-- forbidden: refused before anything is written (the rollback hides the row
-- itself, not the writes counted), and the message names job, current and
-- requested status
SELECT is_empty($$SELECT method, from_s, to_s, traces_before, traces_after FROM jt_result
	 WHERE sqlstate = '55000' AND traces_after <> traces_before$$,
	'a forbidden change is refused before it writes a job row, records a group change or takes an id');
SELECT is_empty($$SELECT method, from_s, to_s, message FROM jt_result
	 WHERE sqlstate = '55000' AND (position(job_id::text IN message) = 0
	   OR position(from_s::text IN message) = 0 OR position(to_s::text IN message) = 0)$$,
	'every 55000 message contains the job id and both statuses');
-- a same-status call is a no-op: the row does not change at all (set_status and functions)
SELECT is_empty($$SELECT method, from_s FROM jt_result
	 WHERE from_s = to_s AND method <> 'update' AND row_after <> row_before$$,
	'setting a status to itself changes nothing in the row');
-- what each call wrote, counted: inside this one transaction now() does not
-- move, so a row rewritten with the same values would look unchanged
SELECT is_empty($$SELECT method, from_s, to_s, job_writes FROM jt_result
	 WHERE method <> 'update' AND sqlstate = '00000'
	   AND job_writes <> CASE WHEN from_s = to_s THEN 0 ELSE 1 END$$,
	'set_status and the named functions write the job row once for a change, not at all for its own status');
SELECT is_empty($$SELECT method, from_s, to_s, sqlstate, group_changes FROM jt_result
	 WHERE group_changes <> CASE WHEN sqlstate = '00000' AND from_s <> to_s THEN 1 ELSE 0 END$$,
	'every method records one group change for each change of status, and none otherwise');

-- a few explicit ones, as a user would write them
SELECT jobtrack.create_job('explicit') AS j \gset
SELECT is(jobtrack.start_job(:j), 'started', 'start_job returns started');
SELECT is(jobtrack.succeed_job(:j), 'succeeded', 'succeed_job returns succeeded');
SELECT throws_ok(format('SELECT jobtrack.set_status(%s, %L)', :j, 'started'), '55000',
	format('cannot change job %s from succeeded to started', :j),
	'succeeded -> started raises 55000 "cannot change job N from succeeded to started"');
SELECT throws_ok(format('UPDATE jobtrack.job_status SET status = %L WHERE id = %s', 'queued', :j), '55000',
	format('cannot change job %s from succeeded to queued', :j),
	'a plain UPDATE succeeded -> queued raises 55000');
SELECT throws_ok(format('SELECT jobtrack.retry_job(%s)', :j), '55000', NULL,
	'retry_job of a succeeded job raises 55000');
SELECT is(jobtrack.succeed_job(:j), 'succeeded', 'succeed_job again is a no-op that returns succeeded');
SELECT is(jobtrack.get_status(:j), 'succeeded', 'the job is still succeeded');
SELECT lives_ok(format('UPDATE jobtrack.job_status SET status = %L WHERE id = %s', 'succeeded', :j),
	'a plain UPDATE to the same status is a no-op');
SELECT jobtrack.create_job('explicit') AS q \gset
SELECT pg_temp.jt_traces() AS traces \gset
SELECT throws_ok(format('SELECT jobtrack.fail_job(%s, %L)', :q, 'x'), '55000', NULL,
	'fail_job of a queued job raises 55000');
SELECT is(pg_temp.jt_traces(), :'traces', '... before it writes the row: the reason is never stored');

-- columns that move with the status; inside one transaction now() is fixed,
-- so "moved" is shown by first setting a column into the past
SELECT jobtrack.create_job('stamps') AS s \gset
SELECT results_eq(format($$SELECT attempts, started_at, finished_at, heartbeat_at, updated_at, created_at
	FROM jobtrack.job_status WHERE id = %s$$, :s),
	$$VALUES (1, NULL::timestamptz, NULL::timestamptz, NULL::timestamptz, now(), now())$$,
	'a new job: attempts 1, not started, not finished, no heartbeat, created and updated now');
SELECT jobtrack.start_job(:s) \g /dev/null
SELECT is(started_at, now(), 'start_job sets started_at') FROM jobtrack.job_status WHERE id = :s;
UPDATE jobtrack.job_status SET started_at = now() - interval '10 minutes',
	heartbeat_at = now() - interval '5 minutes' WHERE id = :s;
SELECT jobtrack.heartbeat(:s) \g /dev/null
SELECT is(heartbeat_at, now(), 'heartbeat sets heartbeat_at') FROM jobtrack.job_status WHERE id = :s;
SELECT jobtrack.pause_job(:s) \g /dev/null
UPDATE jobtrack.job_status SET heartbeat_at = now() - interval '5 minutes' WHERE id = :s;
SELECT jobtrack.start_job(:s) \g /dev/null
SELECT results_eq(format($$SELECT status, started_at, heartbeat_at, attempts FROM jobtrack.job_status WHERE id = %s$$, :s),
	$$VALUES ('started'::jobtrack.status, now() - interval '10 minutes', now(), 1)$$,
	'resuming a paused job keeps started_at of the attempt, marks it alive, same attempt');
SELECT jobtrack.set_status(:s, 'stuck') \g /dev/null
SELECT jobtrack.start_job(:s) \g /dev/null
SELECT is(started_at, now() - interval '10 minutes', 'stuck -> started keeps started_at') FROM jobtrack.job_status WHERE id = :s;
SELECT jobtrack.set_progress(:s, 40) \g /dev/null
SELECT jobtrack.succeed_job(:s) \g /dev/null
SELECT results_eq(format($$SELECT status, finished_at, percentage, attempts FROM jobtrack.job_status WHERE id = %s$$, :s),
	$$VALUES ('succeeded'::jobtrack.status, now(), 100::numeric, 1)$$,
	'succeed_job sets finished_at and percentage 100');
SELECT is(jobtrack.runtime(:s), interval '10 minutes', 'runtime is finished_at - started_at');
UPDATE jobtrack.job_status SET finished_at = now() - interval '1 minute' WHERE id = :s;
SELECT jobtrack.succeed_job(:s) \g /dev/null
SELECT is(finished_at, now() - interval '1 minute', 'succeeding again does not move finished_at')
  FROM jobtrack.job_status WHERE id = :s;

-- attempts: +1 for each retry from failed, stuck or cancelled, never otherwise
SELECT jobtrack.create_job('retries') AS r \gset
SELECT jobtrack.start_job(:r) \g /dev/null
SELECT jobtrack.set_progress(:r, 3, 10) \g /dev/null
SELECT is(jobtrack.fail_job(:r, 'disk full'), 'failed', 'fail_job returns failed');
SELECT results_eq(format($$SELECT failed_reason, finished_at, attempts FROM jobtrack.job_status WHERE id = %s$$, :r),
	$$VALUES ('disk full', now(), 1)$$, 'fail_job records the reason and finished_at');
SELECT is(jobtrack.retry_job(:r), 'queued', 'retry_job of a failed job returns queued');
SELECT results_eq(format($$SELECT status, attempts, started_at, finished_at, heartbeat_at, failed_reason
	FROM jobtrack.job_status WHERE id = %s$$, :r),
	$$VALUES ('queued'::jobtrack.status, 2, NULL::timestamptz, NULL::timestamptz, NULL::timestamptz, NULL::text)$$,
	'a retry from failed adds an attempt and clears started_at, finished_at, heartbeat_at, failed_reason');
SELECT is(percentage, 0::numeric, 'a retry starts the new attempt at 0 percent') FROM jobtrack.job_status WHERE id = :r;
SELECT jobtrack.start_job(:r) \g /dev/null
SELECT jobtrack.set_status(:r, 'stuck') \g /dev/null
SELECT jobtrack.retry_job(:r) \g /dev/null
SELECT is(attempts, 3, 'a retry from stuck adds an attempt') FROM jobtrack.job_status WHERE id = :r;
SELECT jobtrack.cancel_job(:r) \g /dev/null
SELECT is(finished_at, now(), 'cancel_job sets finished_at') FROM jobtrack.job_status WHERE id = :r;
UPDATE jobtrack.job_status SET status = 'queued' WHERE id = :r;
SELECT results_eq(format($$SELECT status, attempts, finished_at FROM jobtrack.job_status WHERE id = %s$$, :r),
	$$VALUES ('queued'::jobtrack.status, 4, NULL::timestamptz)$$,
	'a retry from cancelled through a plain UPDATE adds an attempt and clears finished_at');
SELECT jobtrack.retry_job(:r) \g /dev/null
SELECT is(attempts, 4, 'retry_job of a queued job is a no-op: no new attempt') FROM jobtrack.job_status WHERE id = :r;
SELECT jobtrack.pause_job(:r) \g /dev/null
SELECT jobtrack.retry_job(:r) \g /dev/null
SELECT is(attempts, 4, 'paused -> queued is not a retry') FROM jobtrack.job_status WHERE id = :r;
SELECT jobtrack.set_status(:r, 'delayed') \g /dev/null
SELECT jobtrack.set_status(:r, 'queued') \g /dev/null
SELECT is(attempts, 4, 'delayed -> queued is not a retry') FROM jobtrack.job_status WHERE id = :r;
SELECT jobtrack.start_job(:r) \g /dev/null
SELECT jobtrack.fail_job(:r, 'again') \g /dev/null
SELECT jobtrack.fail_job(:r, 'a later duplicate delivery') \g /dev/null
SELECT is(failed_reason, 'again', 'failing a failed job again keeps the first reason') FROM jobtrack.job_status WHERE id = :r;

-- updated_at follows every change of the row
INSERT INTO jobtrack.job_status (job_type, created_at, updated_at)
VALUES ('old', now() - interval '1 day', now() - interval '1 day') RETURNING id AS o \gset
SELECT jobtrack.set_progress(:o, 5) \g /dev/null
SELECT is(updated_at, now(), 'set_progress moves updated_at') FROM jobtrack.job_status WHERE id = :o;
UPDATE jobtrack.job_status SET updated_at = now() - interval '1 day' WHERE id = :o;
SELECT is(updated_at, now(), 'updated_at cannot be set into the past by hand') FROM jobtrack.job_status WHERE id = :o;
SELECT is(created_at, now() - interval '1 day', 'created_at does not move') FROM jobtrack.job_status WHERE id = :o;
SELECT jobtrack.start_job(:o) \g /dev/null
SELECT is(updated_at, now(), 'start_job moves updated_at') FROM jobtrack.job_status WHERE id = :o;

-- a finished job never leaves its final state except by a retry
SELECT is_empty($$SELECT from_s, to_s FROM jt_result
	 WHERE from_s IN ('succeeded', 'failed', 'cancelled') AND to_s NOT IN ('queued') AND from_s <> to_s
	   AND sqlstate = '00000'$$,
	'no finished job moves anywhere but back to queued');

SELECT * FROM finish();
ROLLBACK;
