\echo Use "ALTER EXTENSION jobtrack UPDATE TO '1.1'" to load this file. \quit

/*
 * jobtrack 1.0 -> 1.1: optional row-level security, and storage settings
 * for the evaluator's tables.
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
