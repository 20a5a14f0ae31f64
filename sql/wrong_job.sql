-- No call, typed or untyped, positional or named, acts on a job other than
-- the one the caller named.  Job B's external id is job A's id as text, the
-- collision a queue bridge meets (BullMQ's ids are "1", "2", ...).
SELECT jobtrack.create_job('A') AS a \gset
SELECT jobtrack.create_job('B', external_id => :'a') AS b \gset
SELECT jobtrack.start_job(:a::bigint), jobtrack.start_job(:b::bigint);
-- untyped parameter, as node-postgres, PDO and libpq without types send it
PREPARE untyped AS SELECT jobtrack.succeed_job($1);
EXECUTE untyped(:'a');
SELECT id = :a AS is_a, status FROM jobtrack.job_status WHERE id IN (:a, :b) ORDER BY id;
-- untyped and named
PREPARE untyped_named AS SELECT jobtrack.fail_job(job_id => $1, reason => $2);
EXECUTE untyped_named(:'b', 'named');
SELECT id = :a AS is_a, status, failed_reason FROM jobtrack.job_status WHERE id IN (:a, :b) ORDER BY id;
-- a text parameter is refused: no function takes a job as text
PREPARE as_text(text) AS SELECT jobtrack.cancel_job($1);
-- a job system's id goes through jobtrack.job(), untyped or typed
SELECT jobtrack.create_job('C', external_id => 'bull-1') AS c \gset
PREPARE by_external AS SELECT jobtrack.start_job(jobtrack.job($1));
EXECUTE by_external('bull-1');
SELECT jobtrack.get_status(:c);
PREPARE by_external_text(text) AS SELECT jobtrack.succeed_job(jobtrack.job($1));
EXECUTE by_external_text('bull-1');
SELECT jobtrack.get_status(:c);
-- the external id that looks like job A's id names job B, only through job()
SELECT jobtrack.job(:'a') = :b AS names_b;
-- a wrong kind of reference is a clear error
EXECUTE untyped('bull-1');
SELECT jobtrack.start_job(jobtrack.job('no-such-job'));
DEALLOCATE ALL;
