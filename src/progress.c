/*-------------------------------------------------------------------------
 *
 * progress.c
 *		Progress and heartbeats of running jobs.
 *
 * These are the most frequent writes.  For a started job they go to its
 * live slot when the live path is open (live.c), checked here by the same
 * rules the guard applies; otherwise each updates the row, which touches
 * no indexed column and stays a HOT update, checked by the guard: directly
 * where that is the same as a statement (direct_update.c), by a prepared
 * UPDATE and the job_status_guard trigger otherwise.
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/progress.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/fmgrprotos.h"
#include "utils/numeric.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "direct_update.h"
#include "job_guard.h"
#include "jobref.h"
#include "live.h"
#include "spi_util.h"
#include "status.h"

static SavedQuery status_query = {
	"SELECT status FROM jobtrack.job_status WHERE id OPERATOR(pg_catalog.=) $1",
	1, {INT8OID}, true
};

static SavedQuery percentage_query = {
	"UPDATE jobtrack.job_status SET percentage = $2 WHERE id OPERATOR(pg_catalog.=) $1",
	2, {INT8OID, NUMERICOID}, false
};

static SavedQuery count_query = {
	"UPDATE jobtrack.job_status SET progress_current = $2, progress_total = $3,"
	" percentage = CASE WHEN $3 OPERATOR(pg_catalog.>) 0 AND $2 OPERATOR(pg_catalog.>=) 0 AND $2 OPERATOR(pg_catalog.<=) $3"
	" THEN pg_catalog.round(100 OPERATOR(pg_catalog.*) $2::pg_catalog.numeric"
	" OPERATOR(pg_catalog./) $3, 2) ELSE 0 END"
	" WHERE id OPERATOR(pg_catalog.=) $1",
	3, {INT8OID, INT8OID, INT8OID}, false
};

static SavedQuery heartbeat_query = {
	"UPDATE jobtrack.job_status SET heartbeat_at = pg_catalog.now(),"
	" status = CASE WHEN status OPERATOR(pg_catalog.=) 'stuck' THEN 'started' ELSE status END"
	" WHERE id OPERATOR(pg_catalog.=) $1",
	1, {INT8OID}, false
};

/*
 * ReadJobStatus reads a job's status in the caller's snapshot, as the
 * read-only statement status_query would, and raises P0002 for a job the
 * caller cannot see.  These calls are the most frequent of all, so when
 * the caller may read job_status whole, it reads the primary key itself
 * rather than running the statement: the executor's start and end were
 * half of a live set_progress.
 */
static JobStatus
ReadJobStatus(JobRef *job)
{
	Oid			relid = JobtrackRelid("job_status");
	Datum		value = Int64GetDatum(job->id);
	bool		isnull;

	if (ActiveSnapshotSet() && DirectReadAllowed(relid))
	{
		if (!ReadByPrimaryKey(relid, job->id, "status", GetActiveSnapshot(), &value, &isnull))
			ReportJobNotFound(job);
		return JobStatusFromDatum(value);
	}
	if (RunSavedQuery(&status_query, &value, NULL) == 0)
		ReportJobNotFound(job);
	return JobStatusFromDatum(SpiResultDatum(0, 1, &isnull));
}

/*
 * LiveWriteAllowed says whether a write may go to the job's live slot: the
 * live path is open and the caller sees the job started.  A job the caller
 * cannot see is reported as the table path would report it.
 */
static bool
LiveWriteAllowed(JobRef *job)
{
	return LivePathOpen() && ReadJobStatus(job) == JOB_STARTED;
}

/*
 * UpdateJob writes the job's row with what set sets: directly where that is
 * the same as the statement (direct_update.c), otherwise by query, a
 * one-row UPDATE of the job with the function's further arguments.
 */
static void
UpdateJob(FunctionCallInfo fcinfo, JobRef *job, SavedQuery *query, const DirectSet *set)
{
	Datum		values[3];
	int			i;

	switch (DirectUpdateJob(job->id, set))
	{
		case DIRECT_UPDATED:
			return;
		case DIRECT_NOT_FOUND:
			ReportJobNotFound(job);
		default:
			break;
	}
	values[0] = Int64GetDatum(job->id);
	for (i = 1; i < query->nargs; i++)
		values[i] = PG_GETARG_DATUM(i);
	if (RunSavedQuery(query, values, NULL) == 0)
		ReportJobNotFound(job);
}

/* CountPercentage is round(100 * current / total, 2), or 0 unless 0 <= current <= total, total > 0. */
static Numeric
CountPercentage(int64 current, int64 total)
{
	Datum		scaled;
	Datum		ratio;

	if (total <= 0 || current < 0 || current > total)
		return int64_to_numeric(0);
	scaled = DirectFunctionCall2(numeric_mul, NumericGetDatum(int64_to_numeric(100)),
								 NumericGetDatum(int64_to_numeric(current)));
	ratio = DirectFunctionCall2(numeric_div, scaled, NumericGetDatum(int64_to_numeric(total)));
	return DatumGetNumeric(DirectFunctionCall2(numeric_round, ratio, Int32GetDatum(2)));
}

/* SQL-callable: jobtrack.set_progress(job_id, percentage numeric) */
PG_FUNCTION_INFO_V1(jobtrack_set_progress);
Datum
jobtrack_set_progress(PG_FUNCTION_ARGS)
{
	JobRef		job;
	DirectSet	set = {0};

	RequireArgument(fcinfo, 1, "percentage");
	SPI_connect();
	job = JobRefArgument(fcinfo, 0);
	if (LiveWriteAllowed(&job))
	{
		ValidatePercentage(job.id, PG_GETARG_DATUM(1));
		if (LiveSetPercentage(job.id, PG_GETARG_NUMERIC(1)))
		{
			SPI_finish();
			PG_RETURN_VOID();
		}
	}
	DirectSetColumn(&set, DIRECT_PERCENTAGE, PG_GETARG_DATUM(1), false);
	UpdateJob(fcinfo, &job, &percentage_query, &set);
	SPI_finish();
	PG_RETURN_VOID();
}

/* SQL-callable: jobtrack.set_progress(job_id, current bigint, total bigint) */
PG_FUNCTION_INFO_V1(jobtrack_set_progress_count);
Datum
jobtrack_set_progress_count(PG_FUNCTION_ARGS)
{
	JobRef		job;
	DirectSet	set = {0};

	RequireArgument(fcinfo, 1, "current");
	RequireArgument(fcinfo, 2, "total");
	SPI_connect();
	job = JobRefArgument(fcinfo, 0);
	if (LiveWriteAllowed(&job))
	{
		int64		current = PG_GETARG_INT64(1);
		int64		total = PG_GETARG_INT64(2);

		ValidateProgressCount(job.id, current, false, total, false);
		if (LiveSetCount(job.id, current, total, CountPercentage(current, total)))
		{
			SPI_finish();
			PG_RETURN_VOID();
		}
	}
	DirectSetColumn(&set, DIRECT_PROGRESS_CURRENT, PG_GETARG_DATUM(1), false);
	DirectSetColumn(&set, DIRECT_PROGRESS_TOTAL, PG_GETARG_DATUM(2), false);
	DirectSetColumn(&set, DIRECT_PERCENTAGE,
					NumericGetDatum(CountPercentage(PG_GETARG_INT64(1), PG_GETARG_INT64(2))), false);
	UpdateJob(fcinfo, &job, &count_query, &set);
	SPI_finish();
	PG_RETURN_VOID();
}

/* SQL-callable: jobtrack.heartbeat(job_id); a stuck job takes the table path, which starts it again */
PG_FUNCTION_INFO_V1(jobtrack_heartbeat);
Datum
jobtrack_heartbeat(PG_FUNCTION_ARGS)
{
	JobRef		job;
	DirectSet	set = {0};

	SPI_connect();
	job = JobRefArgument(fcinfo, 0);
	if (!LiveWriteAllowed(&job) || !LiveHeartbeat(job.id))
	{
		DirectSetColumn(&set, DIRECT_HEARTBEAT_AT,
						TimestampTzGetDatum(GetCurrentTransactionStartTimestamp()), false);
		set.resume_stuck = true;
		UpdateJob(fcinfo, &job, &heartbeat_query, &set);
	}
	SPI_finish();
	PG_RETURN_VOID();
}
