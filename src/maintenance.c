/*-------------------------------------------------------------------------
 *
 * maintenance.c
 *		The worker's housekeeping: promoting due delayed jobs, marking
 *		stuck jobs, deleting expired finished jobs.
 *
 * Each is an ordinary UPDATE or DELETE of job rows, so the job_status
 * triggers check it and record the group changes like any other write.
 * Rows locked by an application are skipped (SKIP LOCKED) and taken at the
 * next round, so housekeeping never waits for an application, and the
 * worker runs it in a transaction of its own, apart from the evaluator.
 * Retention deletes at most MAINTENANCE_BATCH jobs per round, oldest id
 * first, with their messages and signals (there are no foreign keys to
 * cascade, see SCALE.md); the trigger removes their external ids.
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/maintenance.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"

#include "settings.h"
#include "spi_util.h"

#define MAINTENANCE_BATCH 10000

static SavedQuery promote_delayed_query = {
	"UPDATE jobtrack.job_status SET status = 'queued'"
	" WHERE id OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT id FROM jobtrack.job_status"
	"   WHERE status OPERATOR(pg_catalog.=) 'delayed'"
	"   AND available_at OPERATOR(pg_catalog.<=) pg_catalog.now()"
	"   LIMIT " CppAsString2(MAINTENANCE_BATCH) " FOR UPDATE SKIP LOCKED))",
	0, {InvalidOid}, false
};

static SavedQuery mark_stuck_query = {
	"UPDATE jobtrack.job_status SET status = 'stuck'"
	" WHERE id OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT id FROM jobtrack.job_status"
	"   WHERE status OPERATOR(pg_catalog.=) 'started'"
	"   AND COALESCE(heartbeat_at, started_at) OPERATOR(pg_catalog.<)"
	"    (pg_catalog.now() OPERATOR(pg_catalog.-) pg_catalog.make_interval(secs => $1))"
	"   LIMIT " CppAsString2(MAINTENANCE_BATCH) " FOR UPDATE SKIP LOCKED))",
	1, {FLOAT8OID}, false
};

static SavedQuery retention_query = {
	"WITH doomed AS (SELECT id FROM jobtrack.job_status"
	"   WHERE status OPERATOR(pg_catalog.>=) 'succeeded'"
	"   AND finished_at OPERATOR(pg_catalog.<)"
	"    (pg_catalog.now() OPERATOR(pg_catalog.-) pg_catalog.make_interval(secs => $1))"
	"   ORDER BY id LIMIT " CppAsString2(MAINTENANCE_BATCH) " FOR UPDATE SKIP LOCKED),"
	" m AS (DELETE FROM jobtrack.job_message WHERE job_id OPERATOR(pg_catalog.=) ANY (SELECT id FROM doomed)),"
	" s AS (DELETE FROM jobtrack.job_signal WHERE job_id OPERATOR(pg_catalog.=) ANY (SELECT id FROM doomed))"
	" DELETE FROM jobtrack.job_status WHERE id OPERATOR(pg_catalog.=) ANY (SELECT id FROM doomed)",
	1, {FLOAT8OID}, false
};

/* RunMaintenance does one round of housekeeping and returns the jobs it changed. */
static int64
RunMaintenance(void)
{
	Datum		stuck_after = Float8GetDatum((double) jobtrack_stuck_after);
	Datum		retention = Float8GetDatum((double) jobtrack_retention);
	int64		changed = 0;

	SPI_connect();
	changed += RunSavedQuery(&promote_delayed_query, NULL, NULL);
	if (jobtrack_stuck_after > 0)
		changed += RunSavedQuery(&mark_stuck_query, &stuck_after, NULL);
	if (jobtrack_retention > 0)
		changed += RunSavedQuery(&retention_query, &retention, NULL);
	SPI_finish();
	return changed;
}

/* SQL-callable: jobtrack.run_maintenance() */
PG_FUNCTION_INFO_V1(jobtrack_run_maintenance);
Datum
jobtrack_run_maintenance(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(RunMaintenance());
}
