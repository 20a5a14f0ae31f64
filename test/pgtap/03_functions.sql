-- 03_functions.sql: every writing and reading function of jobtrack,
-- by job id and by external id: create_job, set_progress,
-- heartbeat, add_message, signals, get_status, percentage, runtime, the
-- predicates, status_from_text, the aggregates, the scopes and group_events.
\set ON_ERROR_STOP 1
BEGIN;
SELECT plan(97);

-- create_job: defaults
SELECT jobtrack.create_job('Import') AS d \gset
SELECT results_eq(format($$SELECT job_type, alias, tags, group_id, data, external_id, status, percentage,
		progress_current, progress_total, attempts, failed_reason, available_at, owner
	FROM jobtrack.job_status WHERE id = %s$$, :d),
	$$VALUES ('Import', NULL::text, '{}'::jsonb, NULL::bigint, NULL::jsonb, NULL::text, 'queued'::jobtrack.status,
		0::numeric, NULL::bigint, NULL::bigint, 1, NULL::text, NULL::timestamptz, current_user::name)$$,
	'create_job(job_type) makes a queued job with the documented defaults, owned by current_user');

-- create_job: every argument
SELECT jobtrack.create_group('functions group') AS g \gset
SELECT jobtrack.create_job('Import', 'nightly', '{"customer": "42", "size": 7}', :g,
	'{"file": "a.csv"}', 'ext-1') AS e \gset
SELECT results_eq(format($$SELECT job_type, alias, tags, group_id, data, external_id, status
	FROM jobtrack.job_status WHERE id = %s$$, :e),
	format($$VALUES ('Import', 'nightly', '{"customer": "42", "size": 7}'::jsonb, %s::bigint,
		'{"file": "a.csv"}'::jsonb, 'ext-1', 'queued'::jobtrack.status)$$, :g),
	'create_job stores job_type, alias, tags, group_id, data and external_id');
SELECT isnt(:e::bigint, :d::bigint, 'each create_job makes a new id');
SELECT is(jobtrack.create_job('Import', external_id => 'ext-1'), :e::bigint,
	'create_job with a known external_id returns that job''s id');
SELECT md5(j::text) AS e_row FROM jobtrack.job_status j WHERE id = :e \gset
SELECT is(jobtrack.create_job('Other', 'other alias', '{"x": "y"}', NULL, '{"z": 1}', 'ext-1'), :e::bigint,
	'create_job with a known external_id and other arguments returns the same id');
SELECT is(md5(j::text), :'e_row', '... and changes nothing in the job') FROM jobtrack.job_status j WHERE id = :e;
SELECT is((SELECT count(*) FROM jobtrack.job_status WHERE external_id = 'ext-1'), 1::bigint,
	'... and makes no second job');
SELECT jobtrack.start_job(jobtrack.job('ext-1')) \g /dev/null
SELECT is(jobtrack.create_job('Import', external_id => 'ext-1'), :e::bigint,
	'a late duplicate "queued" delivery returns the same id');
SELECT is(jobtrack.get_status(:e::bigint), 'started', '... and does not move the started job back');

-- create_job: delay
SELECT jobtrack.create_job('Mail', delay => interval '5 minutes') AS dl \gset
SELECT results_eq(format($$SELECT status, available_at FROM jobtrack.job_status WHERE id = %s$$, :dl),
	$$VALUES ('delayed'::jobtrack.status, now() + interval '5 minutes')$$,
	'a delay makes the job delayed with available_at = now() + delay');
SELECT is(available_at, NULL, 'a job without delay has no available_at') FROM jobtrack.job_status WHERE id = :d;

-- set_progress: percentage, and current/total, by id and by external id
SELECT jobtrack.set_progress(:d::bigint, 42.5) \g /dev/null
SELECT is(percentage, 42.5, 'set_progress(job_id, percentage)') FROM jobtrack.job_status WHERE id = :d;
SELECT jobtrack.set_progress(jobtrack.job('ext-1'), 12) \g /dev/null
SELECT is(percentage, 12::numeric, 'set_progress(external_id, percentage)') FROM jobtrack.job_status WHERE id = :e;
SELECT jobtrack.set_progress(:d::bigint, 3, 4) \g /dev/null
SELECT results_eq(format($$SELECT progress_current, progress_total, percentage FROM jobtrack.job_status WHERE id = %s$$, :d),
	$$VALUES (3::bigint, 4::bigint, 75::numeric)$$, 'set_progress(job_id, 3, 4) sets current, total and percentage 75');
SELECT jobtrack.set_progress(jobtrack.job('ext-1'), 1, 8) \g /dev/null
SELECT results_eq(format($$SELECT progress_current, progress_total, percentage FROM jobtrack.job_status WHERE id = %s$$, :e),
	$$VALUES (1::bigint, 8::bigint, 12.5::numeric)$$, 'set_progress(external_id, 1, 8) gives 12.5');
SELECT jobtrack.set_progress(:d::bigint, 1, 3) \g /dev/null
SELECT ok(abs(percentage - 100.0 / 3) < 0.01, 'percentage is 100 * current / total (1 of 3 is 33.3...)')
  FROM jobtrack.job_status WHERE id = :d;
SELECT jobtrack.set_progress(:d::bigint, 9000000000, 9000000000) \g /dev/null
SELECT is(percentage, 100::numeric, 'current = total (beyond int4) gives 100') FROM jobtrack.job_status WHERE id = :d;
SELECT jobtrack.set_progress(:d::bigint, 0) \g /dev/null
SELECT is(percentage, 0::numeric, 'set_progress to 0 is allowed') FROM jobtrack.job_status WHERE id = :d;
SELECT jobtrack.set_progress(:d::bigint, 100) \g /dev/null
SELECT is(jobtrack.percentage(:d::bigint), 100::numeric, 'set_progress to 100 is allowed; percentage(job_id) reads it');
SELECT is(jobtrack.percentage(jobtrack.job('ext-1')), 12.5, 'percentage(external_id)');
SELECT is(status, 'queued', 'set_progress does not change the status') FROM jobtrack.job_status WHERE id = :d;

-- heartbeat
SELECT jobtrack.heartbeat(jobtrack.job('ext-1')) \g /dev/null
SELECT is(heartbeat_at, now(), 'heartbeat(external_id) sets heartbeat_at') FROM jobtrack.job_status WHERE id = :e;
SELECT jobtrack.create_job('Beat') AS hb \gset
SELECT jobtrack.start_job(:hb::bigint) \g /dev/null
SELECT jobtrack.set_status(:hb::bigint, 'stuck') \g /dev/null
SELECT jobtrack.heartbeat(:hb::bigint) \g /dev/null
SELECT results_eq(format($$SELECT status, heartbeat_at FROM jobtrack.job_status WHERE id = %s$$, :hb),
	$$VALUES ('started'::jobtrack.status, now())$$, 'heartbeat(job_id) of a stuck job moves it back to started');
SELECT jobtrack.heartbeat(:d::bigint) \g /dev/null
SELECT is(status, 'queued', 'heartbeat does not start a queued job') FROM jobtrack.job_status WHERE id = :d;

-- add_message
SELECT jobtrack.add_message(:d::bigint, 'reading file') AS m1 \gset
SELECT results_eq(format($$SELECT job_id, level, message FROM jobtrack.job_message WHERE id = %s$$, :m1),
	format($$VALUES (%s::bigint, 'info'::jobtrack.message_level, 'reading file')$$, :d),
	'add_message(job_id, message) records an info message and returns its id');
SELECT jobtrack.add_message(jobtrack.job('ext-1'), 'careful', 'warning') AS m2 \gset
SELECT results_eq(format($$SELECT job_id, level, message FROM jobtrack.job_message WHERE id = %s$$, :m2),
	format($$VALUES (%s::bigint, 'warning'::jobtrack.message_level, 'careful')$$, :e),
	'add_message(external_id, message, level) records the level');
SELECT jobtrack.add_message(:d::bigint, 'level ' || l, l)
  FROM unnest(ARRAY['debug', 'info', 'success', 'warning', 'error']) AS l \g /dev/null
SELECT results_eq(format($$SELECT level::text, message FROM jobtrack.job_message
	WHERE job_id = %s AND message LIKE 'level %%' ORDER BY id$$, :d),
	$$VALUES ('debug', 'level debug'), ('info', 'level info'), ('success', 'level success'),
		('warning', 'level warning'), ('error', 'level error')$$,
	'add_message accepts all five levels');
SELECT is((SELECT count(*) FROM jobtrack.job_message WHERE job_id = :d), 6::bigint, 'the job has its six messages');

-- signals
SELECT jobtrack.start_job(:d::bigint) \g /dev/null
SELECT jobtrack.send_signal(:d::bigint, 'pause', '{"seconds": 10}') AS s1 \gset
SELECT jobtrack.request_cancel(:d::bigint) AS s2 \gset
SELECT jobtrack.create_job('Signalled', external_id => 'ext-sig') AS sj \gset
SELECT jobtrack.send_signal(jobtrack.job('ext-sig'), 'resize', '{"to": 3}', true) AS s3 \gset
SELECT jobtrack.request_cancel(jobtrack.job('ext-sig')) AS s4 \gset
SELECT jobtrack.send_signal(:d::bigint, 'ping') AS s5 \gset
SELECT ok(:s1 < :s2 AND :s2 < :s5, 'send_signal and request_cancel return increasing ids');
SELECT results_eq(format($$SELECT id, signal, parameters, cancel_job, handled_at IS NULL FROM jobtrack.take_signals(%s::bigint)$$, :d),
	format($$VALUES (%s::bigint, 'pause', '{"seconds": 10}'::jsonb, false, false),
		(%s::bigint, 'cancel', '{}'::jsonb, true, false),
		(%s::bigint, 'ping', '{}'::jsonb, false, false)$$, :s1, :s2, :s5),
	'take_signals(job_id) returns the unhandled signals oldest first, marked handled; request_cancel is "cancel" with cancel_job');
SELECT is_empty(format($$SELECT * FROM jobtrack.take_signals(%s::bigint)$$, :d),
	'a second take_signals returns none');
SELECT is((SELECT count(*) FROM jobtrack.job_signal WHERE job_id = :d AND handled_at = now()), 3::bigint,
	'the taken signals have handled_at set');
SELECT is(jobtrack.get_status(:d::bigint), 'started', 'request_cancel does not change the job''s status (signals are cooperative)');
SELECT jobtrack.send_signal(:d::bigint, 'later') AS s6 \gset
SELECT results_eq(format($$SELECT id FROM jobtrack.take_signals(%s::bigint)$$, :d),
	format($$VALUES (%s::bigint)$$, :s6), 'take_signals returns only what arrived since the last take');
SELECT results_eq($$SELECT signal, parameters, cancel_job FROM jobtrack.take_signals(jobtrack.job('ext-sig'))$$,
	$$VALUES ('resize', '{"to": 3}'::jsonb, true), ('cancel', '{}'::jsonb, true)$$,
	'send_signal/request_cancel/take_signals by external id');
SELECT is_empty($$SELECT * FROM jobtrack.take_signals(jobtrack.job('ext-sig'))$$, 'take_signals(external_id) again returns none');

-- get_status, runtime
SELECT is(jobtrack.get_status(jobtrack.job('ext-1')), 'started', 'get_status(external_id)');
SELECT is(jobtrack.get_status(:dl::bigint), 'delayed', 'get_status(job_id)');
SELECT is(jobtrack.runtime(:dl::bigint), NULL, 'runtime of a job never started is NULL');
UPDATE jobtrack.job_status SET started_at = now() - interval '90 seconds' WHERE id = :e;
SELECT ok(jobtrack.runtime(jobtrack.job('ext-1')) >= interval '90 seconds', 'runtime(external_id) of a running job runs until now');
SELECT jobtrack.succeed_job(jobtrack.job('ext-1')) \g /dev/null
SELECT is(jobtrack.runtime(:e::bigint), interval '90 seconds', 'runtime(job_id) of a finished job is finished_at - started_at');

-- predicates: by id, by external id and by status, against the SPEC categories
CREATE TEMP TABLE jt_pred (s jobtrack.status PRIMARY KEY, id bigint,
	successful bool, failed bool, cancelled bool, running bool, queued bool, finished bool);
INSERT INTO jt_pred (s, successful, failed, cancelled, running, queued, finished) VALUES
	('queued',    false, false, false, false, true,  false),
	('delayed',   false, false, false, false, true,  false),
	('started',   false, false, false, true,  false, false),
	('paused',    false, false, false, false, false, false),
	('stuck',     false, false, false, false, false, false),
	('succeeded', true,  false, false, false, false, true),
	('failed',    false, true,  false, false, false, true),
	('cancelled', false, false, true,  false, false, true);
UPDATE jt_pred SET id = jobtrack.create_job('Predicate', external_id => 'pred-' || s);
DO $$
DECLARE
	p record;
	step jobtrack.status;
BEGIN
	FOR p IN SELECT * FROM jt_pred LOOP
		FOREACH step IN ARRAY CASE p.s WHEN 'delayed' THEN '{delayed}' WHEN 'started' THEN '{started}'
				WHEN 'paused' THEN '{paused}' WHEN 'stuck' THEN '{started,stuck}'
				WHEN 'succeeded' THEN '{started,succeeded}' WHEN 'failed' THEN '{started,failed}'
				WHEN 'cancelled' THEN '{cancelled}' ELSE '{}' END::jobtrack.status[] LOOP
			PERFORM jobtrack.set_status(p.id, step);
		END LOOP;
	END LOOP;
END
$$;
SELECT is_empty($$SELECT p.s, j.status FROM jt_pred p JOIN jobtrack.job_status j USING (id) WHERE j.status <> p.s$$,
	'one job in each of the eight statuses');
SELECT results_eq($$SELECT s, jobtrack.is_successful(id), jobtrack.is_failed(id), jobtrack.is_cancelled(id),
		jobtrack.is_running(id), jobtrack.is_queued(id), jobtrack.has_finished(id) FROM jt_pred ORDER BY s$$,
	$$SELECT s, successful, failed, cancelled, running, queued, finished FROM jt_pred ORDER BY s$$,
	'is_successful/is_failed/is_cancelled/is_running/is_queued/has_finished by job_id');
SELECT results_eq($$SELECT s, jobtrack.is_successful(jobtrack.job('pred-' || s)), jobtrack.is_failed(jobtrack.job('pred-' || s)),
		jobtrack.is_cancelled(jobtrack.job('pred-' || s)), jobtrack.is_running(jobtrack.job('pred-' || s)),
		jobtrack.is_queued(jobtrack.job('pred-' || s)), jobtrack.has_finished(jobtrack.job('pred-' || s)) FROM jt_pred ORDER BY s$$,
	$$SELECT s, successful, failed, cancelled, running, queued, finished FROM jt_pred ORDER BY s$$,
	'the predicates by external_id');
SELECT results_eq($$SELECT s, jobtrack.is_successful(s), jobtrack.is_failed(s), jobtrack.is_cancelled(s),
		jobtrack.is_running(s), jobtrack.is_queued(s), jobtrack.has_finished(s) FROM jt_pred ORDER BY s$$,
	$$SELECT s, successful, failed, cancelled, running, queued, finished FROM jt_pred ORDER BY s$$,
	'the predicates on a jobtrack.status');
SELECT results_eq($$SELECT s, jobtrack.get_status(id), jobtrack.get_status(jobtrack.job('pred-' || s)) FROM jt_pred ORDER BY s$$,
	$$SELECT s, s, s FROM jt_pred ORDER BY s$$, 'get_status by id and by external id for each status');
SELECT is(jobtrack.is_successful(NULL::jobtrack.status), NULL, 'a predicate on a NULL status is NULL');

-- status_from_text
SELECT results_eq($$SELECT jobtrack.status_from_text(s::text) FROM unnest(enum_range(NULL::jobtrack.status)) AS s$$,
	$$SELECT unnest(enum_range(NULL::jobtrack.status))$$, 'status_from_text accepts every status name');
SELECT results_eq($$SELECT jobtrack.status_from_text(a) FROM unnest(ARRAY['waiting', 'active', 'completed', 'released']) AS a$$,
	$$VALUES ('queued'::jobtrack.status), ('started'), ('succeeded'), ('queued')$$,
	'status_from_text maps BullMQ''s waiting/active/completed and Laravel''s released');
SELECT is(jobtrack.set_status(jobtrack.create_job('FromText'), jobtrack.status_from_text('active')), 'started',
	'status_from_text feeds set_status');

-- aggregates vs count(*) FILTER
SELECT results_eq($$SELECT jobtrack.count_finished(status), jobtrack.count_successful(status),
		jobtrack.count_failed(status), jobtrack.count_cancelled(status), jobtrack.count_running(status),
		jobtrack.count_queued(status), jobtrack.count_not_finished(status) FROM jobtrack.job_status$$,
	$$SELECT count(*) FILTER (WHERE status IN ('succeeded', 'failed', 'cancelled')),
		count(*) FILTER (WHERE status = 'succeeded'), count(*) FILTER (WHERE status = 'failed'),
		count(*) FILTER (WHERE status = 'cancelled'), count(*) FILTER (WHERE status = 'started'),
		count(*) FILTER (WHERE status IN ('queued', 'delayed')),
		count(*) FILTER (WHERE status NOT IN ('succeeded', 'failed', 'cancelled')) FROM jobtrack.job_status$$,
	'every count_* aggregate equals the matching count(*) FILTER over all jobs');
SELECT results_eq($$SELECT jobtrack.count_finished(status), jobtrack.count_successful(status),
		jobtrack.count_failed(status), jobtrack.count_cancelled(status), jobtrack.count_running(status),
		jobtrack.count_queued(status), jobtrack.count_not_finished(status) FROM jobtrack.for_job('Predicate')$$,
	$$VALUES (3::bigint, 1::bigint, 1::bigint, 1::bigint, 1::bigint, 2::bigint, 5::bigint)$$,
	'the aggregates over one job in each status: 3 finished, 1 each, 1 running, 2 queued, 5 not finished');
SELECT results_eq($$SELECT jobtrack.count_finished(status), jobtrack.count_not_finished(status)
		FROM jobtrack.for_job('no such type')$$,
	$$VALUES (0::bigint, 0::bigint)$$, 'an aggregate over no jobs is 0, not NULL');
SELECT results_eq($$SELECT s, jobtrack.count_not_finished(s) FROM jt_pred GROUP BY s ORDER BY s$$,
	$$SELECT s, (NOT finished)::int::bigint FROM jt_pred ORDER BY s$$, 'count_not_finished per status');

-- scopes
SELECT set_eq($$SELECT id FROM jobtrack.for_job('Predicate')$$, $$SELECT id FROM jt_pred$$,
	'for_job returns exactly the jobs of that type');
SELECT set_eq($$SELECT id FROM jobtrack.for_job_alias('nightly')$$, format('VALUES (%s::bigint)', :e),
	'for_job_alias returns exactly the jobs with that alias');
SELECT is_empty($$SELECT * FROM jobtrack.for_job('predicate')$$, 'for_job is case sensitive');
SELECT set_eq($$SELECT id FROM jobtrack.in_group($$ || :g || $$)$$, format('VALUES (%s::bigint)', :e),
	'in_group returns exactly the jobs of the group');
SELECT set_eq($$SELECT status FROM jobtrack.where_status('queued', 'started') WHERE job_type = 'Predicate'$$,
	$$VALUES ('queued'::jobtrack.status), ('started')$$, 'where_status(VARIADIC ...) returns jobs in any of the statuses');
SELECT set_eq($$SELECT status FROM jobtrack.where_status(VARIADIC ARRAY['failed', 'cancelled']::jobtrack.status[]) WHERE job_type = 'Predicate'$$,
	$$VALUES ('failed'::jobtrack.status), ('cancelled')$$, 'where_status(VARIADIC array)');
SELECT set_eq($$SELECT status FROM jobtrack.where_not_status('queued', 'delayed', 'started', 'paused', 'stuck') WHERE job_type = 'Predicate'$$,
	$$VALUES ('succeeded'::jobtrack.status), ('failed'), ('cancelled')$$, 'where_not_status returns jobs in none of the statuses');
SELECT set_eq($$SELECT id FROM jobtrack.where_not_status('succeeded')$$,
	$$SELECT id FROM jobtrack.job_status WHERE status <> 'succeeded'$$, 'where_not_status(one status) over all jobs');
SELECT is((SELECT jobtrack.count_finished(status) FROM jobtrack.where_status('succeeded', 'failed') WHERE job_type = 'Predicate'),
	2::bigint, 'scopes combine with the aggregates and plain SQL');

-- scopes are inlined into the caller's query and use their index
CREATE FUNCTION pg_temp.plan_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	line text;
	result text := '';
BEGIN
	FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
		result := result || line || E'\n';
	END LOOP;
	RETURN result;
END
$$;
SET LOCAL enable_seqscan = off;
SELECT ok(pg_temp.plan_of(q) ~ idx AND pg_temp.plan_of(q) !~ 'Function Scan',
	format('%s is inlined and uses %s', q, idx))
  FROM (VALUES ('SELECT * FROM jobtrack.for_job(''Import'')', 'job_status_job_type_idx'),
			   ('SELECT * FROM jobtrack.for_job_alias(''nightly'')', 'job_status_alias_idx'),
			   ('SELECT * FROM jobtrack.where_status(''started'')', 'job_status_status_idx'),
			   ('SELECT * FROM jobtrack.in_group(1)', 'job_status_group_idx'),
			   ('SELECT * FROM jobtrack.where_tag(''customer'', ''='', ''42'')', 'job_status_tags_idx'),
			   ('SELECT * FROM jobtrack.where_tag(''customer'', ''42'')', 'job_status_tags_idx')) AS t(q, idx);
RESET enable_seqscan;
SELECT is((SELECT pg_catalog.pg_get_expr(indpred, indrelid) FROM pg_catalog.pg_index
			WHERE indexrelid = 'jobtrack.job_status_tags_idx'::regclass),
	'(tags <> ''{}''::jsonb)',
	'the tag index leaves out jobs without tags, which no where_tag can match');

-- where_tag: a table of tags, then every operator
CREATE TEMP TABLE jt_tag (name text PRIMARY KEY, id bigint);
INSERT INTO jt_tag SELECT name, jobtrack.create_job('Tagged', tags => tags::jsonb)
  FROM (VALUES ('A', '{"n": 5, "s": "apple", "k": "x"}'), ('B', '{"n": "10", "s": "banana"}'),
			   ('C', '{"n": 9.5}'), ('D', '{"s": "cherry"}'), ('E', '{"n": "abc"}'),
			   ('F', '{"n": null, "s": "5"}'), ('G', '{"code": "007", "flag": true, "q": "a\"b"}')) AS t(name, tags);
CREATE FUNCTION pg_temp.tagged(k text, op text, v text) RETURNS text[] LANGUAGE sql AS $$
	SELECT coalesce(array_agg(t.name ORDER BY t.name), '{}')
	  FROM jobtrack.where_tag(k, op, v) w JOIN pg_temp.jt_tag t USING (id)
$$;
SELECT is(pg_temp.tagged('n', '=', '5'), '{A}', 'where_tag = compares the tag''s text: number 5 matches ''5''');
SELECT is(pg_temp.tagged('n', '=', '10'), '{B}', 'where_tag = matches the string "10"');
SELECT is(pg_temp.tagged('s', '=', '5'), '{F}', 'where_tag = on another key');
SELECT set_eq($$SELECT id FROM jobtrack.where_tag('s', 'banana')$$,
	$$SELECT id FROM jt_tag WHERE name = 'B'$$, 'where_tag(key, value) is the = form');
SELECT is(pg_temp.tagged('n', '!=', '5'), '{B,C,E}', 'where_tag != : jobs without the key (D) and with a JSON null (F) never match');
SELECT is(pg_temp.tagged('n', '<', '10'), '{A,C}', 'where_tag < compares numbers as numbers (5 < 10, 9.5 < 10); "abc" vs "10" as text');
SELECT is(pg_temp.tagged('n', '<=', '10'), '{A,B,C}', 'where_tag <= includes the equal number "10"');
SELECT is(pg_temp.tagged('n', '>', '9'), '{B,C,E}', 'where_tag > : 10 and 9.5 numerically, "abc" > "9" as text');
SELECT is(pg_temp.tagged('n', '>=', '9.5'), '{B,C,E}', 'where_tag >= : 9.5 equal as a number');
SELECT is(pg_temp.tagged('n', '>', '9.50'), '{B,E}', 'numeric comparison: 9.5 is not > 9.50');
SELECT is(pg_temp.tagged('s', '>', 'b'), '{B,D}', 'where_tag > on text: banana and cherry are after b, "5" and apple are not');
SELECT is(pg_temp.tagged('s', '<', 'b'), '{A,F}', 'where_tag < on text');
SELECT is(pg_temp.tagged('k', '!=', 'y'), '{A}', 'only the job that has key k can match !=');
SELECT is(pg_temp.tagged('missing', '!=', 'x'), '{}', 'a key no job has never matches, not even !=');
SELECT is(pg_temp.tagged('missing', '<', 'zzz'), '{}', 'a key no job has never matches <');
SELECT is(pg_temp.tagged('n', '=', '5.0'), '{}', '= compares text: 5 is not "5.0"');
SELECT is(pg_temp.tagged('code', '=', '7'), '{}', '= compares text: "007" is not "7"');
SELECT is(pg_temp.tagged('code', '<=', '7'), '{G}', '<= compares numbers: "007" <= 7');
SELECT is(pg_temp.tagged('code', '>', '6.99'), '{G}', '> compares numbers: "007" > 6.99');
SELECT is(pg_temp.tagged('flag', '=', 'true'), '{G}', '= matches a JSON boolean by its text');
SELECT is(pg_temp.tagged('q', '=', 'a"b'), '{G}', '= matches a value with a double quote');

-- group_events(after_id)
SELECT jobtrack.check_groups() \g /dev/null
SELECT jobtrack.create_group('events group') AS eg \gset
SELECT jobtrack.create_job('Evented', group_id => :eg) AS ej \gset
SELECT jobtrack.start_job(:ej::bigint) \g /dev/null
SELECT is(jobtrack.check_groups(), 1, 'check_groups raises group.started');
SELECT jobtrack.succeed_job(:ej::bigint) \g /dev/null
SELECT is(jobtrack.check_groups(), 1, 'check_groups raises group.completed');
SELECT min(id) AS ev1, max(id) AS ev2 FROM jobtrack.group_event WHERE group_id = :eg \gset
SELECT results_eq(format($$SELECT id, event FROM jobtrack.group_events() WHERE group_id = %s$$, :eg),
	format($$VALUES (%s::bigint, 'group.started'), (%s::bigint, 'group.completed')$$, :ev1, :ev2),
	'group_events() returns every event of the group, in id order');
SELECT results_eq(format($$SELECT id, event FROM jobtrack.group_events(%s)$$, :ev1),
	format($$VALUES (%s::bigint, 'group.completed')$$, :ev2),
	'group_events(after_id) returns only the later events');
SELECT is_empty(format($$SELECT * FROM jobtrack.group_events(%s)$$, :ev2), 'group_events(last id) returns none');
SELECT results_eq($$SELECT id FROM jobtrack.group_events(0)$$, $$SELECT id FROM jobtrack.group_event ORDER BY id$$,
	'group_events(0) is every event, ordered by id');

SELECT * FROM finish();
ROLLBACK;
