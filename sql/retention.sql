-- Group events older than jobtrack.event_retention are deleted from the
-- oldest on; group_events(after_id) then refuses an after_id whose next
-- events are gone (JT001) instead of returning a silent gap.
SELECT jobtrack.check_groups() >= 0 AS earlier_changes_drained;
DELETE FROM jobtrack.group_event;
SELECT jobtrack.create_group('kept') AS kg \gset
SELECT jobtrack.create_job('R', group_id => :kg) AS r1 \gset
SELECT jobtrack.start_job(:r1), jobtrack.succeed_job(:r1);
SELECT jobtrack.check_groups() AS events;
SELECT min(id) AS first_event, max(id) AS last_event FROM jobtrack.group_event \gset
-- nothing is old enough yet
SELECT jobtrack.run_maintenance() >= 0 AS ran;
SELECT count(*) AS events_kept FROM jobtrack.group_event;
SELECT count(*) AS from_start FROM jobtrack.group_events(1);
-- the first event ages past the retention
UPDATE jobtrack.group_event SET created_at = now() - interval '3 days' WHERE id = :first_event;
SELECT jobtrack.run_maintenance() >= 0 AS ran;
SELECT id = :last_event AS only_newest_kept FROM jobtrack.group_event;
SELECT deleted_through = :first_event AS horizon_moved FROM jobtrack.event_horizon;
-- resuming after the deleted event is fine; before it is an error of its own
SELECT count(*) AS after_deleted FROM jobtrack.group_events(:first_event);
SELECT count(*) AS every_kept_event FROM jobtrack.group_events();
-- 0 is no position yet: every kept event, never an error
SELECT count(*) AS from_no_position FROM jobtrack.group_events(0);
-- the error names the after_id and the last deleted id (shown here as N)
DO $$
DECLARE
	msg text;
	detail text;
	hint text;
BEGIN
	PERFORM count(*) FROM jobtrack.group_events(1);
EXCEPTION WHEN SQLSTATE 'JT001' THEN
	GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
	RAISE NOTICE E'JT001: %\n%\n%', regexp_replace(msg, '[0-9]+', 'N', 'g'),
		regexp_replace(detail, '[0-9]+', 'N', 'g'), hint;
END
$$;
\set VERBOSITY sqlstate
SELECT count(*) FROM jobtrack.group_events(:first_event - 1);
\set VERBOSITY default
-- only a prefix of ids goes: an old event behind a newer one waits for it
SELECT jobtrack.create_job('R', group_id => :kg) AS r2 \gset
SELECT jobtrack.start_job(:r2);
SELECT jobtrack.check_groups() AS events;
SELECT max(id) AS newest FROM jobtrack.group_event \gset
UPDATE jobtrack.group_event SET created_at = now() - interval '3 days' WHERE id = :newest;
SELECT jobtrack.run_maintenance() >= 0 AS ran;
SELECT count(*) AS both_kept FROM jobtrack.group_event;
UPDATE jobtrack.group_event SET created_at = now() - interval '3 days' WHERE id = :last_event;
SELECT jobtrack.run_maintenance() >= 0 AS ran;
SELECT count(*) AS both_gone FROM jobtrack.group_event;
SELECT deleted_through = :newest AS horizon_at_newest FROM jobtrack.event_horizon;
-- a group goes once its jobs are gone and its last event is older than the retention
SELECT jobtrack.create_group('emptied') AS eg \gset
SELECT jobtrack.create_job('R', group_id => :eg) AS e1 \gset
SELECT jobtrack.start_job(:e1), jobtrack.succeed_job(:e1);
SELECT jobtrack.check_groups() AS events;
SELECT jobtrack.add_message(:e1, 'goes with the job') > 0 AS message, jobtrack.send_signal(:e1, 'stop') > 0 AS signal;
DELETE FROM jobtrack.job_status WHERE id = :e1;
SELECT count(*) AS messages_left FROM jobtrack.job_message WHERE job_id = :e1;
SELECT count(*) AS signals_left FROM jobtrack.job_signal WHERE job_id = :e1;
SELECT jobtrack.check_groups() AS events;
SELECT jobtrack.run_maintenance() >= 0 AS ran;
SELECT count(*) AS recent_group_kept FROM jobtrack.job_group WHERE id = :eg;
UPDATE jobtrack.job_group SET created_at = now() - interval '3 days' WHERE id = :eg;
UPDATE jobtrack.group_event SET created_at = now() - interval '3 days' WHERE group_id = :eg;
-- a group with a job is kept however old
UPDATE jobtrack.job_group SET created_at = now() - interval '3 days' WHERE id = :kg;
SELECT jobtrack.run_maintenance() >= 0 AS ran;
SELECT count(*) AS emptied_group_gone FROM jobtrack.job_group WHERE id = :eg;
SELECT count(*) AS its_counts_gone FROM jobtrack.group_count WHERE group_id = :eg;
SELECT count(*) AS group_with_jobs_kept FROM jobtrack.job_group WHERE id = :kg;
-- a group that never had a job goes too: create_group gave it its counts, all zero
SELECT jobtrack.create_group('never used') AS ng \gset
SELECT queued + delayed + started + paused + stuck + succeeded + failed + cancelled AS counted
  FROM jobtrack.group_count WHERE group_id = :ng;
UPDATE jobtrack.job_group SET created_at = now() - interval '3 days' WHERE id = :ng;
-- a group without counts stays, whatever its age: a restore loads the groups
-- before their jobs, and does not load the counts (deleted here to stand for it)
SELECT jobtrack.create_group('restored') AS rg \gset
DELETE FROM jobtrack.group_count WHERE group_id = :rg;
UPDATE jobtrack.job_group SET created_at = now() - interval '3 days' WHERE id = :rg;
SELECT jobtrack.run_maintenance() >= 0 AS ran;
SELECT count(*) AS never_used_gone FROM jobtrack.job_group WHERE id = :ng;
SELECT count(*) AS uncounted_kept FROM jobtrack.job_group WHERE id = :rg;
-- a restored change of a job that is not there waits for the group's counts
INSERT INTO jobtrack.group_change (group_id, job_id, old_status, new_status, created_at)
VALUES (:rg, 0, NULL, 'queued', now());
SELECT jobtrack.check_groups() AS events;
SELECT count(*) AS restored_change_waits FROM jobtrack.group_change WHERE group_id = :rg AND restored;
-- recount_groups() counts its jobs, none, takes the change, and then the group goes
SELECT jobtrack.recount_groups(:rg) AS events;
SELECT count(*) AS counted FROM jobtrack.group_count WHERE group_id = :rg;
SELECT count(*) AS change_taken FROM jobtrack.group_change WHERE group_id = :rg;
SELECT status, run FROM jobtrack.job_group WHERE id = :rg;
SELECT jobtrack.run_maintenance() >= 0 AS ran;
SELECT count(*) AS counted_gone FROM jobtrack.job_group WHERE id = :rg;
-- TRUNCATE sets every group's counts to zero and keeps them: the old group
-- that had a job may then go
BEGIN;
TRUNCATE jobtrack.job_status;
SELECT queued + delayed + started + paused + stuck + succeeded + failed + cancelled AS counted
  FROM jobtrack.group_count WHERE group_id = :kg;
SELECT jobtrack.run_maintenance() >= 0 AS ran;
SELECT count(*) AS truncated_group_gone FROM jobtrack.job_group WHERE id = :kg;
ROLLBACK;
-- the counts of a group that does not exist (a job inserted by hand with a
-- made-up group id) go once its jobs are gone
INSERT INTO jobtrack.job_status (job_type, group_id) VALUES ('Stray', 987654321) RETURNING id AS stray \gset
SELECT jobtrack.check_groups() AS events;
SELECT queued FROM jobtrack.group_count WHERE group_id = 987654321;
DELETE FROM jobtrack.job_status WHERE id = :stray;
SELECT jobtrack.check_groups() AS events;
SELECT jobtrack.run_maintenance() >= 0 AS ran;
SELECT count(*) AS stray_counts_gone FROM jobtrack.group_count WHERE group_id = 987654321;
-- the group locks are striped: a transaction that adds jobs to 10,000 groups,
-- and a round of retention, each hold a bounded number of them
SELECT count(*) AS groups FROM (SELECT jobtrack.create_group('many ' || n) FROM generate_series(1, 10000) n) g;
BEGIN;
SELECT count(jobtrack.create_job('Many', group_id => g.id)) AS jobs FROM jobtrack.job_group g WHERE g.title LIKE 'many %';
SELECT count(*) BETWEEN 1 AND 128 AS locks_bounded FROM pg_locks WHERE locktype = 'userlock' AND pid = pg_backend_pid();
COMMIT;
DELETE FROM jobtrack.job_status WHERE job_type = 'Many';
SELECT jobtrack.check_groups() AS events;
UPDATE jobtrack.job_group SET created_at = now() - interval '3 days' WHERE title LIKE 'many %';
BEGIN;
SELECT jobtrack.run_maintenance() >= 0 AS ran;
SELECT count(*) BETWEEN 1 AND 128 AS locks_bounded FROM pg_locks WHERE locktype = 'userlock' AND pid = pg_backend_pid();
COMMIT;
SELECT count(*) AS many_left_after_one_round FROM jobtrack.job_group WHERE title LIKE 'many %';
DELETE FROM jobtrack.group_count WHERE group_id IN (SELECT id FROM jobtrack.job_group WHERE title LIKE 'many %');
DELETE FROM jobtrack.job_group WHERE title LIKE 'many %';
-- with event_retention = 0 nothing is deleted
SELECT jobtrack.start_job(jobtrack.create_job('R', group_id => jobtrack.group_id('kept forever')));
SELECT jobtrack.check_groups() AS events;
SET jobtrack.event_retention = 0;
UPDATE jobtrack.group_event SET created_at = now() - interval '30 days';
SELECT count(*) AS before FROM jobtrack.group_event \gset
SELECT :before > 0 AS has_events;
SELECT jobtrack.run_maintenance() >= 0 AS ran;
SELECT count(*) = :before AS nothing_deleted FROM jobtrack.group_event;
RESET jobtrack.event_retention;
