-- Bad input: every function against NULLs, empty and huge
-- strings, huge JSON, wrong JSON shapes, out-of-range and overflowing
-- numbers, unknown ids, statuses, operators and levels.  Each case runs in a
-- subtransaction; it must end with the expected SQLSTATE (00000: accepted)
-- and, when it fails, leave every jobtrack table exactly as it was.
SELECT jobtrack.create_group('bad input') AS g \gset
SELECT jobtrack.create_job('Bad', group_id => :g, external_id => 'bad-1') AS j \gset
SELECT jobtrack.start_job(:j);
CREATE TEMP TABLE cases (n serial, sql text, expected text);
INSERT INTO cases (sql, expected) VALUES
	-- NULL in each required argument
	('SELECT jobtrack.create_job(NULL)', '22004'),
	('SELECT jobtrack.create_job(''X'', tags => NULL)', '22004'),
	('SELECT jobtrack.start_job(NULL::bigint)', '22004'),
	('SELECT jobtrack.succeed_job(NULL::text)', '42883'),
	('SELECT jobtrack.job(NULL)', '22004'),
	('SELECT jobtrack.fail_job(NULL::bigint, ''r'')', '22004'),
	('SELECT jobtrack.cancel_job(NULL::bigint)', '22004'),
	('SELECT jobtrack.pause_job(NULL::bigint)', '22004'),
	('SELECT jobtrack.retry_job(NULL::bigint)', '22004'),
	('SELECT jobtrack.set_status(NULL::bigint, ''queued'')', '22004'),
	('SELECT jobtrack.set_status(JOBID, NULL)', '22004'),
	('SELECT jobtrack.set_progress(JOBID, NULL::numeric)', '22004'),
	('SELECT jobtrack.set_progress(JOBID, NULL, 1)', '22004'),
	('SELECT jobtrack.set_progress(JOBID, 1, NULL)', '22004'),
	('SELECT jobtrack.heartbeat(NULL::bigint)', '22004'),
	('SELECT jobtrack.add_message(JOBID, NULL)', '22004'),
	('SELECT jobtrack.add_message(JOBID, ''m'', NULL)', '22004'),
	('SELECT jobtrack.send_signal(JOBID, NULL)', '22004'),
	('SELECT jobtrack.send_signal(JOBID, ''s'', NULL)', '22004'),
	('SELECT jobtrack.send_signal(JOBID, ''s'', ''{}'', NULL)', '22004'),
	('SELECT jobtrack.request_cancel(NULL::text)', '42883'),
	('SELECT * FROM jobtrack.take_signals(NULL::bigint)', '22004'),
	('SELECT jobtrack.get_status(NULL::bigint)', '22004'),
	('SELECT jobtrack.percentage(NULL::text)', '42883'),
	('SELECT jobtrack.runtime(NULL::bigint)', '22004'),
	('SELECT jobtrack.is_failed(NULL::bigint)', '22004'),
	('SELECT jobtrack.create_group(NULL)', '22004'),
	('SELECT jobtrack.create_group(''t'', NULL, NULL)', '22004'),
	('SELECT jobtrack.group_id(NULL)', '22004'),
	('SELECT jobtrack.update_status_running(NULL)', '22004'),
	('SELECT * FROM jobtrack.for_job(NULL)', '22004'),
	('SELECT * FROM jobtrack.for_job_alias(NULL)', '22004'),
	('SELECT * FROM jobtrack.where_tag(NULL, ''='', ''v'')', '22004'),
	('SELECT * FROM jobtrack.where_tag(''k'', NULL, ''v'')', '22004'),
	('SELECT * FROM jobtrack.where_tag(''k'', ''='', NULL)', '22004'),
	('SELECT * FROM jobtrack.in_group(NULL)', '22004'),
	-- empty strings
	('SELECT jobtrack.create_job('''')', '22023'),
	('SELECT jobtrack.create_job(''X'', external_id => '''')', '22023'),
	('SELECT jobtrack.start_job(jobtrack.job(''''))', 'P0002'),
	('SELECT jobtrack.add_message(JOBID, '''')', '00000'),
	('SELECT jobtrack.add_message(JOBID, ''m'', '''')', '22023'),
	('SELECT jobtrack.send_signal(JOBID, '''')', '22023'),
	('SELECT jobtrack.create_group('''')', '22023'),
	('SELECT jobtrack.group_id('''')', '22023'),
	('SELECT jobtrack.status_from_text('''')', '22P02'),
	('SELECT * FROM jobtrack.where_tag('''', '''')', '00000'),
	-- huge strings and JSON are accepted, not crashed on
	('SELECT jobtrack.create_job(repeat(''x'', 1000))', '00000'),
	('SELECT jobtrack.create_job(repeat(''x'', 1000000))', '22023'),
	('SELECT jobtrack.create_job(''X'', alias => repeat(''a'', 1000000))', '22023'),
	('SELECT jobtrack.create_job(''X'', external_id => repeat(''e'', 1000000))', '22023'),
	('INSERT INTO jobtrack.job_status (job_type) VALUES (repeat(''x'', 1001))', '22023'),
	('SELECT jobtrack.create_group((SELECT string_agg(md5(i::text), '''') FROM generate_series(1, 400) i))', '22023'),
	('SELECT jobtrack.create_job(''X'', tags => (SELECT jsonb_object_agg(''k'' || i, repeat(''v'', 100)) FROM generate_series(1, 100000) i))', '00000'),
	('SELECT jobtrack.create_job(''X'', data => jsonb_build_object(''blob'', repeat(''d'', 10000000)))', '00000'),
	('SELECT jobtrack.fail_job(JOBID, repeat(''r'', 1000000))', '00000'),
	('SELECT jobtrack.add_message(JOBID, repeat(''m'', 1000000))', '00000'),
	('SELECT jobtrack.send_signal(JOBID, repeat(''s'', 100000), jsonb_build_object(''p'', repeat(''p'', 1000000)))', '00000'),
	('SELECT jobtrack.create_group(repeat(''t'', 100000))', '22023'),
	('SELECT jobtrack.create_group(repeat(''t'', 4001))', '22023'),
	('SELECT jobtrack.create_group(''far'', time_to_check => ''300000 years'')', '22023'),
	('SELECT jobtrack.create_group(''far'', time_to_check => ''1 year 1 day'')', '22023'),
	('SELECT jobtrack.start_job(repeat(''e'', 1000000))', '42883'),
	('SELECT jobtrack.start_job(jobtrack.job(repeat(''e'', 1000000)))', 'P0002'),
	('SELECT jobtrack.start_job(''bull-1'')', '22P02'),
	('SELECT * FROM jobtrack.where_tag(repeat(''k'', 100000), repeat(''v'', 100000))', '00000'),
	('SELECT jobtrack.status_from_text(repeat(''q'', 1000000))', '22P02'),
	-- tags and parameters of the wrong JSON shape
	('SELECT jobtrack.create_job(''X'', tags => ''[]'')', '22023'),
	('SELECT jobtrack.create_job(''X'', tags => ''"s"'')', '22023'),
	('SELECT jobtrack.create_job(''X'', tags => ''42'')', '22023'),
	('SELECT jobtrack.create_job(''X'', tags => ''null'')', '22023'),
	('UPDATE jobtrack.job_status SET tags = ''[1]'' WHERE id = JOBID', '22023'),
	('SELECT jobtrack.send_signal(JOBID, ''s'', ''[1]'')', '22023'),
	('SELECT jobtrack.create_job(''X'', tags => ''{bad'')', '22P02'),
	-- numbers out of range and overflowing
	('SELECT jobtrack.set_progress(JOBID, -1)', '22023'),
	('SELECT jobtrack.set_progress(JOBID, 101)', '22023'),
	('SELECT jobtrack.set_progress(JOBID, 100.0000001)', '22023'),
	('SELECT jobtrack.set_progress(JOBID, ''NaN'')', '22023'),
	('SELECT jobtrack.set_progress(JOBID, ''Infinity'')', '22023'),
	('SELECT jobtrack.set_progress(JOBID, ''-Infinity'')', '22023'),
	('SELECT jobtrack.set_progress(JOBID, 1e1000)', '22023'),
	('SELECT jobtrack.set_progress(JOBID, -5, 10)', '22023'),
	('SELECT jobtrack.set_progress(JOBID, 5, -10)', '22023'),
	('SELECT jobtrack.set_progress(JOBID, 11, 10)', '22023'),
	('SELECT jobtrack.set_progress(JOBID, 9223372036854775807, 9223372036854775807)', '00000'),
	('SELECT jobtrack.set_progress(JOBID, 1, 9223372036854775807 + 1)', '22003'),
	('UPDATE jobtrack.job_status SET percentage = 1000 WHERE id = JOBID', '22023'),
	('UPDATE jobtrack.job_status SET progress_current = -1 WHERE id = JOBID', '22023'),
	('SELECT jobtrack.create_job(''X'', delay => ''-1 second'')', '22023'),
	('SELECT jobtrack.create_job(''X'', delay => ''100000 years'')', '00000'),
	('SELECT jobtrack.create_job(''X'', delay => ''1000000 years'')', '22008'),
	('SELECT jobtrack.create_group(''t2'', time_to_check => ''-1 minute'')', '22023'),
	-- unknown ids, statuses, operators and levels
	('SELECT jobtrack.start_job(-1)', 'P0002'),
	('SELECT jobtrack.start_job(9223372036854775807)', 'P0002'),
	('SELECT jobtrack.get_status(jobtrack.job(''no such job''))', 'P0002'),
	('SELECT jobtrack.create_job(''X'', group_id => -1)', 'P0002'),
	('SELECT jobtrack.update_status_running(-1)', 'P0002'),
	('SELECT * FROM jobtrack.take_signals(-1)', 'P0002'),
	('SELECT jobtrack.set_status(JOBID, ''bogus'')', '22P02'),
	('SELECT jobtrack.status_from_text(''bogus'')', '22P02'),
	('SELECT * FROM jobtrack.where_tag(''k'', ''like'', ''v'')', '22023'),
	('SELECT * FROM jobtrack.where_tag(''k'', ''<>'', ''v'')', '22023'),
	('SELECT jobtrack.add_message(JOBID, ''m'', ''fatal'')', '22023'),
	('SELECT jobtrack.set_status(JOBID, ''queued'')', '55000'),
	('UPDATE jobtrack.job_status SET status = ''delayed'' WHERE id = JOBID', '55000'),
	('UPDATE jobtrack.job_status SET status = NULL WHERE id = JOBID', '23502'),
	('INSERT INTO jobtrack.job_status (job_type, status) VALUES (''X'', NULL)', '23502'),
	('INSERT INTO jobtrack.job_status (id, job_type) VALUES (NULL, ''X'')', '23502'),
	('UPDATE jobtrack.job_status SET group_id = NULL WHERE id = JOBID', '55000'),
	('UPDATE jobtrack.job_status SET external_id = NULL WHERE id = JOBID', '55000'),
	-- wrong types are refused by PostgreSQL before jobtrack runs
	('SELECT jobtrack.start_job(1.5)', '42883'),
	('SELECT jobtrack.create_job(''X'', tags => ''{}''::jsonb::text::int)', '42883');
UPDATE cases SET sql = replace(sql, 'JOBID', :j::text);

CREATE FUNCTION pg_temp.tables_md5() RETURNS text LANGUAGE sql AS $$
	SELECT md5(string_agg(t, '|' ORDER BY t)) FROM (
		SELECT 'j' || md5(string_agg(x::text, ',' ORDER BY x.id)) t FROM jobtrack.job_status x
		UNION ALL SELECT 'm' || md5(coalesce(string_agg(x::text, ',' ORDER BY x.id), '')) FROM jobtrack.job_message x
		UNION ALL SELECT 's' || md5(coalesce(string_agg(x::text, ',' ORDER BY x.id), '')) FROM jobtrack.job_signal x
		UNION ALL SELECT 'g' || md5(coalesce(string_agg(x::text, ',' ORDER BY x.id), '')) FROM jobtrack.job_group x
		UNION ALL SELECT 'e' || md5(coalesce(string_agg(x::text, ',' ORDER BY x.external_id), '')) FROM jobtrack.job_external_id x
		UNION ALL SELECT 'c' || count(*)::text FROM jobtrack.group_change) s $$;

CREATE TEMP TABLE outcomes (n int, got text, changed boolean);
DO $$
DECLARE
	c record;
	before text;
	state text;
BEGIN
	FOR c IN SELECT * FROM cases ORDER BY n LOOP
		before := pg_temp.tables_md5();
		BEGIN
			EXECUTE c.sql;
			state := '00000';
			RAISE EXCEPTION USING ERRCODE = 'JT999';	-- accepted cases are rolled back too
		EXCEPTION
			WHEN SQLSTATE 'JT999' THEN
				NULL;
			WHEN OTHERS THEN
				GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE;
		END;
		INSERT INTO outcomes VALUES (c.n, state, pg_temp.tables_md5() IS DISTINCT FROM before);
	END LOOP;
END
$$;
-- every case ended as expected, none with an internal error (XX000), none left a trace
SELECT count(*) AS cases, count(*) FILTER (WHERE got = expected) AS as_expected,
       count(*) FILTER (WHERE got LIKE 'XX%') AS internal_errors, count(*) FILTER (WHERE changed) AS changed_tables
  FROM cases JOIN outcomes USING (n);
SELECT n, sql, expected, got FROM cases JOIN outcomes USING (n)
 WHERE got IS DISTINCT FROM expected OR changed ORDER BY n;
SELECT got, count(*) FROM outcomes GROUP BY got ORDER BY got;
