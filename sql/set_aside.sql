-- A group whose evaluation fails is set aside, with its error, and retried
-- later; every other group's events still arrive.  The failure here is a
-- time_to_check that overflows the next check time: create_group refuses such
-- a value, so the extension's owner writes it directly, as data from before
-- that bound would have it.
\set VERBOSITY sqlstate
SELECT jobtrack.check_groups() >= 0 AS earlier_changes_drained;
SELECT jobtrack.create_group('healthy') AS ok \gset
SELECT jobtrack.create_group('poisoned') AS bad \gset
SELECT jobtrack.create_job('S', group_id => :ok) AS j1 \gset
SELECT jobtrack.create_job('S', group_id => :bad) AS j2 \gset
UPDATE jobtrack.job_group SET time_to_check = '300000 years' WHERE id = :bad;
SELECT jobtrack.start_job(:j1), jobtrack.start_job(:j2);
-- one warning for the poisoned group, and the healthy group's event
SELECT jobtrack.check_groups() AS events;
SELECT g.title, e.run, e.event FROM jobtrack.group_event e JOIN jobtrack.job_group g ON g.id = e.group_id
 WHERE e.group_id IN (:ok, :bad) ORDER BY e.id;
SELECT group_id = :bad AS is_poisoned, failures, sqlstate, error,
       retry_at - last_failed_at AS delay FROM jobtrack.group_failure;
SELECT groups_set_aside, set_aside_group_ids = ARRAY[:bad]::bigint[] AS ids_shown FROM jobtrack.stats;
-- its change is kept for the retry
SELECT count(*) AS kept_changes FROM jobtrack.group_change WHERE group_id = :bad;
-- before its retry time it is left alone: no second warning, the others go on
SELECT jobtrack.succeed_job(:j1);
SELECT jobtrack.check_groups() AS events;
SELECT failures FROM jobtrack.group_failure WHERE group_id = :bad;
-- asked for by name, its error reaches the caller
SELECT jobtrack.update_status_running(:bad);
-- retried while still failing: no second warning, the delay doubles
UPDATE jobtrack.group_failure SET retry_at = now() - interval '1 second';
SELECT jobtrack.check_groups() AS events;
SELECT failures, retry_at - last_failed_at AS delay FROM jobtrack.group_failure WHERE group_id = :bad;
-- mended: the next retry evaluates it, raises its event once and forgets the failure
UPDATE jobtrack.job_group SET time_to_check = '1 minute' WHERE id = :bad;
UPDATE jobtrack.group_failure SET retry_at = now() - interval '1 second';
SELECT jobtrack.check_groups() AS events;
SELECT count(*) AS set_aside FROM jobtrack.group_failure;
SELECT g.title, e.run, e.event FROM jobtrack.group_event e JOIN jobtrack.job_group g ON g.id = e.group_id
 WHERE e.group_id IN (:ok, :bad) ORDER BY e.id;
SELECT count(*) AS kept_changes FROM jobtrack.group_change WHERE group_id = :bad;
