-- The scopes under row-level security.  PostgreSQL
-- applies a role's own conditions after the policy's unless their operators
-- are leak-proof; texteq and int8eq are, so for_job, for_job_alias and
-- in_group keep their indexes.  The jsonb and enum comparisons behind
-- where_tag and where_status are not, so under RLS those two scan and
-- filter (README.md "Row-level security" says so).
ALTER TABLE jobtrack.job_status ENABLE ROW LEVEL SECURITY;
CREATE ROLE jt_rls_reader;
GRANT USAGE ON SCHEMA jobtrack, jobtrack_internal TO jt_rls_reader;
GRANT SELECT ON jobtrack.job_status TO jt_rls_reader;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA jobtrack, jobtrack_internal TO jt_rls_reader;
SELECT jobtrack.create_group('rls plans') AS g \gset
INSERT INTO jobtrack.job_status (job_type, alias, tags, group_id, owner)
SELECT 'Rls' || (n % 200), 'rls-alias-' || (n % 200), jsonb_build_object('k', (n % 200)::text),
       CASE WHEN n % 200 = 8 THEN :g END,
       CASE WHEN (n / 200) % 2 = 0 THEN 'jt_rls_reader' ELSE current_user END
  FROM generate_series(1, 40000) n;
ANALYZE jobtrack.job_status;
-- the plan of in_group without the group's id, which depends on the tests before
CREATE FUNCTION pg_temp.plan_of_in_group(g bigint) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
	line text;
BEGIN
	FOR line IN EXECUTE format('EXPLAIN (COSTS OFF) SELECT * FROM jobtrack.in_group(%s)', g) LOOP
		RETURN NEXT regexp_replace(line, '''\d+''::bigint', 'G');
	END LOOP;
END
$$;
-- four jobs running, two of them the reader's
SELECT count(jobtrack.start_job(id)) AS started
  FROM (SELECT id FROM jobtrack.job_status WHERE job_type = 'Rls9' ORDER BY id LIMIT 4) j;
GRANT SELECT ON jobtrack.running_jobs TO jt_rls_reader;
SET ROLE jt_rls_reader;
SELECT count(*) AS own_jobs_only FROM jobtrack.for_job('Rls8');
SELECT count(*) AS own_running_jobs_only FROM jobtrack.running_jobs WHERE type = 'Rls9';
SELECT count(*) AS others_visible FROM jobtrack.job_status WHERE owner <> 'jt_rls_reader';
EXPLAIN (COSTS OFF) SELECT * FROM jobtrack.for_job('Rls8');
EXPLAIN (COSTS OFF) SELECT * FROM jobtrack.for_job_alias('rls-alias-8');
SELECT * FROM pg_temp.plan_of_in_group(:g);
RESET ROLE;
SELECT count(*) AS all_jobs FROM jobtrack.for_job('Rls8');
ALTER TABLE jobtrack.job_status DISABLE ROW LEVEL SECURITY;
DELETE FROM jobtrack.job_status WHERE job_type LIKE 'Rls%';
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA jobtrack, jobtrack_internal FROM jt_rls_reader;
REVOKE ALL ON jobtrack.job_status, jobtrack.running_jobs FROM jt_rls_reader;
REVOKE ALL ON SCHEMA jobtrack, jobtrack_internal FROM jt_rls_reader;
DROP ROLE jt_rls_reader;
