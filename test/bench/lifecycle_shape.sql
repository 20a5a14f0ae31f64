-- The kept, heavier baseline of workload 1 (-M prepared only): the same
-- lifecycle in plain SQL on bench_base.job_status, a table of
-- jobtrack.job_status' own shape (same columns, indexes and fillfactor 85,
-- no extension code).  Against it, jobtrack with live progress off shows
-- what the extension's code costs apart from the table's shape.  Same
-- variables as lifecycle_jobtrack.sql.
\set n :n + 1
\set gi (:client_id % :gslots) * :gpc + ((:n - 1) / :per) % :gpc
\set gid :gbase + :gi
INSERT INTO bench_base.job_status (job_type, group_id) VALUES ('Bench', :gid::bigint) RETURNING id \gset
UPDATE bench_base.job_status SET status = 'started', started_at = now(), updated_at = now() WHERE id = :id::bigint;
UPDATE bench_base.job_status SET percentage = 25, updated_at = now() WHERE id = :id::bigint;
UPDATE bench_base.job_status SET percentage = 50, updated_at = now() WHERE id = :id::bigint;
UPDATE bench_base.job_status SET percentage = 75, updated_at = now() WHERE id = :id::bigint;
UPDATE bench_base.job_status SET status = 'succeeded', finished_at = now(), percentage = 100, updated_at = now() WHERE id = :id::bigint;
\if :n % :per = 0
\set sid :sbase + :gi
UPDATE bench_base.job_status SET status = 'cancelled', finished_at = now(), updated_at = now() WHERE id = :sid::bigint;
\endif
