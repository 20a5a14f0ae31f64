-- RELIABILITY.md item 30: ALTER EXTENSION jobtrack UPDATE from every released
-- version gives the same schema as a fresh install, and keeps the data.
SELECT default_version FROM pg_available_extensions WHERE name = 'jobtrack';
SELECT source, target, path FROM pg_extension_update_paths('jobtrack') WHERE path IS NOT NULL ORDER BY 1, 2;

-- a description of every object of the extension, without OIDs
CREATE FUNCTION pg_temp.schema_fingerprint() RETURNS TABLE (kind text, name text, definition text)
LANGUAGE sql AS $$
	SELECT 'function', p.oid::regprocedure::text,
	       concat_ws(' | ', pg_get_function_result(p.oid), p.prosecdef, p.provolatile, p.proparallel,
	                 p.proisstrict, p.proconfig::text, p.prosrc, p.probin, p.proacl::text,
	                 obj_description(p.oid, 'pg_proc'))
	  FROM pg_proc p WHERE p.pronamespace = 'jobtrack'::regnamespace AND p.prokind <> 'a'
	UNION ALL
	SELECT 'aggregate', a.aggfnoid::regprocedure::text,
	       concat_ws(' | ', a.aggtransfn::regproc, a.aggcombinefn::regproc, a.aggtranstype::regtype,
	                 a.agginitval, p.proparallel, obj_description(p.oid, 'pg_proc'))
	  FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid WHERE p.pronamespace = 'jobtrack'::regnamespace
	UNION ALL
	SELECT 'relation', c.relname, concat_ws(' | ', c.relkind, c.reloptions::text, c.relacl::text,
	       c.relrowsecurity, obj_description(c.oid, 'pg_class'))
	  FROM pg_class c WHERE c.relnamespace = 'jobtrack'::regnamespace
	UNION ALL
	SELECT 'column', c.relname || '.' || a.attname,
	       concat_ws(' | ', a.attnum, format_type(a.atttypid, a.atttypmod), a.attnotnull,
	                 pg_get_expr(d.adbin, d.adrelid), col_description(c.oid, a.attnum))
	  FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
	  LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
	 WHERE c.relnamespace = 'jobtrack'::regnamespace AND c.relkind IN ('r', 'v')
	UNION ALL
	SELECT 'index', c.relname, pg_get_indexdef(c.oid)
	  FROM pg_class c WHERE c.relnamespace = 'jobtrack'::regnamespace AND c.relkind = 'i'
	UNION ALL
	SELECT 'constraint', conrelid::regclass::text || '.' || conname, pg_get_constraintdef(oid)
	  FROM pg_constraint WHERE connamespace = 'jobtrack'::regnamespace
	UNION ALL
	SELECT 'trigger', tgname, pg_get_triggerdef(oid) FROM pg_trigger
	 WHERE tgrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'jobtrack'::regnamespace) AND NOT tgisinternal
	UNION ALL
	SELECT 'policy', tablename || '.' || policyname, concat_ws(' | ', cmd, roles::text, qual, with_check)
	  FROM pg_policies WHERE schemaname = 'jobtrack'
	UNION ALL
	SELECT 'view', viewname, definition FROM pg_views WHERE schemaname = 'jobtrack'
	UNION ALL
	SELECT 'type', t.typname, concat_ws(' | ', t.typtype,
	       (SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = t.oid),
	       obj_description(t.oid, 'pg_type'))
	  FROM pg_type t WHERE t.typnamespace = 'jobtrack'::regnamespace AND t.typtype IN ('e', 'b', 'd')
	UNION ALL
	SELECT 'dumped', c::regclass::text, '' FROM pg_extension e, unnest(e.extconfig) c WHERE e.extname = 'jobtrack'
	UNION ALL
	SELECT 'members', '', count(*)::text FROM pg_depend
	 WHERE refobjid = (SELECT oid FROM pg_extension WHERE extname = 'jobtrack') AND deptype = 'e'
$$;
CREATE TEMP TABLE fresh AS SELECT * FROM pg_temp.schema_fingerprint();
SELECT count(*) > 100 AS described FROM fresh;

-- install the oldest released version and fill it
DROP EXTENSION jobtrack;
DROP SCHEMA jobtrack;
CREATE EXTENSION jobtrack VERSION '1.0';
SELECT extversion FROM pg_extension WHERE extname = 'jobtrack';
SELECT jobtrack.create_group('before upgrade') AS g \gset
SELECT jobtrack.create_job('Old', tags => '{"v": "1.0"}', group_id => :g, external_id => 'old-' || n)
  FROM generate_series(1, 3) n;
SELECT jobtrack.start_job('old-1'), jobtrack.succeed_job('old-1'), jobtrack.start_job('old-2');
SELECT jobtrack.add_message('old-1', 'kept'), jobtrack.send_signal('old-2', 'kept') > 0;
SELECT jobtrack.check_groups();
CREATE TEMP TABLE data_before AS
	SELECT 'job' AS t, row_to_json(j)::text AS r FROM jobtrack.job_status j
	UNION ALL SELECT 'group', row_to_json(g)::text FROM jobtrack.job_group g
	UNION ALL SELECT 'event', row_to_json(e)::text FROM jobtrack.group_event e
	UNION ALL SELECT 'message', row_to_json(m)::text FROM jobtrack.job_message m
	UNION ALL SELECT 'signal', row_to_json(s)::text FROM jobtrack.job_signal s
	UNION ALL SELECT 'external', row_to_json(x)::text FROM jobtrack.job_external_id x;

-- update, step by step along the path, to the current version
ALTER EXTENSION jobtrack UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'jobtrack';

-- the schema is the fresh install's, object for object
SELECT kind, name FROM (SELECT * FROM fresh EXCEPT SELECT * FROM pg_temp.schema_fingerprint()) missing ORDER BY 1, 2;
SELECT kind, name FROM (SELECT * FROM pg_temp.schema_fingerprint() EXCEPT SELECT * FROM fresh) extra ORDER BY 1, 2;
-- the data is unchanged
SELECT count(*) AS rows_kept FROM data_before;
SELECT t, r FROM data_before
EXCEPT
SELECT t, r FROM (
	SELECT 'job' AS t, row_to_json(j)::text AS r FROM jobtrack.job_status j
	UNION ALL SELECT 'group', row_to_json(g)::text FROM jobtrack.job_group g
	UNION ALL SELECT 'event', row_to_json(e)::text FROM jobtrack.group_event e
	UNION ALL SELECT 'message', row_to_json(m)::text FROM jobtrack.job_message m
	UNION ALL SELECT 'signal', row_to_json(s)::text FROM jobtrack.job_signal s
	UNION ALL SELECT 'external', row_to_json(x)::text FROM jobtrack.job_external_id x) now;
-- and the API carries on with it
SELECT jobtrack.succeed_job('old-2'), jobtrack.start_job('old-3'), jobtrack.fail_job('old-3', 'after upgrade');
SELECT jobtrack.check_groups() AS events;
SELECT run, event FROM jobtrack.group_events() ORDER BY id;
SELECT jobtrack.create_job('New', group_id => :g) > 3 AS ids_continue;
SELECT count(*) AS policies FROM pg_policies WHERE schemaname = 'jobtrack';
