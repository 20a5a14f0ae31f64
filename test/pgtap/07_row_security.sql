-- 07_row_security.sql: with the row-level security switch on, a role sees
-- and changes only the jobs it owns, and the evaluator still sees them all.
BEGIN;
SELECT plan(21);

-- the switch of README.md "Row-level security"
ALTER TABLE jobtrack.job_status ENABLE ROW LEVEL SECURITY;
ALTER TABLE jobtrack.job_message ENABLE ROW LEVEL SECURITY;
ALTER TABLE jobtrack.job_signal ENABLE ROW LEVEL SECURITY;

CREATE ROLE jt_rls_a;
CREATE ROLE jt_rls_b;
GRANT USAGE ON SCHEMA jobtrack, jobtrack_internal TO jt_rls_a, jt_rls_b;
GRANT SELECT, INSERT, UPDATE ON jobtrack.job_status, jobtrack.job_message,
	jobtrack.job_signal TO jt_rls_a, jt_rls_b;
GRANT SELECT ON jobtrack.job_group TO jt_rls_a, jt_rls_b;
GRANT SELECT ON jobtrack.group_event TO jt_rls_a, jt_rls_b;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA jobtrack TO jt_rls_a, jt_rls_b;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA jobtrack, jobtrack_internal TO jt_rls_a, jt_rls_b;

SELECT jobtrack.group_id('rls shared') AS g \gset
SET ROLE jt_rls_b;
SELECT jobtrack.create_job('RlsB', tags => '{"t": "b"}', group_id => :g, external_id => 'rls-b') AS b \gset
SELECT jobtrack.start_job(:b);
SELECT jobtrack.add_message(:b, 'secret') AS bm \gset
SELECT jobtrack.send_signal(:b, 'pause') AS bs \gset
RESET ROLE;

SET ROLE jt_rls_a;
SELECT jobtrack.create_job('RlsA', tags => '{"t": "a"}', group_id => :g) AS a \gset
SELECT jobtrack.start_job(:a);
SELECT jobtrack.succeed_job(:a);

SELECT is((SELECT count(*) FROM jobtrack.job_status WHERE job_type = 'RlsB'), 0::bigint, 'A sees none of B''s jobs in the table');
SELECT is((SELECT count(*) FROM jobtrack.for_job('RlsB')), 0::bigint, 'nor through for_job');
SELECT is((SELECT count(*) FROM jobtrack.where_tag('t', 'b')), 0::bigint, 'nor through where_tag');
SELECT is((SELECT count(*) FROM jobtrack.where_status('started')), 0::bigint, 'nor through where_status');
SELECT is((SELECT count(*) FROM jobtrack.in_group(:g)), 1::bigint, 'in_group shows only A''s own job');
SELECT is((SELECT jobtrack.count_not_finished(status) FROM jobtrack.job_status), 0::bigint, 'aggregates count only A''s jobs');
SELECT is((SELECT count(*) FROM jobtrack.job_message WHERE id = :bm), 0::bigint, 'A sees none of B''s messages');
SELECT is((SELECT count(*) FROM jobtrack.job_signal WHERE id = :bs), 0::bigint, 'A sees none of B''s signals');
SELECT throws_ok(format('SELECT jobtrack.set_status(%s, ''failed'')', :b), 'P0002', NULL, 'set_status on B''s job: P0002');
SELECT throws_ok('SELECT jobtrack.succeed_job(jobtrack.job(''rls-b''))', 'P0002', NULL, 'by external id too');
SELECT throws_ok('SELECT jobtrack.job(''rls-b'')', 'P0002', 'job with external id "rls-b" does not exist',
	'job() does not tell A the id of B''s job');
SELECT throws_ok('SELECT jobtrack.create_job(''RlsA'', external_id => ''rls-b'')', '23505',
	'external id "rls-b" is taken by a job of another role', 'create_job with B''s external id: taken, and no job id');
SELECT is(jobtrack.create_job('RlsA', external_id => 'rls-a'), jobtrack.job('rls-a'),
	'A names its own job by external id, without any grant on job_external_id');
SELECT is(jobtrack.create_job('RlsA', external_id => 'rls-a'), jobtrack.job('rls-a'),
	'and a repeated create_job returns it');
SELECT throws_ok(format('SELECT jobtrack.add_message(%s, ''x'')', :b), 'P0002', NULL, 'add_message on B''s job: P0002');
SELECT results_eq(format('WITH u AS (UPDATE jobtrack.job_status SET percentage = 5 WHERE id = %s RETURNING 1) SELECT count(*) FROM u', :b),
	ARRAY[0::bigint], 'a plain UPDATE of B''s job changes 0 rows');
SELECT throws_ok('INSERT INTO jobtrack.job_status (job_type, owner) VALUES (''Forged'', ''jt_rls_b'')', '42501', NULL,
	'an insert with owner = B fails WITH CHECK');
SELECT throws_ok('SELECT jobtrack.flush_progress()', '42501', 'permission denied to flush live progress',
	'A may not flush live progress: the flush locks B''s rows too');
RESET ROLE;

-- the evaluator counts B's running job: A's finished job does not complete the group
GRANT EXECUTE ON FUNCTION jobtrack.check_groups() TO jt_rls_a;
SET ROLE jt_rls_a;
SELECT ok(jobtrack.check_groups() >= 0, 'A may run check_groups()');
RESET ROLE;
SELECT is((SELECT status::text FROM jobtrack.job_group WHERE id = :g), 'running', 'the group is running, not completed');
SELECT is((SELECT count(*) FROM jobtrack.group_event WHERE group_id = :g AND event = 'group.completed'), 0::bigint,
	'no group.completed while B''s job runs');

SELECT * FROM finish();
ROLLBACK;
