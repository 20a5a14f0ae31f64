-- One job lifecycle through jobtrack's API, for test/bench/citus.sh: six
-- statements, each its own transaction, run alike against one node and
-- against a Citus coordinator.  One pgbench "transaction" is one lifecycle.
--
-- Variables (pgbench -D): n (a per-client counter, 0 at start), gbase (the
-- first group id) and groups (how many groups there are).  A client puts
-- 100 jobs in a row into one group, so groups complete and reopen and the
-- evaluator raises events all along.
\set n :n + 1
\set gid :gbase + (:client_id * 7919 + (:n - 1) / 100) % :groups
SELECT jobtrack.create_job('Bench', group_id => :gid::bigint) AS id \gset
SELECT jobtrack.start_job(:id::bigint);
SELECT jobtrack.set_progress(:id::bigint, 25);
SELECT jobtrack.set_progress(:id::bigint, 50);
SELECT jobtrack.set_progress(:id::bigint, 75);
SELECT jobtrack.succeed_job(:id::bigint);
