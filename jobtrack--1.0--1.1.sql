\echo Use "ALTER EXTENSION jobtrack UPDATE TO '1.1'" to load this file. \quit

/*
 * jobtrack 1.0 -> 1.1: optional row-level security.
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
