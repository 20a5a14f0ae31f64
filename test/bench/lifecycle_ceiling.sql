-- The ceiling of workload 1: lifecycle_plain.sql with its three progress
-- updates replaced by trivial reads, one round trip each and nothing
-- written.  No tracker that keeps progress off the disk but writes the same
-- rows and indexes for the rest can run faster or write less WAL, so this
-- side tells how far the live path's target is from what the hardware
-- allows.  Same variables as lifecycle_plain.sql.
\set n :n + 1
\set gi (:client_id % :gslots) * :gpc + ((:n - 1) / :per) % :gpc
\set gid :gbase + :gi
INSERT INTO bench_base.job_plain (job_type, group_id) VALUES ('Bench', :gid::bigint) RETURNING id \gset
UPDATE bench_base.job_plain SET status = 'started', started_at = now(), updated_at = now() WHERE id = :id::bigint;
SELECT :id::bigint, 25;
SELECT :id::bigint, 50;
SELECT :id::bigint, 75;
UPDATE bench_base.job_plain SET status = 'succeeded', finished_at = now(), percentage = 100, updated_at = now() WHERE id = :id::bigint;
\if :n % :per = 0
\set sid :sbase + :gi
UPDATE bench_base.job_plain SET status = 'cancelled', finished_at = now(), updated_at = now() WHERE id = :sid::bigint;
\endif
