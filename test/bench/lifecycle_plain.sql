-- The baseline of workload 1: the same lifecycle in plain SQL on
-- bench_base.job_plain, the job table a user writes by hand (baseline.sql:
-- the columns and indexes a tracker needs, default fillfactor, no
-- extension code).  Six statements, each its own transaction, as an
-- application sends them.  Same variables as lifecycle_jobtrack.sql; here
-- group_id is only a number, and the batch rows (sbase on) were inserted
-- ahead like jobtrack's, so both sides run the same statements.
\set n :n + 1
\set gi (:client_id % :gslots) * :gpc + ((:n - 1) / :per) % :gpc
\set gid :gbase + :gi
INSERT INTO bench_base.job_plain (job_type, group_id) VALUES ('Bench', :gid::bigint) RETURNING id \gset
UPDATE bench_base.job_plain SET status = 'started', started_at = now(), updated_at = now() WHERE id = :id::bigint;
UPDATE bench_base.job_plain SET percentage = 25, updated_at = now() WHERE id = :id::bigint;
UPDATE bench_base.job_plain SET percentage = 50, updated_at = now() WHERE id = :id::bigint;
UPDATE bench_base.job_plain SET percentage = 75, updated_at = now() WHERE id = :id::bigint;
UPDATE bench_base.job_plain SET status = 'succeeded', finished_at = now(), percentage = 100, updated_at = now() WHERE id = :id::bigint;
\if :n % :per = 0
\set sid :sbase + :gi
UPDATE bench_base.job_plain SET status = 'cancelled', finished_at = now(), updated_at = now() WHERE id = :sid::bigint;
\endif
