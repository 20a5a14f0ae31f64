-- status names and aliases
SELECT enum_range(NULL::jobtrack.status);
SELECT s, jobtrack.status_from_text(s)
  FROM unnest(ARRAY['queued','delayed','started','paused','stuck','succeeded','failed','cancelled',
                    'waiting','active','completed','released']) AS s;
SELECT jobtrack.status_from_text('bogus');
SELECT jobtrack.status_from_text('Queued');
SELECT jobtrack.status_from_text(NULL) IS NULL AS null_in_null_out;
-- predicates by status
SELECT s, jobtrack.is_queued(s) AS queued, jobtrack.is_running(s) AS running,
       jobtrack.is_successful(s) AS successful, jobtrack.is_failed(s) AS failed,
       jobtrack.is_cancelled(s) AS cancelled, jobtrack.has_finished(s) AS finished
  FROM unnest(enum_range(NULL::jobtrack.status)) AS s;
-- the whole transition table, decided by the trigger, through set_status
CREATE TEMP TABLE matrix (from_status jobtrack.status, to_status jobtrack.status, outcome text);
DO $$
DECLARE
	f jobtrack.status;
	t jobtrack.status;
	j bigint;
	path jobtrack.status[];
	step jobtrack.status;
	outcome text;
BEGIN
	FOREACH f IN ARRAY enum_range(NULL::jobtrack.status) LOOP
		path := CASE f
			WHEN 'queued' THEN '{}'::jobtrack.status[]
			WHEN 'delayed' THEN '{delayed}'
			WHEN 'started' THEN '{started}'
			WHEN 'paused' THEN '{paused}'
			WHEN 'stuck' THEN '{started,stuck}'
			WHEN 'succeeded' THEN '{started,succeeded}'
			WHEN 'failed' THEN '{started,failed}'
			WHEN 'cancelled' THEN '{cancelled}' END;
		FOREACH t IN ARRAY enum_range(NULL::jobtrack.status) LOOP
			j := jobtrack.create_job('Matrix');
			FOREACH step IN ARRAY path LOOP
				PERFORM jobtrack.set_status(j, step);
			END LOOP;
			BEGIN
				PERFORM jobtrack.set_status(j, t);
				outcome := CASE WHEN f = t THEN 'no-op' ELSE 'ok' END;
			EXCEPTION WHEN object_not_in_prerequisite_state THEN
				outcome := '55000';
			END;
			INSERT INTO matrix VALUES (f, t, outcome);
			IF jobtrack.get_status(j) <> (CASE WHEN outcome = 'ok' THEN t ELSE f END) THEN
				RAISE EXCEPTION 'job % ended in %', j, jobtrack.get_status(j);
			END IF;
		END LOOP;
	END LOOP;
END
$$;
SELECT from_status,
       string_agg(to_status::text, ', ' ORDER BY to_status) FILTER (WHERE outcome = 'ok') AS allowed
  FROM matrix GROUP BY from_status ORDER BY from_status;
SELECT count(*) FILTER (WHERE outcome = '55000') AS refused, count(*) FILTER (WHERE outcome = 'no-op') AS noops FROM matrix;
-- the error names the job and both statuses, with the allowed next ones
SELECT jobtrack.create_job('Errors', external_id => 'status-err') AS j \gset
SELECT jobtrack.start_job(:j);
SELECT jobtrack.succeed_job(:j);
SELECT jobtrack.start_job(:j);
SELECT jobtrack.set_status(jobtrack.job('status-err'), 'queued');
SELECT jobtrack.create_job('Errors') AS q \gset
SELECT jobtrack.succeed_job(:q);
-- a plain UPDATE obeys the same rules
UPDATE jobtrack.job_status SET status = 'started' WHERE id = :j;
UPDATE jobtrack.job_status SET status = 'stuck' WHERE id = :q;
SELECT status FROM jobtrack.job_status WHERE id IN (:j, :q) ORDER BY id;
-- id and group are fixed
UPDATE jobtrack.job_status SET id = id + 1000 WHERE id = :q;
UPDATE jobtrack.job_status SET group_id = 1 WHERE id = :q;
