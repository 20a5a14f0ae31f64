-- test/bench/progress_time.sql: server time of the progress writes (row 1c).
--
-- bench_base.time_progress(fn, n, each_commit) creates and starts a job,
-- then calls the write n times in a PL/pgSQL loop and times each call with
-- clock_timestamp() around PERFORM and, with each_commit, the COMMIT after
-- it (each call its own transaction, as an application makes it; without,
-- all calls share one transaction and the figure is the function alone).
-- No client round trip, parse or plan is included: PL/pgSQL keeps the
-- call's plan.  Whether the live path is used follows the session's
-- jobtrack.live_progress.  Returns p50 and p99 in microseconds.
--
--   fn: pct (set_progress(job, pct)), count (set_progress(job, current,
--   total)) or heartbeat (heartbeat(job))
CREATE PROCEDURE bench_base.time_progress(fn text, n int, each_commit bool,
		INOUT p50_us float8 DEFAULT NULL, INOUT p99_us float8 DEFAULT NULL)
LANGUAGE plpgsql AS $$
DECLARE
	job bigint;
	t0 timestamptz;
	us float8[] := '{}';
BEGIN
	job := jobtrack.create_job('BenchProgressTime');
	PERFORM jobtrack.start_job(job);
	COMMIT;
	FOR i IN 1 .. n LOOP
		t0 := clock_timestamp();
		IF fn = 'pct' THEN
			PERFORM jobtrack.set_progress(job, (i % 99 + 1)::numeric);
		ELSIF fn = 'count' THEN
			PERFORM jobtrack.set_progress(job, i::bigint, n::bigint);
		ELSE
			PERFORM jobtrack.heartbeat(job);
		END IF;
		IF each_commit THEN
			COMMIT;
		END IF;
		us := us || extract(epoch FROM clock_timestamp() - t0)::float8 * 1e6;
	END LOOP;
	PERFORM jobtrack.succeed_job(job);
	SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY u), percentile_disc(0.99) WITHIN GROUP (ORDER BY u)
	  INTO p50_us, p99_us FROM unnest(us) u;
END
$$;
