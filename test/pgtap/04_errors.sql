-- 04_errors.sql: every documented error with its SQLSTATE, and,
-- for the calls that would take an id or write a row had they succeeded, a
-- check that the call was refused before doing either.
--
-- throws_ok runs the call in a subtransaction that is rolled back, so the
-- tables cannot show whether the call wrote something first.  Two things
-- outlive that rollback, and jt_traces() reads both: the sequences of
-- jobtrack (nextval is never rolled back, so a call that inserted and then
-- failed has used up an id) and this transaction's count of row versions
-- inserted, updated and deleted in each jobtrack table
-- (pg_stat_xact_user_tables counts the writes of aborted subtransactions
-- too).  A check that compares them before and after the call fails when
-- the code writes first and validates afterwards.
--
-- No such check where a write before the error is PostgreSQL's own or the
-- documented behaviour: a plain INSERT takes its id from the column default
-- before any trigger runs, a unique violation is found after the row is
-- written, a multi-row UPDATE may write one row before it reaches the bad
-- one, create_group's INSERT ... ON CONFLICT takes an id before it finds
-- the title taken, and update_status_running runs an evaluator pass before
-- it finds the group missing.  Reading functions get none either: nothing
-- in them could write.
\set ON_ERROR_STOP 1
BEGIN;
SELECT plan(217);

-- the data the failing calls aim at
CREATE TEMP TABLE jt_ids (g bigint, j bigint, q bigint);
INSERT INTO jt_ids (g) VALUES (jobtrack.create_group('errors group'));
UPDATE jt_ids SET j = jobtrack.create_job('Errors', 'err', '{"k": "v"}', g, NULL, 'err-1'),
				  q = jobtrack.create_job('Errors', external_id => 'err-q');
SELECT jobtrack.start_job(jobtrack.job('err-1')), jobtrack.set_progress(jobtrack.job('err-1'), 2, 10), jobtrack.add_message(jobtrack.job('err-1'), 'hello'),
	   jobtrack.send_signal(jobtrack.job('err-1'), 'sig') \g /dev/null

\ir lib/traces.psql

-- throws_ok, then (when traced) "no id taken, no row written"
CREATE FUNCTION pg_temp.fails(q text, code text, msg text, descr text, traced boolean) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
	before text := pg_temp.jt_traces();
BEGIN
	RETURN NEXT throws_ok(q, code, msg, descr);
	IF traced THEN
		RETURN NEXT is(pg_temp.jt_traces(), before, descr || ', before taking an id or writing a row');
	END IF;
END
$$;

CREATE TEMP TABLE jt_case (n serial PRIMARY KEY, q text, code text, msg text, descr text, traced boolean NOT NULL);

-- P0002: unknown job id, unknown external id, for every function taking a job.
-- Traced: the functions that insert a message or a signal, which must find
-- the job before they take an id for the new row.  The status and progress
-- functions write the job's own row, which they cannot write before finding
-- it; the others only read.
INSERT INTO jt_case (q, code, msg, descr, traced)
SELECT format('SELECT jobtrack.%s(%s%s)', fn, arg, rest), 'P0002',
	   CASE WHEN arg = '-1::bigint' THEN 'job -1 does not exist' ELSE 'job with external id "no-such-job" does not exist' END,
	   format('%s(unknown %s) raises P0002', fn, CASE WHEN arg = '-1::bigint' THEN 'job id' ELSE 'external id' END),
	   fn IN ('add_message', 'send_signal', 'request_cancel')
  FROM (VALUES ('start_job', ''), ('succeed_job', ''), ('fail_job', ', ''reason'''), ('cancel_job', ''),
			   ('pause_job', ''), ('retry_job', ''), ('set_status', ', ''started'''),
			   ('set_progress', ', 5'), ('set_progress', ', 1, 2'), ('heartbeat', ''),
			   ('add_message', ', ''m'''), ('send_signal', ', ''s'''), ('request_cancel', ''),
			   ('take_signals', ''), ('get_status', ''), ('percentage', ''), ('runtime', ''),
			   ('is_successful', ''), ('is_failed', ''), ('is_cancelled', ''), ('is_running', ''),
			   ('is_queued', ''), ('has_finished', '')) AS f(fn, rest),
	   (VALUES ('-1::bigint'), ('jobtrack.job(''no-such-job'')')) AS a(arg);
INSERT INTO jt_case (q, code, msg, descr, traced) VALUES
	('SELECT jobtrack.create_job(''Errors'', group_id => -1)', 'P0002', 'job group -1 does not exist',
	 'create_job with an unknown group_id raises P0002', true),
	('SELECT jobtrack.create_job(''Errors'', group_id => -1, external_id => ''err-new'')', 'P0002', NULL,
	 'create_job with an unknown group_id and a new external id raises P0002', true),
	('SELECT jobtrack.update_status_running(-1)', 'P0002', 'job group -1 does not exist',
	 'update_status_running(unknown group id) raises P0002', false);

-- 55000: forbidden transitions, and the fixed columns.  The trigger must
-- refuse the change before the new row version is written.
INSERT INTO jt_case (q, code, msg, descr, traced) VALUES
	('SELECT jobtrack.succeed_job((SELECT q FROM jt_ids))', '55000', NULL, 'succeed_job of a queued job raises 55000', true),
	('SELECT jobtrack.set_status(jobtrack.job(''err-q''), ''failed'')', '55000', NULL, 'set_status(external_id, failed) of a queued job raises 55000', true),
	('SELECT jobtrack.retry_job(jobtrack.job(''err-1''))', '55000', NULL, 'retry_job of a started job raises 55000', true),
	('SELECT jobtrack.set_status((SELECT j FROM jt_ids), ''delayed'')', '55000', NULL, 'started -> delayed raises 55000', true),
	('UPDATE jobtrack.job_status SET status = ''queued'' WHERE id = (SELECT j FROM jt_ids)', '55000', NULL,
	 'a plain UPDATE started -> queued raises 55000', true),
	('UPDATE jobtrack.job_status SET status = ''succeeded'' WHERE job_type = ''Errors''', '55000', NULL,
	 'a plain UPDATE of two jobs, one of them forbidden, raises 55000', false),
	('UPDATE jobtrack.job_status SET group_id = NULL WHERE id = (SELECT j FROM jt_ids)', '55000', NULL,
	 'a job''s group_id is fixed at create_job: changing it raises 55000', true);

-- 22004: a NULL where a value is required.  Traced as for P0002, and the
-- functions that create jobs and groups, or run an evaluator pass
-- (update_status_running), which must refuse a NULL before they do so.
INSERT INTO jt_case (q, code, msg, descr, traced)
SELECT format('SELECT jobtrack.%s(NULL::%s%s)', fn, t, rest),
	   CASE t WHEN 'text' THEN '42883' ELSE '22004' END, NULL,
	   CASE t WHEN 'text' THEN format('%s(NULL::text) is refused: no function takes a job as text', fn)
		   ELSE format('%s(NULL::%s) raises 22004', fn, t) END,
	   t = 'bigint' AND fn IN ('add_message', 'send_signal', 'request_cancel')
  FROM (VALUES ('start_job', ''), ('succeed_job', ''), ('fail_job', ', ''reason'''), ('cancel_job', ''),
			   ('pause_job', ''), ('retry_job', ''), ('set_status', ', ''started'''),
			   ('set_progress', ', 5'), ('set_progress', ', 1, 2'), ('heartbeat', ''),
			   ('add_message', ', ''m'''), ('send_signal', ', ''s'''), ('request_cancel', ''),
			   ('take_signals', ''), ('get_status', ''), ('percentage', ''), ('runtime', ''),
			   ('is_successful', ''), ('is_failed', ''), ('is_cancelled', ''), ('is_running', ''),
			   ('is_queued', ''), ('has_finished', '')) AS f(fn, rest),
	   (VALUES ('bigint'), ('text')) AS a(t);
INSERT INTO jt_case (q, code, msg, descr, traced) VALUES
	('SELECT jobtrack.job(NULL)', '22004', 'external_id must not be null', 'job(NULL) raises 22004', false),
	('SELECT jobtrack.create_job(NULL)', '22004', NULL, 'create_job(job_type NULL) raises 22004', true),
	('SELECT jobtrack.create_job(''Errors'', tags => NULL)', '22004', NULL, 'create_job(tags NULL) raises 22004', true),
	('SELECT jobtrack.set_status(jobtrack.job(''err-1''), NULL)', '22004', NULL, 'set_status(job, NULL) raises 22004', false),
	('SELECT jobtrack.set_status((SELECT j FROM jt_ids), NULL)', '22004', NULL, 'set_status(job_id, NULL) raises 22004', false),
	('SELECT jobtrack.set_progress((SELECT j FROM jt_ids), NULL::numeric)', '22004', NULL, 'set_progress(percentage NULL) raises 22004', false),
	('SELECT jobtrack.set_progress(jobtrack.job(''err-1''), NULL::bigint, 10)', '22004', NULL, 'set_progress(current NULL) raises 22004', false),
	('SELECT jobtrack.set_progress(jobtrack.job(''err-1''), 1, NULL::bigint)', '22004', NULL, 'set_progress(total NULL) raises 22004', false),
	('SELECT jobtrack.add_message(jobtrack.job(''err-1''), NULL)', '22004', NULL, 'add_message(message NULL) raises 22004', true),
	('SELECT jobtrack.add_message(jobtrack.job(''err-1''), ''m'', NULL)', '22004', NULL, 'add_message(level NULL) raises 22004', true),
	('SELECT jobtrack.send_signal(jobtrack.job(''err-1''), NULL)', '22004', NULL, 'send_signal(signal NULL) raises 22004', true),
	('SELECT jobtrack.send_signal(jobtrack.job(''err-1''), ''s'', NULL)', '22004', NULL, 'send_signal(parameters NULL) raises 22004', true),
	('SELECT jobtrack.send_signal(jobtrack.job(''err-1''), ''s'', ''{}'', NULL)', '22004', NULL, 'send_signal(cancel_job NULL) raises 22004', true),
	('SELECT jobtrack.create_group(NULL)', '22004', NULL, 'create_group(title NULL) raises 22004', true),
	('SELECT jobtrack.create_group(''t'', NULL, NULL)', '22004', NULL, 'create_group(time_to_check NULL) raises 22004', true),
	('SELECT jobtrack.group_id(NULL)', '22004', NULL, 'group_id(title NULL) raises 22004', true),
	('SELECT jobtrack.update_status_running(NULL)', '22004', NULL, 'update_status_running(NULL) raises 22004', true),
	('SELECT * FROM jobtrack.for_job(NULL)', '22004', NULL, 'for_job(NULL) raises 22004', false),
	('SELECT * FROM jobtrack.for_job_alias(NULL)', '22004', NULL, 'for_job_alias(NULL) raises 22004', false),
	('SELECT * FROM jobtrack.where_tag(NULL, ''='', ''v'')', '22004', NULL, 'where_tag(key NULL, op, value) raises 22004', false),
	('SELECT * FROM jobtrack.where_tag(''k'', NULL, ''v'')', '22004', NULL, 'where_tag(key, op NULL, value) raises 22004', false),
	('SELECT * FROM jobtrack.where_tag(''k'', ''<'', NULL)', '22004', NULL, 'where_tag(key, op, value NULL) raises 22004', false),
	('SELECT * FROM jobtrack.where_tag(NULL, ''v'')', '22004', NULL, 'where_tag(key NULL, value) raises 22004', false),
	('SELECT * FROM jobtrack.where_tag(''k'', NULL::text)', '22004', NULL, 'where_tag(key, value NULL) raises 22004', false),
	('SELECT * FROM jobtrack.in_group(NULL)', '22004', NULL, 'in_group(NULL) raises 22004', false),
	('SELECT count(*) FROM jobtrack.for_job((SELECT NULL::text))', '22004', NULL, 'for_job(NULL) raises 22004 also when the NULL is not a constant', false);

-- 22023: values out of range or of the wrong shape.  create_job and
-- create_group check their arguments before they take an id (or claim the
-- external id); the trigger refuses bad values before the row is written.
INSERT INTO jt_case (q, code, msg, descr, traced) VALUES
	('SELECT jobtrack.set_progress(jobtrack.job(''err-1''), -1)', '22023', NULL, 'percentage -1 raises 22023', true),
	('SELECT jobtrack.set_progress(jobtrack.job(''err-1''), 101)', '22023', NULL, 'percentage 101 raises 22023', true),
	('SELECT jobtrack.set_progress(jobtrack.job(''err-1''), 100.001)', '22023', NULL, 'percentage 100.001 raises 22023', true),
	('SELECT jobtrack.set_progress((SELECT j FROM jt_ids), ''NaN'')', '22023', NULL, 'percentage NaN raises 22023', true),
	('SELECT jobtrack.set_progress((SELECT j FROM jt_ids), ''Infinity'')', '22023', NULL, 'percentage Infinity raises 22023', true),
	('SELECT jobtrack.set_progress((SELECT j FROM jt_ids), ''-Infinity'')', '22023', NULL, 'percentage -Infinity raises 22023', true),
	('SELECT jobtrack.set_progress(jobtrack.job(''err-1''), -1, 10)', '22023', NULL, 'a negative current raises 22023', true),
	('SELECT jobtrack.set_progress(jobtrack.job(''err-1''), 0, -1)', '22023', NULL, 'a negative total raises 22023', true),
	('SELECT jobtrack.set_progress(jobtrack.job(''err-1''), -5, -1)', '22023', NULL, 'negative current and total raise 22023', true),
	('SELECT jobtrack.set_progress((SELECT j FROM jt_ids), 11, 10)', '22023', NULL, 'total below current raises 22023', true),
	('UPDATE jobtrack.job_status SET percentage = 150 WHERE id = (SELECT j FROM jt_ids)', '22023', NULL,
	 'a plain UPDATE of percentage to 150 raises 22023', true),
	('UPDATE jobtrack.job_status SET progress_current = 20 WHERE id = (SELECT j FROM jt_ids)', '22023', NULL,
	 'a plain UPDATE of current above total raises 22023', true),
	('SELECT jobtrack.create_job(''Errors'', tags => ''[]'')', '22023', NULL, 'tags that are a JSON array raise 22023', true),
	('SELECT jobtrack.create_job(''Errors'', tags => ''"s"'')', '22023', NULL, 'tags that are a JSON string raise 22023', true),
	('SELECT jobtrack.create_job(''Errors'', tags => ''42'')', '22023', NULL, 'tags that are a JSON number raise 22023', true),
	('SELECT jobtrack.create_job(''Errors'', tags => ''null'')', '22023', NULL, 'tags that are JSON null raise 22023', true),
	('SELECT jobtrack.create_job(''Errors'', tags => ''[{"a": 1}]'', external_id => ''err-tags'')', '22023', NULL,
	 'bad tags with a new external id raise 22023 and claim no external id', true),
	('UPDATE jobtrack.job_status SET tags = ''[1, 2]'' WHERE id = (SELECT j FROM jt_ids)', '22023', NULL,
	 'a plain UPDATE of tags to an array raises 22023', true),
	('INSERT INTO jobtrack.job_status (job_type, tags) VALUES (''Errors'', ''true'')', '22023', NULL,
	 'a plain INSERT with scalar tags raises 22023', false),
	('SELECT * FROM jobtrack.where_tag(''k'', ''~'', ''v'')', '22023', 'unknown tag operator "~"', 'where_tag with operator ~ raises 22023', false),
	('SELECT * FROM jobtrack.where_tag(''k'', ''=='', ''v'')', '22023', NULL, 'where_tag with operator == raises 22023', false),
	('SELECT * FROM jobtrack.where_tag(''k'', ''<>'', ''v'')', '22023', NULL, 'where_tag with operator <> raises 22023', false),
	('SELECT * FROM jobtrack.where_tag(''k'', '''', ''v'')', '22023', NULL, 'where_tag with an empty operator raises 22023', false),
	('SELECT * FROM jobtrack.where_tag(''nokey'', ''LIKE'', ''v'')', '22023', NULL,
	 'an unknown operator raises 22023 even when no job has the key', false),
	('SELECT jobtrack.add_message(jobtrack.job(''err-1''), ''m'', ''fatal'')', '22023', 'unknown message level "fatal"', 'message level fatal raises 22023', true),
	('SELECT jobtrack.add_message((SELECT j FROM jt_ids), ''m'', '''')', '22023', NULL, 'an empty message level raises 22023', true),
	('SELECT jobtrack.create_job('''')', '22023', NULL, 'an empty job_type raises 22023', true),
	('SELECT jobtrack.create_job(''Errors'', delay => interval ''-1 minute'')', '22023', NULL, 'a negative delay raises 22023', true),
	('SELECT jobtrack.create_group(''t'', NULL, interval ''0 seconds'')', '22023', NULL, 'a zero time_to_check raises 22023', true),
	('SELECT jobtrack.create_group('''')', '22023', NULL, 'an empty group title raises 22023', true);

-- 22P02: unknown status names
INSERT INTO jt_case (q, code, msg, descr, traced) VALUES
	('SELECT jobtrack.status_from_text(''bogus'')', '22P02', NULL, 'status_from_text(''bogus'') raises 22P02', false),
	('SELECT jobtrack.status_from_text('''')', '22P02', NULL, 'status_from_text('''') raises 22P02', false),
	('SELECT jobtrack.set_status(jobtrack.job(''err-1''), ''bogus'')', '22P02', NULL, 'set_status(job, ''bogus'') raises 22P02', false);

-- 23505: a second group with the same title, a second job with the same external id
INSERT INTO jt_case (q, code, msg, descr, traced) VALUES
	('INSERT INTO jobtrack.job_status (job_type, external_id) VALUES (''Errors'', ''err-1'')', '23505', NULL,
	 'external_id is unique: a plain INSERT of a second job with a taken external_id raises 23505', false),
	('UPDATE jobtrack.job_status SET external_id = ''err-1'' WHERE id = (SELECT q FROM jt_ids)', '55000', NULL,
	 'external_id is fixed at creation: a plain UPDATE to a taken external_id raises 55000', true),
	('SELECT jobtrack.create_group(''errors group'')', '23505', 'job group "errors group" already exists',
	 'create_group with a taken title raises 23505', false);

SELECT pg_temp.fails(q, code, msg, descr, traced) FROM jt_case ORDER BY n;

SELECT * FROM finish();
ROLLBACK;
