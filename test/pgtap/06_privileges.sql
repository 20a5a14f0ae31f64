-- 06_privileges.sql: privileges.  PUBLIC has nothing
-- on jobtrack; SECURITY DEFINER functions pin search_path; and the writer,
-- reader and admin roles, with exactly the grants the README shows, can do
-- their part of the API and nothing more.  Roles are created inside the
-- test transaction, so the ROLLBACK removes them.
\set ON_ERROR_STOP 1
BEGIN;
SELECT plan(160);

-- 3. privilege audit: no ACL entry for PUBLIC (grantee 0), NULL ACLs read as their defaults
SELECT is_empty($$
	SELECT p.oid::regprocedure::text, a.privilege_type
	  FROM pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) AS a
	 WHERE p.pronamespace IN ('jobtrack'::regnamespace, 'jobtrack_internal'::regnamespace) AND a.grantee = 0
	$$, 'PUBLIC can execute no jobtrack function or aggregate');
SELECT is_empty($$
	SELECT c.oid::regclass::text, c.relkind, a.privilege_type
	  FROM pg_class c,
		   aclexplode(coalesce(c.relacl, acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char", c.relowner))) AS a
	 WHERE c.relnamespace = 'jobtrack'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
	   AND a.grantee = 0
	$$, 'PUBLIC has no privilege on any jobtrack table, view or sequence');
SELECT is_empty($$
	SELECT a.privilege_type FROM pg_namespace n,
		   aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) AS a
	 WHERE n.nspname IN ('jobtrack', 'jobtrack_internal') AND a.grantee = 0
	$$, 'PUBLIC has no privilege on schema jobtrack');
SELECT cmp_ok((SELECT count(*) FROM pg_class WHERE relnamespace = 'jobtrack'::regnamespace AND relkind IN ('r', 'v', 'S')),
	'>=', 14::bigint, 'the audit covered at least 8 tables, 1 view and 5 sequences');
SELECT is_empty($$
	SELECT c.oid::regclass::text FROM pg_class c
	 WHERE c.relnamespace = 'jobtrack'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
	   AND (has_table_privilege('public', c.oid, 'SELECT') OR has_table_privilege('public', c.oid, 'INSERT')
			OR has_table_privilege('public', c.oid, 'UPDATE') OR has_table_privilege('public', c.oid, 'DELETE'))
	$$, 'has_table_privilege(public, ...) is false for every jobtrack relation');

-- 4. SECURITY DEFINER hygiene
SELECT is_empty($$
	SELECT p.oid::regprocedure::text FROM pg_proc p
	 WHERE p.pronamespace IN ('jobtrack'::regnamespace, 'jobtrack_internal'::regnamespace) AND p.prosecdef
	   AND NOT coalesce(array_to_string(p.proconfig, ',') ~ 'search_path=pg_catalog, *pg_temp', false)
	$$, 'every SECURITY DEFINER function has search_path=pg_catalog, pg_temp');
SELECT is_empty($$
	SELECT p.oid::regprocedure::text FROM pg_proc p
	 WHERE p.pronamespace IN ('jobtrack'::regnamespace, 'jobtrack_internal'::regnamespace) AND p.prosecdef
	   AND has_function_privilege('public', p.oid, 'EXECUTE')
	$$, 'no SECURITY DEFINER function is executable by PUBLIC');
SELECT is_empty($$
	SELECT p.oid::regprocedure::text FROM pg_proc p
	 WHERE p.pronamespace IN ('jobtrack'::regnamespace, 'jobtrack_internal'::regnamespace) AND p.prosecdef
	   AND p.oid NOT IN ('jobtrack.check_groups()'::regprocedure, 'jobtrack.update_status_running(bigint)'::regprocedure,
						 'jobtrack.run_maintenance()'::regprocedure, 'jobtrack_internal.job_status_deleted()'::regprocedure,
						 'jobtrack_internal.check_event_horizon(bigint)'::regprocedure, 'jobtrack.recount_groups(bigint)'::regprocedure,
						 'jobtrack_internal.job_child_owner()'::regprocedure)
	$$, 'only the evaluators, maintenance, the deleted-job and child-owner triggers and the event horizon check are SECURITY DEFINER');
SELECT ok((SELECT prosecdef FROM pg_proc WHERE oid = 'jobtrack.check_groups()'::regprocedure),
	'check_groups() runs with definer rights (RLS never hides jobs from it)');

-- a fresh role: nothing at all
CREATE ROLE jt_tap_nobody;
SET ROLE jt_tap_nobody;
SELECT throws_ok($$SELECT jobtrack.create_job('Nope')$$, '42501', NULL, 'a fresh role cannot call create_job');
SELECT throws_ok($$SELECT jobtrack.start_job(1)$$, '42501', NULL, 'a fresh role cannot call start_job');
SELECT throws_ok($$SELECT jobtrack.check_groups()$$, '42501', NULL, 'a fresh role cannot call check_groups');
SELECT throws_ok($$SELECT * FROM jobtrack.job_status$$, '42501', NULL, 'a fresh role cannot select jobtrack.job_status');
RESET ROLE;

-- a role with USAGE on the schema and nothing else: every function and aggregate is refused
-- (called with non-NULL constants: a STRICT function of a NULL constant folds to NULL unchecked)
CREATE ROLE jt_tap_usage;
GRANT USAGE ON SCHEMA jobtrack, jobtrack_internal TO jt_tap_usage;
CREATE TEMP TABLE jt_call AS
SELECT p.oid::regprocedure::text AS fn,
	   format('permission denied for %s %s', CASE p.prokind WHEN 'a' THEN 'aggregate' ELSE 'function' END, p.proname) AS msg,
	   format('SELECT %s.%s(%s)', quote_ident(n.nspname), quote_ident(p.proname),
			  (SELECT string_agg(CASE WHEN p.provariadic <> 0 AND i = p.pronargs THEN 'VARIADIC ' ELSE '' END
								 || quote_literal(CASE format_type(t, NULL) WHEN 'jobtrack.status' THEN 'queued'
									WHEN 'jobtrack.status[]' THEN '{queued}' WHEN 'jsonb' THEN '{}'
									WHEN 'interval' THEN '1 minute' WHEN 'boolean' THEN 'false' ELSE '1' END)
								 || '::' || format_type(t, NULL), ', ' ORDER BY i)
				 FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS u(t, i))) AS q
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'jobtrack';
GRANT SELECT ON jt_call TO jt_tap_usage;
SET ROLE jt_tap_usage;
SELECT throws_ok(q, '42501', msg, format('a role without grants cannot call %s', fn)) FROM jt_call ORDER BY fn;
SELECT throws_ok(format('SELECT * FROM %s LIMIT 1', c.oid::regclass), '42501', NULL,
	format('a role without grants cannot select %s', c.oid::regclass))
  FROM pg_class c WHERE c.relnamespace = 'jobtrack'::regnamespace AND c.relkind IN ('r', 'v')
 ORDER BY c.relname;
SELECT throws_ok($$INSERT INTO jobtrack.job_status (job_type) VALUES ('Nope')$$, '42501', NULL,
	'a role without grants cannot insert a job');
SELECT throws_ok($$SELECT nextval('jobtrack.job_status_id_seq')$$, '42501', NULL,
	'a role without grants cannot use the job id sequence');
RESET ROLE;

-- 5. the role matrix, with exactly the README's grants
CREATE ROLE jt_tap_writer;
CREATE ROLE jt_tap_reader;
CREATE ROLE jt_tap_admin;

-- the grants of README.md "Roles"
GRANT USAGE ON SCHEMA jobtrack, jobtrack_internal TO jt_tap_writer;
GRANT SELECT, INSERT, UPDATE ON jobtrack.job_status, jobtrack.job_message,
	jobtrack.job_signal TO jt_tap_writer;
GRANT SELECT ON jobtrack.job_external_id TO jt_tap_writer;
GRANT SELECT ON jobtrack.job_group TO jt_tap_writer;
GRANT SELECT ON jobtrack.group_event, jobtrack.stats TO jt_tap_writer;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA jobtrack TO jt_tap_writer;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA jobtrack, jobtrack_internal TO jt_tap_writer;
REVOKE EXECUTE ON FUNCTION jobtrack.check_groups(), jobtrack.run_maintenance(),
	jobtrack.update_status_running(bigint), jobtrack.recount_groups(bigint) FROM jt_tap_writer;

GRANT USAGE ON SCHEMA jobtrack, jobtrack_internal TO jt_tap_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA jobtrack TO jt_tap_reader;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA jobtrack, jobtrack_internal TO jt_tap_reader;
REVOKE EXECUTE ON FUNCTION jobtrack.check_groups(), jobtrack.run_maintenance(),
	jobtrack.update_status_running(bigint), jobtrack.recount_groups(bigint), jobtrack.create_group(text, jsonb, interval),
	jobtrack.group_id(text) FROM jt_tap_reader;

GRANT jt_tap_writer TO jt_tap_admin;
GRANT EXECUTE ON FUNCTION jobtrack.check_groups(), jobtrack.run_maintenance(),
	jobtrack.update_status_running(bigint), jobtrack.recount_groups(bigint) TO jt_tap_admin;

-- the admin creates the group the writer's jobs go into
SET ROLE jt_tap_admin;
SELECT lives_ok($$SELECT jobtrack.create_group('matrix group')$$, 'admin: create_group');
SELECT lives_ok($$SELECT jobtrack.group_id('matrix group 2')$$, 'admin: group_id (first-or-create)');
RESET ROLE;
-- (created here by the superuser too, so the rest of the matrix runs even where the admin could not)
SELECT jobtrack.group_id('matrix group') AS g \gset
SELECT jobtrack.check_groups() \g /dev/null

-- writer: the whole job API
SET ROLE jt_tap_writer;
SELECT jobtrack.create_job('Matrix', 'm', '{"n": "1"}', :g, '{"d": 1}', 'mx-1') AS w \gset
SELECT is(jobtrack.create_job('Matrix', external_id => 'mx-1'), :w::bigint, 'writer: create_job first-or-create by external id');
SELECT is(owner, 'jt_tap_writer'::name, 'writer: the job''s owner is the writer') FROM jobtrack.job_status WHERE id = :w;
SELECT is(jobtrack.start_job(jobtrack.job('mx-1')), 'started', 'writer: start_job');
SELECT lives_ok(format('SELECT jobtrack.set_progress(%s::bigint, 50), jobtrack.set_progress(jobtrack.job(''mx-1''), 3, 4), jobtrack.heartbeat(%s::bigint)', :w, :w),
	'writer: set_progress (both forms) and heartbeat');
SELECT lives_ok(format('SELECT jobtrack.add_message(%s::bigint, ''hi'', ''success''), jobtrack.send_signal(jobtrack.job(''mx-1''), ''s''), jobtrack.request_cancel(%s::bigint)', :w, :w),
	'writer: add_message, send_signal, request_cancel');
SELECT is((SELECT count(*) FROM jobtrack.take_signals(jobtrack.job('mx-1'))), 2::bigint, 'writer: take_signals');
SELECT is(jobtrack.pause_job(:w::bigint), 'paused', 'writer: pause_job');
SELECT is(jobtrack.set_status(jobtrack.job('mx-1'), 'started'), 'started', 'writer: set_status');
SELECT is(jobtrack.fail_job(:w::bigint, 'x'), 'failed', 'writer: fail_job');
SELECT is(jobtrack.retry_job(jobtrack.job('mx-1')), 'queued', 'writer: retry_job');
SELECT lives_ok(format('UPDATE jobtrack.job_status SET status = ''started'' WHERE id = %s', :w), 'writer: a plain UPDATE of the status');
SELECT throws_ok(format('UPDATE jobtrack.job_status SET status = ''delayed'' WHERE id = %s', :w), '55000', NULL,
	'writer: the status machine still applies to a plain UPDATE');
SELECT is(jobtrack.succeed_job(:w::bigint), 'succeeded', 'writer: succeed_job');
SELECT jobtrack.create_job('Matrix', group_id => :g) AS w2 \gset
SELECT is(jobtrack.cancel_job(:w2::bigint), 'cancelled', 'writer: cancel_job');
SELECT results_eq($$SELECT jobtrack.get_status(jobtrack.job('mx-1')), jobtrack.percentage(jobtrack.job('mx-1')), jobtrack.is_successful(jobtrack.job('mx-1')), jobtrack.runtime(jobtrack.job('mx-1')) IS NOT NULL$$,
	$$VALUES ('succeeded'::jobtrack.status, 100::numeric, true, true)$$, 'writer: get_status, percentage, predicates, runtime');
SELECT results_eq(format($$SELECT (SELECT count(*) FROM jobtrack.where_tag('n', '=', '1') WHERE job_type = 'Matrix'), (SELECT count(*) FROM jobtrack.where_tag('n', '<', '2') WHERE job_type = 'Matrix'),
		(SELECT jobtrack.count_finished(status) FROM jobtrack.in_group(%s)), (SELECT count(*) FROM jobtrack.for_job('Matrix'))$$, :g),
	$$VALUES (1::bigint, 1::bigint, 2::bigint, 2::bigint)$$, 'writer: scopes and aggregates');
SELECT lives_ok($$SELECT * FROM jobtrack.group_events()$$, 'writer: group_events');
SELECT throws_ok($$SELECT jobtrack.check_groups()$$, '42501', NULL, 'writer: cannot run check_groups()');
SELECT throws_ok($$SELECT jobtrack.run_maintenance()$$, '42501', NULL, 'writer: cannot run run_maintenance()');
SELECT throws_ok(format('SELECT jobtrack.update_status_running(%s)', :g), '42501', NULL, 'writer: cannot run update_status_running()');
SELECT throws_ok($$DROP TABLE jobtrack.job_status$$, '42501', NULL, 'writer: cannot DROP a jobtrack table');
SELECT throws_ok($$ALTER TABLE jobtrack.job_status ADD COLUMN evil int$$, '42501', NULL, 'writer: cannot ALTER a jobtrack table');
SELECT throws_ok($$ALTER TABLE jobtrack.job_status DISABLE TRIGGER job_status_guard$$, '42501', NULL, 'writer: cannot disable the status guard');
SELECT throws_ok($$DROP FUNCTION jobtrack.check_groups()$$, '42501', NULL, 'writer: cannot DROP a jobtrack function');
SELECT throws_ok($$ALTER FUNCTION jobtrack.check_groups() SECURITY INVOKER$$, '42501', NULL, 'writer: cannot ALTER a jobtrack function');
SELECT throws_ok($$CREATE OR REPLACE FUNCTION jobtrack.create_job(text) RETURNS bigint LANGUAGE sql AS 'SELECT 1::bigint'$$, '42501', NULL,
	'writer: cannot create functions in schema jobtrack');
SELECT throws_ok($$DROP VIEW jobtrack.stats$$, '42501', NULL, 'writer: cannot DROP the stats view');
SELECT throws_ok($$DROP TYPE jobtrack.status CASCADE$$, '42501', NULL, 'writer: cannot DROP a jobtrack type');
SELECT throws_ok($$ALTER TYPE jobtrack.status ADD VALUE 'evil'$$, '42501', NULL, 'writer: cannot ALTER a jobtrack type');
SELECT throws_ok($$DROP EXTENSION jobtrack$$, '42501', NULL, 'writer: cannot DROP EXTENSION jobtrack');
SELECT throws_ok($$TRUNCATE jobtrack.job_status$$, '42501', NULL, 'writer: cannot TRUNCATE jobs');
SELECT throws_ok($$INSERT INTO jobtrack.job_status (id, job_type)
	VALUES (pg_sequence_last_value('jobtrack.job_status_id_seq') + 3, 'squat')$$, '42501',
	format('cannot give a new job the id %s', pg_sequence_last_value('jobtrack.job_status_id_seq') + 3),
	'writer: cannot take a job id the sequence has not handed out yet');
SELECT lives_ok($$INSERT INTO jobtrack.job_status (job_type) VALUES ('by hand')$$,
	'writer: a job inserted by hand gets its id from the sequence');
SELECT throws_ok($$INSERT INTO jobtrack.job_external_id VALUES ('squat', 1)$$, '42501', NULL,
	'writer: cannot map an external id by hand (the trigger does, as the owner)');
SELECT throws_ok($$DELETE FROM jobtrack.job_status$$, '42501', NULL, 'writer: cannot DELETE jobs');
SELECT throws_ok(format('UPDATE jobtrack.job_group SET status = ''completed'' WHERE id = %s', :g), '42501', NULL,
	'writer: cannot change a group');
SELECT throws_ok($$INSERT INTO jobtrack.job_group (title, status) VALUES ('forged', 'running')$$, '42501', NULL,
	'writer: cannot insert a group with a state of its own');
SELECT throws_ok(format('UPDATE jobtrack.job_group SET run = 7, checked_at = now() WHERE id = %s', :g), '42501', NULL,
	'writer: cannot set a group''s run or check time');
SELECT ok(jobtrack.create_group('writer group') > 0, 'writer: create_group');
SELECT ok(jobtrack.group_id('writer group 2') > 0, 'writer: group_id creates a group');
SELECT is((SELECT status || ' ' || run || ' ' || owner FROM jobtrack.job_group WHERE title = 'writer group'),
	'pending 1 jt_tap_writer', 'writer: a created group is pending, run 1, owned by the writer');
SELECT throws_ok(format('INSERT INTO jobtrack.group_event (group_id, run, event, payload) VALUES (%s, 9, ''group.completed'', ''{}'')', :g),
	'42501', NULL, 'writer: cannot forge a group event');
RESET ROLE;

-- admin: runs the evaluator
SET ROLE jt_tap_admin;
SELECT is(jobtrack.check_groups(), 2, 'admin: check_groups() raises the writer''s group events');
SELECT results_eq(format($$SELECT event FROM jobtrack.group_events() WHERE group_id = %s$$, :g),
	$$VALUES ('group.started'), ('group.completed')$$, 'admin: reads the events check_groups() raised');
SELECT lives_ok($$SELECT jobtrack.run_maintenance()$$, 'admin: run_maintenance()');
RESET ROLE;
SELECT jobtrack.group_id('matrix group 3') AS g3 \gset
SET ROLE jt_tap_admin;
SELECT jobtrack.create_job('Matrix', group_id => :g3) \g /dev/null
SELECT is(jobtrack.update_status_running(:g3), 'running', 'admin: update_status_running() marks a pending group running');
SELECT is(jobtrack.check_groups(), 0, 'admin: check_groups() after update_status_running() raises no second group.started');
RESET ROLE;

-- reader: reads everything, writes nothing
SET ROLE jt_tap_reader;
SELECT results_eq(format($$SELECT count(*), jobtrack.count_finished(status) FROM jobtrack.job_status WHERE group_id = %s$$, :g),
	$$VALUES (2::bigint, 2::bigint)$$, 'reader: selects jobs and runs the aggregates');
SELECT results_eq(format($$SELECT (SELECT count(*) FROM jobtrack.for_job('Matrix')), (SELECT count(*) FROM jobtrack.for_job_alias('m')),
		(SELECT count(*) FROM jobtrack.where_tag('n', '1') WHERE job_type = 'Matrix'),
		(SELECT count(*) FROM jobtrack.where_tag('n', '>=', '1') WHERE job_type = 'Matrix'),
		(SELECT count(*) FROM jobtrack.where_status('succeeded') WHERE job_type = 'Matrix'), (SELECT count(*) FROM jobtrack.where_not_status('succeeded') WHERE job_type = 'Matrix'),
		(SELECT count(*) FROM jobtrack.in_group(%s))$$, :g),
	$$VALUES (3::bigint, 1::bigint, 1::bigint, 1::bigint, 1::bigint, 2::bigint, 2::bigint)$$, 'reader: every scope');
SELECT results_eq(format($$SELECT jobtrack.get_status(%s::bigint), jobtrack.percentage(jobtrack.job('mx-1')), jobtrack.runtime(%s::bigint) IS NOT NULL,
		jobtrack.is_successful(jobtrack.job('mx-1')), jobtrack.is_failed(%s::bigint), jobtrack.is_cancelled(jobtrack.job('mx-1')), jobtrack.is_running(jobtrack.job('mx-1')),
		jobtrack.is_queued(jobtrack.job('mx-1')), jobtrack.has_finished('succeeded'::jobtrack.status), jobtrack.status_from_text('completed')$$, :w, :w, :w),
	$$VALUES ('succeeded'::jobtrack.status, 100::numeric, true, true, false, false, false, false, true, 'succeeded'::jobtrack.status)$$,
	'reader: get_status, percentage, runtime, the predicates, status_from_text');
SELECT is((SELECT count(*) FROM jobtrack.group_events(0) WHERE group_id IN (:g, :g3)), 3::bigint, 'reader: group_events');
SELECT lives_ok($$SELECT count(*) FROM jobtrack.job_message, jobtrack.job_signal, jobtrack.job_group, jobtrack.group_event$$,
	'reader: selects messages, signals, groups and events');
SELECT lives_ok($$SELECT * FROM jobtrack.stats$$, 'reader: selects jobtrack.stats');
SELECT throws_ok($$SELECT jobtrack.create_job('Nope')$$, '42501', 'permission denied for table job_status', 'reader: cannot create_job (no INSERT on job_status)');
SELECT throws_ok($$SELECT jobtrack.start_job(jobtrack.job('mx-1'))$$, '42501', NULL, 'reader: cannot start_job');
SELECT throws_ok($$SELECT jobtrack.set_status(jobtrack.job('mx-1'), 'succeeded')$$, '42501', NULL, 'reader: cannot set_status');
SELECT throws_ok($$SELECT jobtrack.set_progress(jobtrack.job('mx-1'), 5)$$, '42501', NULL, 'reader: cannot set_progress');
SELECT throws_ok($$SELECT jobtrack.heartbeat(jobtrack.job('mx-1'))$$, '42501', NULL, 'reader: cannot heartbeat');
SELECT throws_ok($$SELECT jobtrack.add_message(jobtrack.job('mx-1'), 'x')$$, '42501', NULL, 'reader: cannot add_message');
SELECT throws_ok($$SELECT jobtrack.send_signal(jobtrack.job('mx-1'), 'x')$$, '42501', NULL, 'reader: cannot send_signal');
SELECT throws_ok($$SELECT * FROM jobtrack.take_signals(jobtrack.job('mx-1'))$$, '42501', NULL, 'reader: cannot take_signals (it marks them handled)');
SELECT throws_ok($$SELECT jobtrack.create_group('reader group')$$, '42501', NULL, 'reader: cannot create_group');
SELECT throws_ok($$SELECT jobtrack.check_groups()$$, '42501', NULL, 'reader: cannot run check_groups()');
SELECT throws_ok($$UPDATE jobtrack.job_status SET alias = 'x'$$, '42501', NULL, 'reader: cannot UPDATE jobs');
SELECT throws_ok($$INSERT INTO jobtrack.job_status (job_type) VALUES ('x')$$, '42501', NULL, 'reader: cannot INSERT jobs');
SELECT throws_ok($$DELETE FROM jobtrack.job_message$$, '42501', NULL, 'reader: cannot DELETE messages');
RESET ROLE;

-- the definer-rights triggers refuse a table of the same name elsewhere: a
-- reader may attach them (it may execute every jobtrack function, and
-- create temporary tables), and must not run them as the owner that way
SELECT jobtrack.add_message(jobtrack.job('mx-1'), 'kept') \g /dev/null
SELECT count(*) AS messages_before FROM jobtrack.job_message \gset
SELECT cmp_ok(:messages_before::bigint, '>', 0::bigint, 'there are messages a forged trigger could delete');
SET ROLE jt_tap_reader;
SELECT lives_ok($$CREATE TEMP TABLE job_status (id bigint);
	CREATE TRIGGER forged AFTER DELETE ON job_status REFERENCING OLD TABLE AS gone
		FOR EACH STATEMENT EXECUTE FUNCTION jobtrack_internal.job_status_deleted();
	INSERT INTO job_status SELECT id FROM jobtrack.job_status$$,
	'reader: attaches the deleted-job trigger to a temporary table named job_status');
SELECT throws_ok($$DELETE FROM pg_temp.job_status$$, '42501', NULL,
	'reader: the deleted-job trigger refuses to run on it');
SELECT lives_ok($$CREATE TEMP TABLE job_message (job_id bigint, owner name);
	CREATE TRIGGER forged BEFORE INSERT ON job_message
		FOR EACH ROW EXECUTE FUNCTION jobtrack_internal.job_child_owner()$$,
	'reader: attaches the child-owner trigger to a temporary table named job_message');
SELECT throws_ok(format($$INSERT INTO pg_temp.job_message VALUES (%s, NULL)$$, jobtrack.job('mx-1')), '42501', NULL,
	'reader: the child-owner trigger refuses to read a job''s owner for it');
RESET ROLE;
SELECT is((SELECT count(*) FROM jobtrack.job_message), :messages_before::bigint,
	'no message was deleted through the forged trigger');

SELECT * FROM finish();
ROLLBACK;
