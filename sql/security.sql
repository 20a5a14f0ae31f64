-- The install script and every function are safe
-- against objects planted in the search_path or in a schema named jobtrack
DROP EXTENSION jobtrack;
-- DROP EXTENSION leaves the empty schema it created behind
SELECT count(*) AS objects_left FROM pg_class WHERE relnamespace = 'jobtrack'::regnamespace;
DROP SCHEMA jobtrack;

-- (a) a schema jobtrack prepared by another role is refused
CREATE ROLE jt_mallory;
GRANT CREATE ON DATABASE contrib_regression TO jt_mallory;
SET ROLE jt_mallory;
CREATE SCHEMA jobtrack;
RESET ROLE;
CREATE EXTENSION jobtrack;
DROP SCHEMA jobtrack;
-- (b) an existing schema jobtrack holding a lookalike function is refused too
CREATE SCHEMA jobtrack;
CREATE FUNCTION jobtrack.create_job(text) RETURNS bigint LANGUAGE sql AS 'SELECT 0::bigint';
CREATE EXTENSION jobtrack;
DROP SCHEMA jobtrack CASCADE;
SELECT count(*) AS leftovers FROM pg_namespace WHERE nspname = 'jobtrack';

-- a hostile schema: operators, functions and tables that record every call
CREATE SCHEMA evil;
CREATE TABLE evil.calls (what text);
CREATE TABLE evil.job_status (id bigint);
CREATE FUNCTION evil.log(what text) RETURNS boolean LANGUAGE sql AS
	$$ INSERT INTO evil.calls VALUES (what) RETURNING true $$;
CREATE FUNCTION evil.eq_bb(bigint, bigint) RETURNS boolean LANGUAGE sql AS
	$$ SELECT evil.log('=(bigint,bigint)') AND $1 OPERATOR(pg_catalog.=) $2 $$;
CREATE FUNCTION evil.ne_bb(bigint, bigint) RETURNS boolean LANGUAGE sql AS
	$$ SELECT evil.log('<>(bigint,bigint)') AND $1 OPERATOR(pg_catalog.<>) $2 $$;
CREATE FUNCTION evil.lt_bb(bigint, bigint) RETURNS boolean LANGUAGE sql AS
	$$ SELECT evil.log('<(bigint,bigint)') AND $1 OPERATOR(pg_catalog.<) $2 $$;
CREATE FUNCTION evil.eq_ib(integer, bigint) RETURNS boolean LANGUAGE sql AS
	$$ SELECT evil.log('=(integer,bigint)') AND $1 OPERATOR(pg_catalog.=) $2 $$;
CREATE FUNCTION evil.eq_tt(text, text) RETURNS boolean LANGUAGE sql AS
	$$ SELECT evil.log('=(text,text)') AND $1 OPERATOR(pg_catalog.=) $2 $$;
CREATE FUNCTION evil.ne_tt(text, text) RETURNS boolean LANGUAGE sql AS
	$$ SELECT evil.log('<>(text,text)') AND $1 OPERATOR(pg_catalog.<>) $2 $$;
CREATE FUNCTION evil.eq_any(anyenum, anyenum) RETURNS boolean LANGUAGE sql AS
	$$ SELECT evil.log('=(anyenum)') AND $1 OPERATOR(pg_catalog.=) $2 $$;
CREATE FUNCTION evil.ne_any(anyenum, anyenum) RETURNS boolean LANGUAGE sql AS
	$$ SELECT evil.log('<>(anyenum)') AND $1 OPERATOR(pg_catalog.<>) $2 $$;
CREATE OPERATOR evil.= (FUNCTION = evil.eq_bb, LEFTARG = bigint, RIGHTARG = bigint);
CREATE OPERATOR evil.<> (FUNCTION = evil.ne_bb, LEFTARG = bigint, RIGHTARG = bigint);
CREATE OPERATOR evil.< (FUNCTION = evil.lt_bb, LEFTARG = bigint, RIGHTARG = bigint);
CREATE OPERATOR evil.= (FUNCTION = evil.eq_ib, LEFTARG = integer, RIGHTARG = bigint);
CREATE OPERATOR evil.= (FUNCTION = evil.eq_tt, LEFTARG = text, RIGHTARG = text);
CREATE OPERATOR evil.<> (FUNCTION = evil.ne_tt, LEFTARG = text, RIGHTARG = text);
CREATE OPERATOR evil.= (FUNCTION = evil.eq_any, LEFTARG = anyenum, RIGHTARG = anyenum);
CREATE OPERATOR evil.<> (FUNCTION = evil.ne_any, LEFTARG = anyenum, RIGHTARG = anyenum);
CREATE FUNCTION evil.jsonb_build_object(VARIADIC text[]) RETURNS jsonb LANGUAGE sql AS
	$$ SELECT CASE WHEN evil.log('jsonb_build_object') THEN '{}'::jsonb END $$;
CREATE FUNCTION evil.now() RETURNS timestamptz LANGUAGE sql AS
	$$ SELECT CASE WHEN evil.log('now') THEN pg_catalog.now() END $$;
CREATE FUNCTION evil.coalesce_lookalike(bigint, bigint) RETURNS bigint LANGUAGE sql AS
	$$ SELECT CASE WHEN evil.log('coalesce') THEN $1 END $$;
CREATE FUNCTION evil.nextval(regclass) RETURNS bigint LANGUAGE sql AS
	$$ SELECT CASE WHEN evil.log('nextval') THEN 0::bigint END $$;
CREATE FUNCTION evil.count(anyelement) RETURNS bigint LANGUAGE sql AS
	$$ SELECT CASE WHEN evil.log('count') THEN 0::bigint END $$;
GRANT USAGE ON SCHEMA evil TO PUBLIC;
GRANT INSERT ON evil.calls TO PUBLIC;

-- the hostile search_path is in force for the install and every call below
SET search_path = evil, pg_temp, pg_catalog, public;
CREATE EXTENSION jobtrack;
SELECT count(*) AS calls_during_install FROM evil.calls;

-- operators on jobtrack's own enum, now that it exists
CREATE FUNCTION evil.eq_st(jobtrack.status, jobtrack.status) RETURNS boolean LANGUAGE sql AS
	$$ SELECT evil.log('=(status)') AND $1 OPERATOR(pg_catalog.=) $2 $$;
CREATE FUNCTION evil.ne_st(jobtrack.status, jobtrack.status) RETURNS boolean LANGUAGE sql AS
	$$ SELECT evil.log('<>(status)') AND $1 OPERATOR(pg_catalog.<>) $2 $$;
CREATE OPERATOR evil.= (FUNCTION = evil.eq_st, LEFTARG = jobtrack.status, RIGHTARG = jobtrack.status);
CREATE OPERATOR evil.<> (FUNCTION = evil.ne_st, LEFTARG = jobtrack.status, RIGHTARG = jobtrack.status);

-- every public function once, with results a clean run gives
SELECT jobtrack.create_group('hostile', '{"a": 1}', '1 minute') AS g \gset
SELECT jobtrack.group_id('hostile') = :g AS same_group;
SELECT jobtrack.create_job('Hostile', 'al', '{"k": "v", "n": 3}', :g, '{"d": 1}', 'h-1') AS j \gset
SELECT jobtrack.create_job('Hostile', external_id => 'h-1') = :j AS same_job;
SELECT jobtrack.create_job('Hostile', delay => '1 hour') AS d \gset
SELECT jobtrack.start_job(:j), jobtrack.pause_job(jobtrack.job('h-1')), jobtrack.start_job(jobtrack.job('h-1'));
SELECT jobtrack.set_progress(:j, 10), jobtrack.set_progress(jobtrack.job('h-1'), 2, 4), jobtrack.heartbeat(:j);
SELECT jobtrack.add_message(:j, 'm') > 0 AS msg, jobtrack.send_signal(jobtrack.job('h-1'), 's') > 0 AS sig,
       jobtrack.request_cancel(:j) > 0 AS cancel;
SELECT signal FROM jobtrack.take_signals(jobtrack.job('h-1')) ORDER BY signal;
SELECT jobtrack.get_status(:j), jobtrack.percentage(:j), jobtrack.runtime(jobtrack.job('h-1')) IS NOT NULL AS runtime,
       jobtrack.is_successful(:j), jobtrack.is_failed(jobtrack.job('h-1')), jobtrack.is_cancelled(:j),
       jobtrack.is_running(:j), jobtrack.is_queued(:j), jobtrack.has_finished(:j),
       jobtrack.is_running('started'::jobtrack.status), jobtrack.status_from_text('active');
SELECT (SELECT count(*) FROM jobtrack.for_job('Hostile')) AS for_job,
       (SELECT count(*) FROM jobtrack.for_job_alias('al')) AS for_alias,
       (SELECT count(*) FROM jobtrack.where_tag('k', 'v')) AS tag_eq,
       (SELECT count(*) FROM jobtrack.where_tag('n', '<', '5')) AS tag_lt,
       (SELECT count(*) FROM jobtrack.where_tag('k', '!=', 'w')) AS tag_ne,
       (SELECT count(*) FROM jobtrack.where_status('started')) AS by_status,
       (SELECT count(*) FROM jobtrack.where_not_status('started')) AS not_status,
       (SELECT count(*) FROM jobtrack.in_group(:g)) AS in_group;
SELECT jobtrack.count_finished(status), jobtrack.count_successful(status), jobtrack.count_failed(status),
       jobtrack.count_cancelled(status), jobtrack.count_running(status), jobtrack.count_queued(status),
       jobtrack.count_not_finished(status)
  FROM jobtrack.job_status;
SELECT jobtrack.check_groups() AS events;
SELECT jobtrack.succeed_job(:j), jobtrack.cancel_job(:d);
SELECT jobtrack.check_groups() AS events;
SELECT jobtrack.retry_job(:d), jobtrack.set_status(:d, 'started'), jobtrack.fail_job(:d, 'x');
SELECT jobtrack.update_status_running(jobtrack.create_group('hostile 2'));
SELECT jobtrack.run_maintenance();
SELECT event FROM jobtrack.group_events(0) ORDER BY id;
SELECT worker_state IS NOT NULL AS stats FROM jobtrack.stats;
UPDATE jobtrack.job_status SET status = 'started' WHERE id = :j;
SELECT jobtrack.start_job(999999);
-- not one call reached the hostile objects
SELECT what, count(*) FROM evil.calls GROUP BY what;
-- while an unqualified comparison in the same session is caught
SELECT 1::bigint = 1::bigint AS control, 'a'::text = 'a' AS control_text;
SELECT what, count(*) FROM evil.calls GROUP BY what ORDER BY what;
RESET search_path;
SET client_min_messages = warning;
DROP SCHEMA evil CASCADE;
RESET client_min_messages;
REVOKE CREATE ON DATABASE contrib_regression FROM jt_mallory;
DROP ROLE jt_mallory;
