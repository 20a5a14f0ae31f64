-- the extension is created by pg_regress (--load-extension=jobtrack)
SELECT extname, nspname, extversion = (SELECT default_version FROM pg_available_extensions
                                       WHERE name = 'jobtrack') AS current_version
  FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
 WHERE extname = 'jobtrack';
-- every object of the extension lives in schema jobtrack, or its helpers' jobtrack_internal
SELECT count(*) > 0 AS has_objects,
       bool_and(pg_describe_object(classid, objid, 0) ~ '(jobtrack|jobtrack_internal)\.'
                OR pg_describe_object(classid, objid, 0) IN ('schema jobtrack', 'schema jobtrack_internal')
                OR classid = 'pg_type'::regclass) AS all_in_schema
  FROM pg_depend WHERE refobjid = (SELECT oid FROM pg_extension WHERE extname = 'jobtrack') AND deptype = 'e';
-- settings exist with their defaults, even without preloading
SELECT name, boot_val, unit, context FROM pg_settings WHERE name LIKE 'jobtrack.%' ORDER BY name;
