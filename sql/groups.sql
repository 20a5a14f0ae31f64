-- a group is pending until a job starts or finishes, running after that,
SELECT jobtrack.check_groups() >= 0 AS earlier_changes_drained;
-- completed when it has jobs and all of them are finished
SELECT jobtrack.create_group('import 2026-11-23', '{"source": "s3"}', '5 minutes') AS g \gset
SELECT jobtrack.group_id('import 2026-11-23') = :g AS first_or_create;
SELECT jobtrack.group_id('another') <> :g AS new_group;
SELECT status, run, time_to_check, payload FROM jobtrack.job_group WHERE id = :g;
SELECT jobtrack.check_groups() AS events_empty_group;
SELECT jobtrack.create_job('Import', group_id => :g) AS a \gset
SELECT jobtrack.create_job('Import', group_id => :g) AS b \gset
SELECT jobtrack.check_groups() AS events_queued;
SELECT status, run FROM jobtrack.job_group WHERE id = :g;
SELECT jobtrack.start_job(:a);
SELECT jobtrack.check_groups() AS events_started;
SELECT status, run, started_at IS NOT NULL AS has_started_at FROM jobtrack.job_group WHERE id = :g;
SELECT jobtrack.check_groups() AS events_nothing_changed;
SELECT jobtrack.succeed_job(:a), jobtrack.cancel_job(:b);
SELECT jobtrack.check_groups() AS events_completed;
SELECT status, run, completed_at IS NOT NULL AS has_completed_at FROM jobtrack.job_group WHERE id = :g;
SELECT run, event FROM jobtrack.group_event WHERE group_id = :g ORDER BY id;
-- a job added to a completed group reopens it: run 2, pending until a job starts
SELECT jobtrack.create_job('Import', group_id => :g) AS c \gset
SELECT jobtrack.check_groups() AS events_reopened;
SELECT status, run, started_at, completed_at FROM jobtrack.job_group WHERE id = :g;
-- every job of run 2 finishes between two checks: both events all the same, in order
SELECT jobtrack.start_job(:c), jobtrack.succeed_job(:c);
SELECT jobtrack.check_groups() AS events_both;
SELECT run, event FROM jobtrack.group_event WHERE group_id = :g ORDER BY id;
-- a retry of a job of a completed group reopens it too
SELECT jobtrack.retry_job(:b);
SELECT jobtrack.check_groups() AS events_retry;
SELECT status, run FROM jobtrack.job_group WHERE id = :g;
SELECT jobtrack.start_job(:b), jobtrack.fail_job(:b, 'again');
SELECT jobtrack.check_groups() AS events_run3;
SELECT run, event, payload->'counts' AS counts FROM jobtrack.group_event WHERE group_id = :g AND run = 3 ORDER BY id;
-- a rolled-back change raises nothing
BEGIN;
SELECT jobtrack.retry_job(:b);
ROLLBACK;
SELECT jobtrack.check_groups() AS events_after_rollback;
-- the counts kept by the evaluator equal the jobs
SELECT c.queued, c.started, c.succeeded, c.failed, c.cancelled,
       (SELECT count(*) FROM jobtrack.in_group(:g)) AS jobs
  FROM jobtrack.group_count c WHERE c.group_id = :g;
-- update_status_running marks a pending group running now
SELECT jobtrack.create_group('manual') AS m \gset
SELECT jobtrack.update_status_running(:m);
SELECT jobtrack.update_status_running(:m);
SELECT run, event FROM jobtrack.group_event WHERE group_id = :m ORDER BY id;
-- deleting a group's jobs updates its counts
SELECT jobtrack.create_group('deleted jobs') AS dg \gset
SELECT jobtrack.create_job('D', group_id => :dg) FROM generate_series(1, 3);
SELECT jobtrack.check_groups() AS events;
DELETE FROM jobtrack.job_status WHERE group_id = :dg AND id = (SELECT min(id) FROM jobtrack.job_status WHERE group_id = :dg);
SELECT jobtrack.check_groups() AS events;
SELECT queued FROM jobtrack.group_count WHERE group_id = :dg;
-- groups due on schedule are checked without a change
UPDATE jobtrack.job_group SET next_check_at = now() - interval '1 second' WHERE id = :m;
SELECT jobtrack.check_groups() AS events;
SELECT checked_at > created_at AS checked, next_check_at > now() AS rescheduled FROM jobtrack.job_group WHERE id = :m;
-- bad input
SELECT jobtrack.create_group('import 2026-11-23');
SELECT jobtrack.create_group(NULL);
SELECT jobtrack.create_group('');
SELECT jobtrack.create_group('x', time_to_check => '0');
-- compares equal to 1 second, but added to a date it is 5 days back
SELECT jobtrack.create_group('x', time_to_check => '-1 year 360 days 1 second');
SELECT jobtrack.create_group('x', time_to_check => NULL);
SELECT jobtrack.group_id(NULL);
SELECT jobtrack.update_status_running(999999);
SELECT jobtrack.update_status_running(NULL);
SELECT jobtrack.create_job('X', group_id => 999999);
-- check_groups needs READ COMMITTED: a snapshot older than its lock would miss changes
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT jobtrack.check_groups();
ROLLBACK;
-- a group and its first job in one statement
SELECT jobtrack.create_job('X', group_id => jobtrack.group_id('made on the fly')) > 0 AS created;
SELECT count(*) FROM jobtrack.in_group(jobtrack.group_id('made on the fly'));
-- every group that falls due on schedule is rescheduled by the pass that checks it, not only the first
SELECT jobtrack.check_groups() >= 0 AS drained;
CREATE TEMP TABLE due_groups AS
	SELECT jobtrack.create_group('due ' || i, time_to_check => '1 second') AS id FROM generate_series(1, 50) i;
UPDATE jobtrack.job_group SET next_check_at = now() - interval '1 second' WHERE id IN (SELECT id FROM due_groups);
SELECT jobtrack.check_groups() AS events;
SELECT count(*) AS still_due FROM jobtrack.job_group
 WHERE id IN (SELECT id FROM due_groups) AND next_check_at <= now();
SELECT count(*) AS checked FROM jobtrack.job_group
 WHERE id IN (SELECT id FROM due_groups) AND checked_at IS NOT NULL;
-- a run in which no job started or finished raises no event: a job added to a
-- completed group and deleted before it ran, in one pass or across two
SELECT jobtrack.create_group('added then deleted') AS ad \gset
SELECT jobtrack.create_job('A', group_id => :ad) AS ad1 \gset
SELECT jobtrack.start_job(:ad1), jobtrack.succeed_job(:ad1);
SELECT jobtrack.check_groups() AS events;
SELECT jobtrack.create_job('A', group_id => :ad) AS ad2 \gset
DELETE FROM jobtrack.job_status WHERE id = :ad2;
SELECT jobtrack.check_groups() AS events_same_pass;
SELECT status, run FROM jobtrack.job_group WHERE id = :ad;
SELECT jobtrack.create_job('A', group_id => :ad) AS ad3 \gset
SELECT jobtrack.check_groups() AS events_reopened;
SELECT status, run FROM jobtrack.job_group WHERE id = :ad;
DELETE FROM jobtrack.job_status WHERE id = :ad3;
SELECT jobtrack.check_groups() AS events_deleted_next_pass;
UPDATE jobtrack.job_group SET next_check_at = now() - interval '1 second' WHERE id = :ad;
SELECT jobtrack.check_groups() AS events_on_schedule;
SELECT run, event FROM jobtrack.group_event WHERE group_id = :ad ORDER BY id;
-- the pending run begins when a job of it runs, and a failed job retried and
-- run again within one pass opens and closes one more run
SELECT jobtrack.create_job('A', group_id => :ad) AS ad4 \gset
SELECT jobtrack.start_job(:ad4), jobtrack.fail_job(:ad4, 'first try');
SELECT jobtrack.check_groups() AS events_run_2;
SELECT jobtrack.retry_job(:ad4), jobtrack.start_job(:ad4), jobtrack.succeed_job(:ad4);
SELECT jobtrack.check_groups() AS events_run_3;
SELECT run, event FROM jobtrack.group_event WHERE group_id = :ad ORDER BY id;
-- writers create groups through create_group and group_id, owned by the caller
SELECT owner = current_user AS owned_by_caller FROM jobtrack.job_group WHERE id = :ad;
-- an update that keeps a job's status records nothing for its group, whether
-- it comes from progress, a heartbeat or a plain UPDATE of other columns
SET jobtrack.live_progress = off;
SELECT jobtrack.create_group('quiet') AS qg \gset
SELECT jobtrack.create_job('Quiet', group_id => :qg) AS qj \gset
SELECT jobtrack.start_job(:qj);
SELECT jobtrack.check_groups() AS events_started;
SELECT jobtrack.set_progress(:qj, 40), jobtrack.set_progress(:qj, 3, 4), jobtrack.heartbeat(:qj);
UPDATE jobtrack.job_status SET percentage = 60, data = '{"step": 2}' WHERE id = :qj;
SELECT percentage, progress_current, data FROM jobtrack.job_status WHERE id = :qj;
SELECT count(*) AS changes_recorded FROM jobtrack.group_change WHERE group_id = :qg;
SELECT jobtrack.check_groups() AS events_after_progress;
RESET jobtrack.live_progress;
-- check_groups() called from SQL checks every group that is due, however many
-- (run once a minute by pg_cron, it must keep up); the worker's own passes
-- take at most 200 each (TAP 001 shows that)
UPDATE jobtrack.job_group SET next_check_at = now() + interval '1 hour';
CREATE TEMP TABLE due_burst AS
  SELECT i, jobtrack.create_group('due burst ' || i) AS id FROM generate_series(1, 450) i;
UPDATE jobtrack.job_group g SET next_check_at = now() - (1000 - d.i) * interval '1 second'
  FROM due_burst d WHERE g.id = d.id;
CREATE FUNCTION pg_temp.burst_checked() RETURNS text LANGUAGE sql AS $$
  SELECT count(*) || ' checked, the latest due of them ' || coalesce(max(d.i), 0)
    FROM due_burst d JOIN jobtrack.job_group g USING (id) WHERE g.checked_at IS NOT NULL
$$;
SELECT jobtrack.check_groups() AS events, pg_temp.burst_checked() AS one_call;
-- create_job's check that its group exists answers what a SELECT of the
-- group by the caller would: a group created by an argument of the call, by
-- the calling statement itself (a data-modifying WITH: only a check that
-- advances the command counter sees it) or earlier in the transaction
-- exists, one deleted earlier in it does not, a role that may not read
-- job_group is refused, and row-level security on job_group is obeyed
-- (pg_temp.outcome runs a statement and says 'ok' or its SQLSTATE)
CREATE FUNCTION pg_temp.outcome(statement text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE statement;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE;
END $$;
SELECT pg_temp.outcome($$SELECT jobtrack.create_job('Probe', group_id => jobtrack.create_group('probe same call'))$$) AS group_from_same_call;
SELECT pg_temp.outcome($$WITH g AS (INSERT INTO jobtrack.job_group (title) VALUES ('probe same statement') RETURNING id)
  SELECT jobtrack.create_job('Probe', group_id => g.id) FROM g$$) AS group_from_same_statement;
BEGIN;
SELECT jobtrack.create_group('probe same transaction') AS pg \gset
SELECT pg_temp.outcome(format('SELECT jobtrack.create_job(%L, group_id => %s)', 'Probe', :pg)) AS group_from_same_transaction;
DELETE FROM jobtrack.job_group WHERE id = :pg;
SELECT pg_temp.outcome(format('SELECT jobtrack.create_job(%L, group_id => %s)', 'Probe', :pg)) AS group_deleted_in_transaction;
ROLLBACK;
SELECT jobtrack.create_group('probe hidden') AS hidden \gset
CREATE ROLE jt_probe;
GRANT USAGE ON SCHEMA jobtrack, jobtrack_internal TO jt_probe;
GRANT SELECT, INSERT, UPDATE ON jobtrack.job_status TO jt_probe;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA jobtrack TO jt_probe;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA jobtrack, jobtrack_internal TO jt_probe;
SELECT count(*) AS probe_jobs_before FROM jobtrack.job_status WHERE job_type = 'Probe';
SET ROLE jt_probe;
SELECT pg_temp.outcome(format('SELECT jobtrack.create_job(%L, group_id => %s)', 'Probe', :hidden)) AS without_select_on_job_group;
RESET ROLE;
GRANT SELECT ON jobtrack.job_group TO jt_probe;
CREATE POLICY probe_sees_some ON jobtrack.job_group FOR SELECT TO jt_probe USING (title <> 'probe hidden');
ALTER TABLE jobtrack.job_group ENABLE ROW LEVEL SECURITY;
SET ROLE jt_probe;
SELECT pg_temp.outcome(format('SELECT jobtrack.create_job(%L, group_id => %s)', 'Probe', :hidden)) AS group_hidden_by_policy;
SELECT pg_temp.outcome($$SELECT jobtrack.create_job('Probe', group_id => jobtrack.group_id('probe same call'))$$) AS group_the_policy_shows;
RESET ROLE;
ALTER TABLE jobtrack.job_group DISABLE ROW LEVEL SECURITY;
DROP POLICY probe_sees_some ON jobtrack.job_group;
SELECT count(*) AS probe_jobs_after FROM jobtrack.job_status WHERE job_type = 'Probe';
REVOKE ALL ON ALL TABLES IN SCHEMA jobtrack FROM jt_probe;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA jobtrack FROM jt_probe;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA jobtrack, jobtrack_internal FROM jt_probe;
REVOKE ALL ON SCHEMA jobtrack, jobtrack_internal FROM jt_probe;
DROP ROLE jt_probe;
