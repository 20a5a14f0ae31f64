-- The psql views: one line per open group and per running job, readable in
-- an 80-column terminal, reading group_count and never every job.
SELECT jobtrack.check_groups() >= 0 AS earlier_changes_drained;
SELECT jobtrack.create_group('nightly import of a very long title') AS og \gset
SELECT jobtrack.create_job('ImportCsv', alias => 'csv', group_id => :og) AS o1 \gset
SELECT jobtrack.create_job('ImportCsv', group_id => :og) AS o2 \gset
SELECT jobtrack.create_job('ImportCsv', group_id => :og) AS o3 \gset
SELECT jobtrack.start_job(:o1), jobtrack.set_progress(:o1, 45), jobtrack.start_job(:o2), jobtrack.fail_job(:o2, 'x');
SELECT jobtrack.check_groups() AS events;
SELECT title, run, done, fail, progress FROM jobtrack.group_overview WHERE id = :og;
SELECT type, alias, progress, flag FROM jobtrack.running_jobs WHERE id = :o1;
-- a stuck job is flagged
SELECT jobtrack.set_status(:o1, 'stuck');
SELECT type, progress, flag FROM jobtrack.running_jobs WHERE id = :o1;
-- every line fits 80 columns as psql aligns it (columns joined by " | ")
SELECT max(length(concat_ws(' | ', id, title, run, done, fail, progress, age, eta))) <= 80 AS groups_fit
  FROM jobtrack.group_overview;
SELECT max(length(concat_ws(' | ', id, type, alias, "group", progress, beat, flag))) <= 80 AS jobs_fit
  FROM jobtrack.running_jobs;
-- the overview plans without job_status
DO $$
DECLARE
	line text;
	reads_jobs boolean := false;
BEGIN
	FOR line IN EXPLAIN (COSTS OFF) SELECT * FROM jobtrack.group_overview LOOP
		reads_jobs := reads_jobs OR line LIKE '%job_status%';
	END LOOP;
	RAISE NOTICE 'group_overview reads job_status: %', reads_jobs;
END
$$;
