-- One job lifecycle through jobtrack's API: six statements, each its own
-- transaction, as an application calls them.  One pgbench "transaction" is
-- one lifecycle.
--
-- Variables (pgbench -D): n (a per-client counter, 0 at start); gbase, the
-- first group id of the round, and sbase, the id of the first group's
-- "batch" job; gslots (the group block is chosen by client_id % gslots), gpc
-- (groups per block) and per (jobs per group).
--
-- Each group was created ahead with one queued batch job that stands for
-- the rest of the batch not yet dispatched: it keeps the group open while
-- its jobs run one after another, and the lifecycle that ends the group's
-- 100th job cancels it, so the group completes once per 100 jobs, as a
-- batch whose jobs are all queued up front would.
\set n :n + 1
\set gi (:client_id % :gslots) * :gpc + ((:n - 1) / :per) % :gpc
\set gid :gbase + :gi
SELECT jobtrack.create_job('Bench', group_id => :gid::bigint) AS id \gset
SELECT jobtrack.start_job(:id::bigint);
SELECT jobtrack.set_progress(:id::bigint, 25);
SELECT jobtrack.set_progress(:id::bigint, 50);
SELECT jobtrack.set_progress(:id::bigint, 75);
SELECT jobtrack.succeed_job(:id::bigint);
\if :n % :per = 0
\set sid :sbase + :gi
SELECT jobtrack.cancel_job(:sid::bigint);
\endif
