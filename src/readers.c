/*-------------------------------------------------------------------------
 *
 * readers.c
 *		Reading one job: its status, percentage, runtime and the status
 *		predicates by job.
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/readers.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/datum.h"

#include "jobref.h"
#include "spi_util.h"
#include "status.h"

static SavedQuery status_query = {
	"SELECT status FROM jobtrack.job_status WHERE id OPERATOR(pg_catalog.=) $1",
	1, {INT8OID}, true
};

static SavedQuery percentage_query = {
	"SELECT jobtrack_internal.live_percentage(id, status, percentage)"
	" FROM jobtrack.job_status WHERE id OPERATOR(pg_catalog.=) $1",
	1, {INT8OID}, true
};

/* the same, for a schema older than 2.0, which has no live progress */
static SavedQuery stored_percentage_query = {
	"SELECT percentage FROM jobtrack.job_status WHERE id OPERATOR(pg_catalog.=) $1",
	1, {INT8OID}, true
};

static SavedQuery runtime_query = {
	"SELECT COALESCE(finished_at, pg_catalog.now()) OPERATOR(pg_catalog.-) started_at"
	" FROM jobtrack.job_status WHERE id OPERATOR(pg_catalog.=) $1",
	1, {INT8OID}, true
};

/*
 * ReadJobColumn returns the one column a query selects for the job named by
 * argument 0, copied out of SPI's memory; *isnull tells a NULL value.
 */
static Datum
ReadJobColumn(FunctionCallInfo fcinfo, SavedQuery *query, bool typbyval, int typlen,
			  bool *isnull)
{
	JobRef		job;
	Datum		id;
	Datum		value;

	SPI_connect();
	job = JobRefArgument(fcinfo, 0);
	id = Int64GetDatum(job.id);
	if (RunSavedQuery(query, &id, NULL) == 0)
		ReportJobNotFound(&job);
	value = SpiResultDatum(0, 1, isnull);
	if (!*isnull)
		value = SPI_datumTransfer(value, typbyval, typlen);
	SPI_finish();
	return value;
}

/* ReadJobStatus returns the status of the job named by argument 0. */
static JobStatus
ReadJobStatus(FunctionCallInfo fcinfo)
{
	bool		isnull;

	return JobStatusFromDatum(ReadJobColumn(fcinfo, &status_query, true, sizeof(Oid), &isnull));
}

/* SQL-callable: jobtrack.get_status(job_id | external_id) */
PG_FUNCTION_INFO_V1(jobtrack_get_status);
Datum
jobtrack_get_status(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(JobStatusGetDatum(ReadJobStatus(fcinfo)));
}

/* SQL-callable: jobtrack.percentage(job_id | external_id) */
PG_FUNCTION_INFO_V1(jobtrack_percentage);
Datum
jobtrack_percentage(PG_FUNCTION_ARGS)
{
	bool		isnull;
	SavedQuery *query = JobtrackSchemaHasLive() ? &percentage_query : &stored_percentage_query;
	Datum		value = ReadJobColumn(fcinfo, query, false, -1, &isnull);

	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(value);
}

/* SQL-callable: jobtrack.runtime(job_id | external_id); NULL if never started */
PG_FUNCTION_INFO_V1(jobtrack_runtime);
Datum
jobtrack_runtime(PG_FUNCTION_ARGS)
{
	bool		isnull;
	Datum		value = ReadJobColumn(fcinfo, &runtime_query, false, sizeof(Interval), &isnull);

	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(value);
}

/* a status predicate by job, SQL-callable as jobtrack.<name>(job_id | external_id) */
#define JOB_PREDICATE(sqlname, test) \
PG_FUNCTION_INFO_V1(jobtrack_job_##sqlname); \
Datum \
jobtrack_job_##sqlname(PG_FUNCTION_ARGS) \
{ \
	JobStatus	s = ReadJobStatus(fcinfo); \
	PG_RETURN_BOOL(test); \
}

JOB_PREDICATE(is_successful, s == JOB_SUCCEEDED)
JOB_PREDICATE(is_failed, s == JOB_FAILED)
JOB_PREDICATE(is_cancelled, s == JOB_CANCELLED)
JOB_PREDICATE(is_running, s == JOB_STARTED)
JOB_PREDICATE(is_queued, JobStatusIsQueued(s))
JOB_PREDICATE(has_finished, JobStatusIsFinished(s))
