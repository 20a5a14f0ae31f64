/*-------------------------------------------------------------------------
 *
 * jobref.c
 *		The job argument of a function, and jobtrack.job(external_id).
 *
 * Every function that acts on a job takes jobtrack's id, a bigint, and
 * nothing else: a job system's own id is turned into jobtrack's by the one
 * explicit lookup jobtrack.job(external_id).  Were there a text twin of
 * each function, an untyped parameter (as node-postgres, PDO and libpq
 * send them) would resolve to it, and succeed_job($1) with 1 would act on
 * the job whose external id is "1".
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/jobref.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/rls.h"
#include "utils/syscache.h"

#include "job_record.h"
#include "jobref.h"
#include "spi_util.h"

/* the caller's own reading of a job, under the policies of job_status */
static SavedQuery visible_query = {
	"SELECT 1 FROM jobtrack.job_status WHERE id OPERATOR(pg_catalog.=) $1",
	1, {INT8OID}, false
};

/*
 * JobVisible says whether the caller sees a job: always, unless row-level
 * security on job_status applies to the caller, and then as a statement of
 * the caller's would.  The caller is connected to SPI.
 */
bool
JobVisible(int64 job_id)
{
	Datum		value = Int64GetDatum(job_id);

	if (check_enable_rls(JobtrackRelid("job_status"), InvalidOid, true) != RLS_ENABLED)
		return true;
	return RunSavedQuery(&visible_query, &value, NULL) == 1;
}

/* LooksLikeJobId is true when an external id is spelled like a job id. */
static bool
LooksLikeJobId(const char *name)
{
	if (*name == '\0' || strlen(name) > 19)
		return false;
	for (; *name; name++)
		if (!isdigit((unsigned char) *name))
			return false;
	return true;
}

/* ReportJobNotFound raises P0002 naming the job as the caller named it. */
void
ReportJobNotFound(const JobRef *job)
{
	if (job->external_id != NULL && LooksLikeJobId(job->external_id))
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("job with external id \"%s\" does not exist", job->external_id),
				 errdetail("jobtrack.job() looks up the id a job system gave a job, not jobtrack's own id."),
				 errhint("To name job %s by its jobtrack id, pass %s itself.",
						 job->external_id, job->external_id)));
	if (job->external_id != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("job with external id \"%s\" does not exist", job->external_id)));
	ereport(ERROR,
			(errcode(ERRCODE_NO_DATA_FOUND),
			 errmsg("job %lld does not exist", (long long) job->id)));
}

/* RequireArgument raises 22004 when an argument is NULL. */
void
RequireArgument(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", name)));
}

/* ArgumentType returns the declared type of a function argument. */
static Oid
ArgumentType(FunctionCallInfo fcinfo, int argno)
{
	Oid			type = get_fn_expr_argtype(fcinfo->flinfo, argno);
	HeapTuple	proc;

	if (OidIsValid(type))
		return type;

	/* called without an expression tree: ask the catalog */
	proc = SearchSysCache1(PROCOID, ObjectIdGetDatum(fcinfo->flinfo->fn_oid));
	if (!HeapTupleIsValid(proc))
		elog(ERROR, "cache lookup failed for function %u", fcinfo->flinfo->fn_oid);
	type = ((Form_pg_proc) GETSTRUCT(proc))->proargtypes.values[argno];
	ReleaseSysCache(proc);
	return type;
}

/*
 * ExternalIdJob looks up the job with an external id; P0002 if there is
 * none the caller can see.
 */
static JobRef
ExternalIdJob(Datum external_id)
{
	JobRef		job = {0, NULL};

	job.external_id = text_to_cstring(DatumGetTextPP(external_id));
	if (!LookUpExternalId(external_id, &job.id) || !JobVisible(job.id))
		ReportJobNotFound(&job);
	return job;
}

/*
 * JobRefArgument returns the job a bigint argument names; 22004 if NULL.
 * A schema from before 2.0, not yet updated, still has the text twins bound
 * to the same C functions: their argument is an external id, and it is
 * looked up as one rather than read as a number.  The caller is connected
 * to SPI.
 */
JobRef
JobRefArgument(FunctionCallInfo fcinfo, int argno)
{
	JobRef		job = {0, NULL};

	if (ArgumentType(fcinfo, argno) != INT8OID)
	{
		RequireArgument(fcinfo, argno, "external_id");
		return ExternalIdJob(PG_GETARG_DATUM(argno));
	}
	RequireArgument(fcinfo, argno, "job_id");
	job.id = PG_GETARG_INT64(argno);
	return job;
}

/*
 * SQL-callable: jobtrack.job(external_id) returns the id of the job with
 * that external id.  It is the only function that takes an external id, so
 * no untyped parameter of another function can be taken for one.
 */
PG_FUNCTION_INFO_V1(jobtrack_job);
Datum
jobtrack_job(PG_FUNCTION_ARGS)
{
	JobRef		job;

	RequireArgument(fcinfo, 0, "external_id");
	SPI_connect();
	job = ExternalIdJob(PG_GETARG_DATUM(0));
	SPI_finish();
	PG_RETURN_INT64(job.id);
}
