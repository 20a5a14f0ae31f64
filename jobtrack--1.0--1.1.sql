\echo Use "ALTER EXTENSION jobtrack UPDATE TO '1.1'" to load this file. \quit

/*
 * jobtrack 1.0 -> 1.1: optional row-level security, storage settings for
 * the evaluator's tables, and a tags index for where_tag '='.
 *
 * These policies limit a role to the jobs it owns, and take effect only
 * once the switch in README.md "Row-level security" enables RLS on the
 * three tables.  The evaluator runs as the extension's owner, so it always
 * counts every job of a group.
 */
CREATE POLICY job_status_owner ON jobtrack.job_status
	USING (owner OPERATOR(pg_catalog.=) CURRENT_USER)
	WITH CHECK (owner OPERATOR(pg_catalog.=) CURRENT_USER);
CREATE POLICY job_message_owner ON jobtrack.job_message
	USING (EXISTS (SELECT 1 FROM jobtrack.job_status j WHERE j.id OPERATOR(pg_catalog.=) job_id));
CREATE POLICY job_signal_owner ON jobtrack.job_signal
	USING (EXISTS (SELECT 1 FROM jobtrack.job_status j WHERE j.id OPERATOR(pg_catalog.=) job_id));


/*
 * The evaluator deletes every group_change row it reads and rewrites
 * group_count rows on every pass: vacuum the first by a fixed number of
 * dead rows rather than a fraction, and leave room on the second's pages
 * for HOT updates.
 */
ALTER TABLE jobtrack.group_change SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 10000);
ALTER TABLE jobtrack.group_count SET (fillfactor = 50);

/*
 * where_tag '=' is answered by a jsonb_path_ops index, which finds
 * {key: value} as one hashed path instead of intersecting every job that
 * has the key with every job that has the value; the other operators no
 * longer test for the key first, which no index can answer any more and
 * which their comparison with NULL already does.
 */
DROP INDEX jobtrack.job_status_tags_idx;
CREATE INDEX job_status_tags_idx ON jobtrack.job_status USING gin (tags jsonb_path_ops);
CREATE OR REPLACE FUNCTION jobtrack.where_tag(key pg_catalog.text, op pg_catalog.text, value pg_catalog.text)
	RETURNS SETOF jobtrack.job_status
	LANGUAGE sql STABLE PARALLEL SAFE
	AS $$
	SELECT j.* FROM jobtrack.job_status j
	 WHERE jobtrack.check_scope_argument('key', $1)
	   AND jobtrack.check_scope_argument('value', $3)
	   AND jobtrack.check_tag_operator($2)
	   AND CASE
			WHEN $2 OPERATOR(pg_catalog.=) '=' THEN
				j.tags OPERATOR(pg_catalog.@>) ANY (jobtrack.tag_probes($1, $3))
				AND (j.tags OPERATOR(pg_catalog.->>) $1) OPERATOR(pg_catalog.=) $3
			WHEN $2 OPERATOR(pg_catalog.=) '!=' THEN
				(j.tags OPERATOR(pg_catalog.->>) $1) OPERATOR(pg_catalog.<>) $3
			ELSE
				jobtrack.tag_compare(j.tags OPERATOR(pg_catalog.->>) $1, $2, $3)
		   END
	$$;
