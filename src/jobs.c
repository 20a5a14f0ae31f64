/*-------------------------------------------------------------------------
 *
 * jobs.c
 *		Creating jobs and moving them through their lifecycle.
 *
 * Each function is one prepared UPDATE of the job's row; the
 * job_status_guard trigger decides whether the transition is allowed and
 * stamps what goes with it.  A status set to itself changes nothing and
 * returns normally, because job systems deliver events at least once.
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/jobs.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "citus.h"
#include "direct_update.h"
#include "groups.h"
#include "job_guard.h"
#include "job_record.h"
#include "jobref.h"
#include "spi_util.h"
#include "status.h"

static SavedQuery claim_external_id_query = {
	"INSERT INTO jobtrack.job_external_id (external_id, job_id)"
	" VALUES ($1, pg_catalog.nextval('jobtrack.job_status_id_seq'::pg_catalog.regclass))"
	" ON CONFLICT (external_id) DO NOTHING RETURNING job_id",
	1, {TEXTOID}, false
};

/*
 * The group is checked first, by a statement of its own, so that a missing
 * group inserts no row and takes no id.  Checked inside this statement (an
 * INSERT ... SELECT ... WHERE EXISTS) it cost more: the executor builds a
 * subquery scan for the SELECT at every call, more instructions than the
 * separate statement takes.  The statement runs only where the row cannot
 * be written without it (direct_insert.c).
 */
static SavedQuery insert_job_query = {
	"INSERT INTO jobtrack.job_status (id, job_type, alias, tags, group_id, data, external_id,"
	" status, available_at)"
	" VALUES (COALESCE($1, pg_catalog.nextval('jobtrack.job_status_id_seq'::pg_catalog.regclass)),"
	" $2, $3, $4, $5, $6, $7,"
	" CASE WHEN $8 IS NULL THEN 'queued' ELSE 'delayed' END::jobtrack.status,"
	" pg_catalog.now() OPERATOR(pg_catalog.+) $8)"
	" RETURNING id",
	8, {INT8OID, TEXTOID, TEXTOID, JSONBOID, INT8OID, JSONBOID, TEXTOID, INTERVALOID}, false
};

static SavedQuery set_status_query = {
	"UPDATE jobtrack.job_status SET status = $2::jobtrack.status"
	" WHERE id OPERATOR(pg_catalog.=) $1"
	" AND status OPERATOR(pg_catalog.<>) $2::jobtrack.status",
	2, {INT8OID, TEXTOID}, false
};

static SavedQuery fail_query = {
	"UPDATE jobtrack.job_status SET status = 'failed', failed_reason = $2"
	" WHERE id OPERATOR(pg_catalog.=) $1 AND status OPERATOR(pg_catalog.<>) 'failed'",
	2, {INT8OID, TEXTOID}, false
};

static SavedQuery current_status_query = {
	"SELECT status FROM jobtrack.job_status WHERE id OPERATOR(pg_catalog.=) $1",
	1, {INT8OID}, false
};

/* CheckCreateArguments raises for create_job arguments no job can have. */
static void
CheckCreateArguments(FunctionCallInfo fcinfo)
{
	RequireArgument(fcinfo, 0, "job_type");
	RequireArgument(fcinfo, 2, "tags");
	if (VARSIZE_ANY_EXHDR(PG_GETARG_TEXT_PP(0)) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("job_type must not be empty"),
				 errhint("Name the job's class, such as 'ImportCsv'.")));
	if (!JB_ROOT_IS_OBJECT(PG_GETARG_JSONB_P(2)) || JB_ROOT_IS_SCALAR(PG_GETARG_JSONB_P(2)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("tags must be a JSON object"),
				 errhint("Pass tags as an object such as '{\"customer\": \"42\"}'.")));
	/* checked here too: the external id is claimed before the job row exists */
	if (!PG_ARGISNULL(5) && VARSIZE_ANY_EXHDR(PG_GETARG_TEXT_PP(5)) > JOBTRACK_MAX_NAME_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("external_id is too long"),
				 errdetail("It has %zu bytes; at most %d are allowed.",
						   (Size) VARSIZE_ANY_EXHDR(PG_GETARG_TEXT_PP(5)), JOBTRACK_MAX_NAME_BYTES)));
	if (!PG_ARGISNULL(5) && VARSIZE_ANY_EXHDR(PG_GETARG_TEXT_PP(5)) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("external_id must not be empty"),
				 errhint("Pass NULL for a job without an external id.")));
	if (!PG_ARGISNULL(6))
	{
		Interval   *delay = PG_GETARG_INTERVAL_P(6);
		Interval	zero = {0};

		if (DatumGetInt32(DirectFunctionCall2(interval_cmp, IntervalPGetDatum(delay),
											  IntervalPGetDatum(&zero))) < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("delay must not be negative")));
	}
}

/* IsPositiveDelay is true for a delay argument greater than zero. */
static bool
IsPositiveDelay(FunctionCallInfo fcinfo)
{
	Interval	zero = {0};

	return !PG_ARGISNULL(6) &&
		DatumGetInt32(DirectFunctionCall2(interval_cmp, PG_GETARG_DATUM(6),
										  IntervalPGetDatum(&zero))) > 0;
}

/*
 * ExistingJob returns false, for the job that already has the external id,
 * which create_job() returns again; 23505 if the caller cannot see that job
 * (another role's, under row-level security): external ids are unique
 * across roles, and the caller is told the id is taken, not the id of a
 * job it could not use.
 */
static bool
ExistingJob(Datum external_id, int64 job_id)
{
	if (!JobVisible(job_id))
		ereport(ERROR,
				(errcode(ERRCODE_UNIQUE_VIOLATION),
				 errmsg("external id \"%s\" is taken by a job of another role",
						text_to_cstring(DatumGetTextPP(external_id))),
				 errdetail("External ids are unique across all roles."),
				 errhint("Give this job an external id of its own.")));
	return false;
}

/*
 * ClaimExternalId reserves the external id for a new job and returns the
 * new job's id, or returns false with *job_id set to the existing job.
 */
static bool
ClaimExternalId(Datum external_id, int64 *job_id)
{
	/* a repeated delivery, the common case, takes no id from the sequence */
	if (LookUpExternalId(external_id, job_id))
		return ExistingJob(external_id, *job_id);
	if (RunAsExtensionOwner(&claim_external_id_query, &external_id, NULL) == 1)
	{
		*job_id = SpiResultInt64(0, 1);
		return true;
	}
	/* the claim found it taken, by a creator that has just committed */
	if (!LookUpExternalId(external_id, job_id))
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg("could not serialize access due to a concurrent create_job"),
				 errdetail("Another transaction created a job with this external id after this transaction's snapshot was taken."),
				 errhint("Retry the transaction.")));
	return ExistingJob(external_id, *job_id);
}

/* SQL-callable: jobtrack.create_job(job_type, alias, tags, group_id, data, external_id, delay) */
PG_FUNCTION_INFO_V1(jobtrack_create_job);
Datum
jobtrack_create_job(PG_FUNCTION_ARGS)
{
	DirectNewJob job;
	char		nulls[DIRECT_NEW_JOB_FIELDS];
	int64		job_id = 0;
	int			i;

	CheckCreateArguments(fcinfo);
	SPI_connect();

	/* before an id is taken, by the external id's claim or the insert */
	if (!PG_ARGISNULL(3))
		CheckGroupExists(PG_GETARG_INT64(3));
	if (!PG_ARGISNULL(5) && !ClaimExternalId(PG_GETARG_DATUM(5), &job_id))
	{
		SPI_finish();
		PG_RETURN_INT64(job_id);
	}

	job.values[NEW_JOB_ID] = Int64GetDatum(job_id);
	job.nulls[NEW_JOB_ID] = PG_ARGISNULL(5);
	for (i = 0; i < 6; i++)
	{
		job.values[i + 1] = PG_ARGISNULL(i) ? (Datum) 0 : PG_GETARG_DATUM(i);
		job.nulls[i + 1] = PG_ARGISNULL(i);
	}
	job.values[NEW_JOB_DELAY] = IsPositiveDelay(fcinfo) ? PG_GETARG_DATUM(6) : (Datum) 0;
	job.nulls[NEW_JOB_DELAY] = !IsPositiveDelay(fcinfo);

	if (!DirectInsertJob(&job, &job_id))
	{
		for (i = 0; i < DIRECT_NEW_JOB_FIELDS; i++)
			nulls[i] = job.nulls[i] ? 'n' : ' ';
		(void) RunSavedQuery(&insert_job_query, job.values, nulls);
		job_id = SpiResultInt64(0, 1);
	}
	if (!PG_ARGISNULL(5))
		JobtrackCommitAcrossNodes();
	if (!PG_ARGISNULL(3))
		WakeCoordinatorEvaluator();
	SPI_finish();
	PG_RETURN_INT64(job_id);
}

/*
 * CurrentStatus returns the status of a job whose update changed no row:
 * either it already had the status asked for, or it does not exist.
 */
static Datum
CurrentStatus(const JobRef *job)
{
	Datum		id = Int64GetDatum(job->id);
	bool		isnull;

	if (RunSavedQuery(&current_status_query, &id, NULL) == 0)
		ReportJobNotFound(job);
	return SpiResultDatum(0, 1, &isnull);
}

/*
 * StatusSet fills set with what a status change sets: the status, and for
 * fail_job the reason.  The same status again is left alone.
 */
static DirectSet *
StatusSet(DirectSet *set, JobStatus target, bool has_reason, Datum reason, bool reason_null)
{
	DirectSetColumn(set, DIRECT_STATUS, JobStatusGetDatum(target), false);
	if (has_reason)
		DirectSetColumn(set, DIRECT_FAILED_REASON, reason, reason_null);
	set->skip_same_status = true;
	return set;
}

/*
 * ChangeStatus moves the job named by argument 0 to a status and returns
 * the job's status afterwards.  With reason_arg >= 0 it is fail_job, which
 * also records the reason.  The change is written directly where that is
 * the same as the statement (direct_update.c), by the statement otherwise.
 */
static Datum
ChangeStatus(FunctionCallInfo fcinfo, JobStatus target, int reason_arg)
{
	JobRef		job;
	Datum		values[2];
	char		nulls[2] = {' ', ' '};
	bool		reason_null = reason_arg >= 0 && PG_ARGISNULL(reason_arg);
	DirectSet	set = {0};
	DirectResult direct;
	uint64		updated;
	Datum		result;

	SPI_connect();
	job = JobRefArgument(fcinfo, 0);
	values[0] = Int64GetDatum(job.id);
	values[1] = reason_arg < 0 ? CStringGetTextDatum(JobStatusNames[target]) :
		reason_null ? (Datum) 0 : PG_GETARG_DATUM(reason_arg);
	nulls[1] = reason_null ? 'n' : ' ';

	direct = DirectUpdateJob(job.id, StatusSet(&set, target, reason_arg >= 0, values[1], reason_null));
	if (direct == DIRECT_NOT_TAKEN)
		updated = RunSavedQuery(reason_arg >= 0 ? &fail_query : &set_status_query, values, nulls);
	else
		updated = direct == DIRECT_UPDATED ? 1 : 0;
	if (updated == 0)
		(void) CurrentStatus(&job);
	else
		WakeCoordinatorEvaluator();
	result = JobStatusGetDatum(target);
	SPI_finish();
	return result;
}

/* SQL-callable: jobtrack.start_job(job_id | external_id) */
PG_FUNCTION_INFO_V1(jobtrack_start_job);
Datum
jobtrack_start_job(PG_FUNCTION_ARGS)
{
	return ChangeStatus(fcinfo, JOB_STARTED, -1);
}

/* SQL-callable: jobtrack.succeed_job(job_id | external_id) */
PG_FUNCTION_INFO_V1(jobtrack_succeed_job);
Datum
jobtrack_succeed_job(PG_FUNCTION_ARGS)
{
	return ChangeStatus(fcinfo, JOB_SUCCEEDED, -1);
}

/* SQL-callable: jobtrack.fail_job(job_id | external_id, reason) */
PG_FUNCTION_INFO_V1(jobtrack_fail_job);
Datum
jobtrack_fail_job(PG_FUNCTION_ARGS)
{
	return ChangeStatus(fcinfo, JOB_FAILED, 1);
}

/* SQL-callable: jobtrack.cancel_job(job_id | external_id) */
PG_FUNCTION_INFO_V1(jobtrack_cancel_job);
Datum
jobtrack_cancel_job(PG_FUNCTION_ARGS)
{
	return ChangeStatus(fcinfo, JOB_CANCELLED, -1);
}

/* SQL-callable: jobtrack.pause_job(job_id | external_id) */
PG_FUNCTION_INFO_V1(jobtrack_pause_job);
Datum
jobtrack_pause_job(PG_FUNCTION_ARGS)
{
	return ChangeStatus(fcinfo, JOB_PAUSED, -1);
}

/* SQL-callable: jobtrack.retry_job(job_id | external_id) */
PG_FUNCTION_INFO_V1(jobtrack_retry_job);
Datum
jobtrack_retry_job(PG_FUNCTION_ARGS)
{
	return ChangeStatus(fcinfo, JOB_QUEUED, -1);
}

/* SQL-callable: jobtrack.set_status(job_id | external_id, status) */
PG_FUNCTION_INFO_V1(jobtrack_set_status);
Datum
jobtrack_set_status(PG_FUNCTION_ARGS)
{
	RequireArgument(fcinfo, 1, "status");
	return ChangeStatus(fcinfo, JobStatusFromDatum(PG_GETARG_DATUM(1)), -1);
}
