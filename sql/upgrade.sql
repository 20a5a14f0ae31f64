-- ALTER EXTENSION jobtrack UPDATE from every released version gives the same
-- schema as a fresh install, and keeps the data.
SELECT default_version FROM pg_available_extensions WHERE name = 'jobtrack';
SELECT source, target, path FROM pg_extension_update_paths('jobtrack') WHERE path IS NOT NULL ORDER BY 1, 2;

-- a description of every object of the extension, without OIDs
CREATE FUNCTION pg_temp.schema_fingerprint() RETURNS TABLE (kind text, name text, definition text)
LANGUAGE sql AS $$
	SELECT 'function', p.oid::regprocedure::text,
	       concat_ws(' | ', pg_get_function_result(p.oid), p.prosecdef, p.provolatile, p.proparallel,
	                 p.proisstrict, p.proconfig::text, p.prosrc, p.probin, p.proacl::text,
	                 obj_description(p.oid, 'pg_proc'))
	  FROM pg_proc p WHERE p.pronamespace IN (SELECT oid FROM pg_namespace WHERE nspname IN ('jobtrack', 'jobtrack_internal')) AND p.prokind <> 'a'
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
	SELECT 'trigger', tgname, pg_get_triggerdef(oid) || ' | ' || tgenabled::text FROM pg_trigger
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
	SELECT 'schema', n.nspname, concat_ws(' | ', n.nspacl::text, obj_description(n.oid, 'pg_namespace'))
	  FROM pg_namespace n WHERE n.nspname IN ('jobtrack', 'jobtrack_internal')
	UNION ALL
	SELECT 'members', '', count(*)::text FROM pg_depend
	 WHERE refobjid = (SELECT oid FROM pg_extension WHERE extname = 'jobtrack') AND deptype = 'e'
$$;
CREATE TEMP TABLE fresh AS SELECT * FROM pg_temp.schema_fingerprint();
SELECT count(*) > 100 AS described FROM fresh;

-- from every released version: the whole path from 1.0, and the shorter ones
\set from 1.0
\i sql/upgrade_from.psql
\set from 1.1
\i sql/upgrade_from.psql
\set from 1.2
\i sql/upgrade_from.psql
