-- recount_groups() rebuilds a group's counts from its jobs and evaluates
-- it: for changes the triggers never saw (a logical replication apply, a
-- load with triggers disabled), raising exactly the events due, none twice.
SELECT jobtrack.check_groups() >= 0 AS earlier_changes_drained;
SELECT jobtrack.create_group('recounted') AS rg \gset
SELECT jobtrack.create_job('R', group_id => :rg) AS r1 \gset
SELECT jobtrack.create_job('R', group_id => :rg) AS r2 \gset
SELECT jobtrack.check_groups() AS events;
-- the jobs finish where no trigger fires, as a subscriber's apply does
SET session_replication_role = replica;
UPDATE jobtrack.job_status SET status = 'started', started_at = now() WHERE id IN (:r1, :r2);
UPDATE jobtrack.job_status SET status = 'succeeded', finished_at = now() WHERE id IN (:r1, :r2);
RESET session_replication_role;
SELECT count(*) AS changes_recorded FROM jobtrack.group_change WHERE group_id = :rg;
SELECT jobtrack.check_groups() AS events_without_recount;
SELECT queued, succeeded FROM jobtrack.group_count WHERE group_id = :rg;
SELECT jobtrack.recount_groups(:rg) AS events;
SELECT queued, succeeded FROM jobtrack.group_count WHERE group_id = :rg;
SELECT run, event, payload->'counts'->>'succeeded' AS succeeded FROM jobtrack.group_event WHERE group_id = :rg ORDER BY id;
-- again: nothing is due, nothing is raised
SELECT jobtrack.recount_groups(:rg) AS events_again, jobtrack.check_groups() AS events_after;
-- changes the triggers did record and nobody evaluated yet are not counted twice
SELECT jobtrack.create_group('recorded') AS cg \gset
SELECT jobtrack.create_job('R', group_id => :cg) AS c1 \gset
SELECT jobtrack.create_job('R', group_id => :cg) AS c2 \gset
SELECT jobtrack.start_job(:c1);
SELECT count(*) > 0 AS changes_pending FROM jobtrack.group_change WHERE group_id = :cg;
SELECT jobtrack.recount_groups(:cg) AS events;
SELECT count(*) AS changes_left FROM jobtrack.group_change WHERE group_id = :cg;
SELECT jobtrack.check_groups() AS events_after;
SELECT queued, started FROM jobtrack.group_count WHERE group_id = :cg;
SELECT status, run FROM jobtrack.job_group WHERE id = :cg;
-- a completed group whose job came back where no trigger fired reopens
SELECT jobtrack.succeed_job(:c1), jobtrack.cancel_job(:c2);
SELECT jobtrack.check_groups() AS events;
SET session_replication_role = replica;
UPDATE jobtrack.job_status SET status = 'queued' WHERE id = :c2;
RESET session_replication_role;
SELECT jobtrack.recount_groups() >= 0 AS recounted_all;
SELECT status, run FROM jobtrack.job_group WHERE id = :cg;
SELECT queued, succeeded, cancelled FROM jobtrack.group_count WHERE group_id = :cg;
-- a completed group whose failed job was retried and ran to success where no
-- trigger fired: the counts moved from failed to succeeded, so the group ran
-- again, and the recount raises that run's events
SELECT jobtrack.create_group('rerun') AS rr \gset
SELECT jobtrack.create_job('R', group_id => :rr) AS e1 \gset
SELECT jobtrack.create_job('R', group_id => :rr) AS e2 \gset
SELECT jobtrack.start_job(:e1), jobtrack.start_job(:e2);
SELECT jobtrack.succeed_job(:e1), jobtrack.fail_job(:e2, 'boom');
SELECT jobtrack.check_groups() AS events;
SET session_replication_role = replica;
UPDATE jobtrack.job_status SET status = 'queued' WHERE id = :e2;
UPDATE jobtrack.job_status SET status = 'started' WHERE id = :e2;
UPDATE jobtrack.job_status SET status = 'succeeded' WHERE id = :e2;
RESET session_replication_role;
SELECT jobtrack.recount_groups(:rr) AS events;
SELECT run, event, payload->'counts'->>'succeeded' AS succeeded, payload->'counts'->>'failed' AS failed
  FROM jobtrack.group_event WHERE group_id = :rr ORDER BY id;
SELECT status, run FROM jobtrack.job_group WHERE id = :rr;
-- a finished job deleted where no trigger fired reopens nothing
SET session_replication_role = replica;
DELETE FROM jobtrack.job_status WHERE id = :e1;
RESET session_replication_role;
SELECT jobtrack.recount_groups(:rr) AS events_after_delete;
SELECT status, run FROM jobtrack.job_group WHERE id = :rr;
-- every group's counts equal its jobs'
SELECT count(*) AS groups_off FROM jobtrack.job_group g
  LEFT JOIN jobtrack.group_count c ON c.group_id = g.id
 WHERE coalesce(c.queued + c.delayed + c.started + c.paused + c.stuck + c.succeeded + c.failed + c.cancelled, 0)
       <> (SELECT count(*) FROM jobtrack.job_status j WHERE j.group_id = g.id);
-- bad input
SELECT jobtrack.recount_groups(999999);
