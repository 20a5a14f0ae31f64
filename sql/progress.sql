SELECT jobtrack.create_job('Progress', external_id => 'p-1') AS j \gset
SELECT jobtrack.start_job(:j);
SELECT jobtrack.set_progress(:j, 25);
SELECT jobtrack.set_progress(jobtrack.job('p-1'), 50.5);
SELECT percentage, progress_current, progress_total FROM jobtrack.job_status WHERE id = :j;
SELECT jobtrack.set_progress(:j, 3, 4);
SELECT percentage, progress_current, progress_total FROM jobtrack.job_status WHERE id = :j;
SELECT jobtrack.set_progress(jobtrack.job('p-1'), 1, 3);
SELECT jobtrack.percentage(:j);
SELECT jobtrack.set_progress(:j, 0, 0);
SELECT jobtrack.percentage(:j);
-- out of range: errors, nothing changed
SELECT jobtrack.set_progress(:j, 40);
SELECT jobtrack.set_progress(:j, -1);
SELECT jobtrack.set_progress(:j, 101);
SELECT jobtrack.set_progress(:j, 'NaN');
SELECT jobtrack.set_progress(:j, 'Infinity');
SELECT jobtrack.set_progress(:j, NULL::numeric);
SELECT jobtrack.set_progress(:j, -1, 10);
SELECT jobtrack.set_progress(:j, 1, -10);
SELECT jobtrack.set_progress(:j, 5, 4);
SELECT jobtrack.set_progress(:j, NULL, 4);
SELECT jobtrack.set_progress(:j, 1, NULL);
SELECT jobtrack.set_progress(999999, 10);
SELECT percentage, progress_current, progress_total FROM jobtrack.job_status WHERE id = :j;
-- the same rules hold for plain UPDATEs
UPDATE jobtrack.job_status SET percentage = 200 WHERE id = :j;
UPDATE jobtrack.job_status SET tags = '[]' WHERE id = :j;
-- heartbeats; a heartbeat brings a stuck job back to started
SELECT jobtrack.heartbeat(:j);
SELECT heartbeat_at IS NOT NULL AS beat FROM jobtrack.job_status WHERE id = :j;
SELECT jobtrack.set_status(:j, 'stuck');
SELECT jobtrack.heartbeat(jobtrack.job('p-1'));
SELECT jobtrack.get_status(:j);
SELECT jobtrack.heartbeat(999999);
-- stuck detection uses the heartbeat (or started_at) and jobtrack.stuck_after
UPDATE jobtrack.job_status SET heartbeat_at = now() - interval '2 hours' WHERE id = :j;
SELECT jobtrack.run_maintenance() AS changed_with_stuck_after_off;
