/*-------------------------------------------------------------------------
 *
 * jobref.c
 *		Resolving the job argument of a function: a bigint job id or the
 *		text external id of its twin.
 *
 * Every function that takes a job id has a twin taking the job system's
 * external id.  Both SQL signatures bind to one C function, which asks for
 * the argument's type at run time and resolves external ids through
 * jobtrack.job_external_id.
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
#include "utils/syscache.h"

#include "jobref.h"
#include "spi_util.h"
#include "status.h"

/* not read-only: it must see a job created earlier in the same statement */
static SavedQuery external_id_query = {
	"SELECT job_id FROM jobtrack.job_external_id WHERE external_id OPERATOR(pg_catalog.=) $1",
	1, {TEXTOID}, false
};

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

/* LooksLikeStatus is true when an external id is spelled like a status. */
static bool
LooksLikeStatus(const char *name)
{
	int			i;

	for (i = 0; i < JOB_STATUS_COUNT; i++)
		if (strcmp(name, JobStatusNames[i]) == 0)
			return true;
	return false;
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
	if (job->external_id != NULL && LooksLikeStatus(job->external_id))
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("job with external id \"%s\" does not exist", job->external_id),
				 errhint("To test a status rather than a job, cast the literal: '%s'::jobtrack.status.",
						 job->external_id)));
	if (job->external_id != NULL && LooksLikeJobId(job->external_id))
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("job with external id \"%s\" does not exist", job->external_id),
				 errdetail("An untyped parameter or a quoted literal selects the function taking an external id."),
				 errhint("To name job %s by its id, pass a bigint, such as $1::bigint.",
						 job->external_id)));
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

/*
 * JobRefArgument resolves the job argument argno to a job id.  An unknown
 * external id raises P0002; an unknown job id is left for the caller to
 * find out by its own statement.  The caller must be connected to SPI.
 */
JobRef
JobRefArgument(FunctionCallInfo fcinfo, int argno)
{
	JobRef		job = {0, NULL};
	Datum		value;

	if (ArgumentType(fcinfo, argno) == INT8OID)
	{
		RequireArgument(fcinfo, argno, "job_id");
		job.id = PG_GETARG_INT64(argno);
		return job;
	}

	RequireArgument(fcinfo, argno, "external_id");
	value = PG_GETARG_DATUM(argno);
	job.external_id = text_to_cstring(DatumGetTextPP(value));
	if (RunSavedQuery(&external_id_query, &value, NULL) == 0)
		ReportJobNotFound(&job);
	job.id = SpiResultInt64(0, 1);
	return job;
}
