-- creating jobs
SELECT jobtrack.create_job('Import', 'nightly', '{"customer": "42"}', data => '{"file": "a.csv"}') AS j \gset
SELECT job_type, alias, tags, data, status, percentage, attempts, group_id, external_id,
       created_at <= now() AS created_now, updated_at = created_at AS updated_now, owner = current_user AS owned,
       started_at IS NULL AND finished_at IS NULL AND available_at IS NULL AS no_times
  FROM jobtrack.job_status WHERE id = :j;
-- first-or-create by external id: the same id, nothing changed
SELECT jobtrack.create_job('Import', external_id => 'ext-1', tags => '{"a": 1}') AS e \gset
SELECT jobtrack.create_job('Other', external_id => 'ext-1', tags => '{"b": 2}') = :e AS same_id;
SELECT job_type, tags, external_id FROM jobtrack.job_status WHERE id = :e;
-- a delay makes the job delayed until available_at
SELECT jobtrack.create_job('Later', delay => '1 hour') AS d \gset
SELECT status, available_at > now() + interval '59 minutes' AS available_later FROM jobtrack.job_status WHERE id = :d;
SELECT jobtrack.run_maintenance() AS promoted_none;
UPDATE jobtrack.job_status SET available_at = now() - interval '1 second' WHERE id = :d;
SELECT jobtrack.run_maintenance() AS promoted;
SELECT status FROM jobtrack.job_status WHERE id = :d;
SELECT jobtrack.create_job('Now', delay => '0') AS now_job \gset
SELECT status FROM jobtrack.job_status WHERE id = :now_job;
-- lifecycle through every function, by id and by external id
SELECT jobtrack.start_job(jobtrack.job('ext-1'));
SELECT jobtrack.pause_job(:e);
SELECT jobtrack.start_job(:e);
SELECT jobtrack.fail_job(jobtrack.job('ext-1'), 'disk full');
SELECT status, failed_reason, finished_at IS NOT NULL AS finished FROM jobtrack.job_status WHERE id = :e;
SELECT jobtrack.retry_job(:e);
SELECT status, attempts, failed_reason, started_at, finished_at FROM jobtrack.job_status WHERE id = :e;
SELECT jobtrack.start_job(:e), jobtrack.cancel_job(jobtrack.job('ext-1'));
SELECT jobtrack.retry_job(jobtrack.job('ext-1')), jobtrack.set_status(jobtrack.job('ext-1'), 'started'), jobtrack.succeed_job(:e);
SELECT status, attempts, percentage FROM jobtrack.job_status WHERE id = :e;
-- at-least-once delivery: repeating a status is a no-op
SELECT updated_at AS before FROM jobtrack.job_status WHERE id = :e \gset
SELECT jobtrack.succeed_job(:e), jobtrack.succeed_job(jobtrack.job('ext-1'));
SELECT updated_at = :'before' AS unchanged FROM jobtrack.job_status WHERE id = :e;
-- one job: values and predicates
SELECT jobtrack.get_status(:e), jobtrack.percentage(jobtrack.job('ext-1')), jobtrack.runtime(:e) >= interval '0' AS has_runtime,
       jobtrack.runtime(:j) IS NULL AS never_started;
SELECT jobtrack.is_successful(:e), jobtrack.is_failed(:e), jobtrack.is_cancelled(jobtrack.job('ext-1')),
       jobtrack.is_running(jobtrack.job('ext-1')), jobtrack.is_queued(:j), jobtrack.has_finished(:j);
-- bad input: a clear error and nothing changed
SELECT count(*) AS jobs_before FROM jobtrack.job_status \gset
SELECT jobtrack.create_job(NULL);
SELECT jobtrack.create_job('');
SELECT jobtrack.create_job('X', tags => NULL);
SELECT jobtrack.create_job('X', tags => '[1, 2]');
SELECT jobtrack.create_job('X', tags => '"scalar"');
SELECT jobtrack.create_job('X', group_id => 999999);
SELECT jobtrack.create_job('X', external_id => '');
SELECT jobtrack.create_job('X', delay => '-1 minute');
SELECT count(*) = :jobs_before AS nothing_created FROM jobtrack.job_status;
SELECT jobtrack.start_job(999999);
SELECT jobtrack.start_job(jobtrack.job('no-such-id'));
SELECT jobtrack.start_job(NULL::bigint);
SELECT jobtrack.start_job(NULL::text);
SELECT jobtrack.set_status(:j, NULL);
SELECT jobtrack.get_status(999999);
-- an untyped literal is never taken for an external id: here it is ambiguous
SELECT jobtrack.is_successful('succeeded');
-- jobtrack.job() looks up external ids only, and says so for a number
\set VERBOSITY default
SELECT jobtrack.job('999999');
SELECT jobtrack.is_successful('succeeded'::jobtrack.status);
