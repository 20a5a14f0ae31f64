SELECT jobtrack.create_job('Messages', external_id => 'm-1') AS j \gset
SELECT jobtrack.add_message(:j, 'started reading') > 0 AS added;
SELECT jobtrack.add_message(jobtrack.job('m-1'), 'row 7 skipped', 'warning') > 0 AS added;
SELECT jobtrack.add_message(:j, 'done', level => 'success') > 0 AS added;
SELECT level, message FROM jobtrack.job_message WHERE job_id = :j ORDER BY id;
SELECT jobtrack.add_message(:j, 'x', 'fatal');
SELECT jobtrack.add_message(:j, NULL);
SELECT jobtrack.add_message(:j, 'x', NULL);
SELECT jobtrack.add_message(999999, 'x');
SELECT jobtrack.add_message(jobtrack.job('nope'), 'x');
SELECT count(*) FROM jobtrack.job_message WHERE job_id = :j;
