-- A session that wrote jobs keeps writing them after the extension is
-- dropped and installed again, in the same session: jobtrack keeps the
-- OIDs of its tables between calls, and must forget them when they change,
-- also when the reinstall is rolled back.
SELECT jobtrack.create_group('reinstall-before') AS g1 \gset
SELECT jobtrack.create_job('Before', group_id => :g1) AS j1 \gset
SELECT jobtrack.start_job(:j1);
-- reinstalled, written to, rolled back: the first tables are back
BEGIN;
DROP EXTENSION jobtrack;
CREATE EXTENSION jobtrack;
SELECT jobtrack.create_job('Inside', group_id => jobtrack.create_group('reinstall-inside')) > 0 AS written_inside;
ROLLBACK;
SELECT jobtrack.succeed_job(:j1);
SELECT count(*) AS changes_of_before FROM jobtrack.group_change WHERE group_id = :g1;
-- reinstalled for good: the new tables are written
DROP EXTENSION jobtrack;
CREATE EXTENSION jobtrack;
SELECT jobtrack.create_group('reinstall-after') AS g2 \gset
SELECT jobtrack.create_job('After', group_id => :g2) AS j2 \gset
SELECT jobtrack.start_job(:j2), jobtrack.succeed_job(:j2);
SELECT count(*) AS changes_of_after FROM jobtrack.group_change WHERE group_id = :g2;
SELECT jobtrack.check_groups() AS events;
SELECT status, run FROM jobtrack.job_group WHERE id = :g2;
