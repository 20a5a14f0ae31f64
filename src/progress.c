/*-------------------------------------------------------------------------
 *
 * progress.c
 *		Progress and heartbeats of running jobs.
 *
 * These are the most frequent writes, so each is one prepared UPDATE that
 * touches no indexed column and stays a HOT update.  The values are checked
 * by the job_status_guard trigger, the one place that knows their rules.
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/progress.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"

#include "jobref.h"
#include "spi_util.h"

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
 * UpdateJob runs a one-row UPDATE of the job named by argument 0 with the
 * further arguments, whose names are given for the NULL check.
 */
static void
UpdateJob(FunctionCallInfo fcinfo, SavedQuery *query, const char *const *names)
{
	JobRef		job;
	Datum		values[3];
	int			nargs = query->nargs;
	int			i;

	for (i = 1; i < nargs; i++)
		RequireArgument(fcinfo, i, names[i - 1]);
	SPI_connect();
	job = JobRefArgument(fcinfo, 0);
	values[0] = Int64GetDatum(job.id);
	for (i = 1; i < nargs; i++)
		values[i] = PG_GETARG_DATUM(i);
	if (RunSavedQuery(query, values, NULL) == 0)
		ReportJobNotFound(&job);
	SPI_finish();
}

/* SQL-callable: jobtrack.set_progress(job_id | external_id, percentage numeric) */
PG_FUNCTION_INFO_V1(jobtrack_set_progress);
Datum
jobtrack_set_progress(PG_FUNCTION_ARGS)
{
	static const char *const names[] = {"percentage"};

	UpdateJob(fcinfo, &percentage_query, names);
	PG_RETURN_VOID();
}

/* SQL-callable: jobtrack.set_progress(job_id | external_id, current bigint, total bigint) */
PG_FUNCTION_INFO_V1(jobtrack_set_progress_count);
Datum
jobtrack_set_progress_count(PG_FUNCTION_ARGS)
{
	static const char *const names[] = {"current", "total"};

	UpdateJob(fcinfo, &count_query, names);
	PG_RETURN_VOID();
}

/* SQL-callable: jobtrack.heartbeat(job_id | external_id) */
PG_FUNCTION_INFO_V1(jobtrack_heartbeat);
Datum
jobtrack_heartbeat(PG_FUNCTION_ARGS)
{
	UpdateJob(fcinfo, &heartbeat_query, NULL);
	PG_RETURN_VOID();
}
