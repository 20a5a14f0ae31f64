SELECT jobtrack.create_job('Signals', external_id => 's-1') AS j \gset
SELECT jobtrack.send_signal(:j, 'pause', '{"for": "5m"}') > 0 AS sent;
SELECT jobtrack.request_cancel(jobtrack.job('s-1')) > 0 AS sent;
SELECT signal, parameters, cancel_job, handled_at IS NOT NULL AS handled FROM jobtrack.take_signals(:j);
SELECT count(*) AS second_take FROM jobtrack.take_signals(jobtrack.job('s-1'));
SELECT count(*) FILTER (WHERE handled_at IS NOT NULL) AS handled FROM jobtrack.job_signal WHERE job_id = :j;
SELECT jobtrack.send_signal(:j, NULL);
SELECT jobtrack.send_signal(:j, '');
SELECT jobtrack.send_signal(:j, 'x', '[1]');
SELECT jobtrack.send_signal(:j, 'x', NULL);
SELECT jobtrack.send_signal(999999, 'x');
SELECT * FROM jobtrack.take_signals(999999);
SELECT jobtrack.request_cancel(jobtrack.job('nope'));
