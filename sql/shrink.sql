-- After a pass drained a large log of changes, group_change is emptied at
-- once rather than left full of dead rows that every later pass scans until
-- autovacuum comes.  It is emptied only when no change is left in it, and
-- never inside a caller's transaction block.
SELECT jobtrack.check_groups() >= 0 AS earlier_changes_drained;
SELECT jobtrack.create_group('bulk') AS bg \gset
-- one statement creates 20,000 jobs of the group: 20,000 changes
INSERT INTO jobtrack.job_status (job_type, group_id) SELECT 'Bulk', :bg FROM generate_series(1, 20000);
SELECT pg_relation_size('jobtrack.group_change') >= 128 * 8192 AS log_is_large;
-- a change restored from a dump waits for its group, which does not exist
INSERT INTO jobtrack.group_change (group_id, job_id, new_status, created_at) VALUES (-1, -1, 'queued', now());
SELECT jobtrack.check_groups() AS events;
SELECT count(*) AS changes_left, pg_relation_size('jobtrack.group_change') > 0 AS log_kept
  FROM jobtrack.group_change;
-- without it, the next pass empties the log
DELETE FROM jobtrack.group_change WHERE group_id = -1;
SELECT jobtrack.check_groups() AS events;
SELECT pg_relation_size('jobtrack.group_change') AS log_bytes;
-- inside a transaction block the log is drained but not emptied: the lock
-- it takes would be held until the caller's commit
UPDATE jobtrack.job_status SET status = 'started' WHERE group_id = :bg;
BEGIN;
SELECT jobtrack.check_groups() AS events;
SELECT count(*) AS changes_left, pg_relation_size('jobtrack.group_change') > 0 AS log_kept
  FROM jobtrack.group_change;
COMMIT;
-- the counts are right whichever way the log went
SELECT queued, started FROM jobtrack.group_count WHERE group_id = :bg;
SELECT status, run FROM jobtrack.job_group WHERE id = :bg;
DELETE FROM jobtrack.job_status WHERE group_id = :bg;
SELECT jobtrack.check_groups() AS events;
