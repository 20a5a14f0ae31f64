/*-------------------------------------------------------------------------
 *
 * messages.c
 *		Messages a job reports: jobtrack.add_message().
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/messages.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"

#include "jobref.h"
#include "spi_util.h"

static const char *const MessageLevels[] = {"debug", "info", "success", "warning", "error"};

/*
 * the message carries the job's group, so it can be partitioned with its job,
 * and its owner, for the row-level security policy
 */
static SavedQuery add_message_query = {
	"INSERT INTO jobtrack.job_message (job_id, group_id, level, message, owner)"
	" SELECT j.id, j.group_id, $3::jobtrack.message_level, $2, j.owner"
	" FROM jobtrack.job_status j WHERE j.id OPERATOR(pg_catalog.=) $1"
	" RETURNING id",
	3, {INT8OID, TEXTOID, TEXTOID}, false
};

/* the same on a schema before 2.0, whose messages have no owner */
static SavedQuery add_message_without_owner_query = {
	"INSERT INTO jobtrack.job_message (job_id, group_id, level, message)"
	" SELECT j.id, j.group_id, $3::jobtrack.message_level, $2"
	" FROM jobtrack.job_status j WHERE j.id OPERATOR(pg_catalog.=) $1"
	" RETURNING id",
	3, {INT8OID, TEXTOID, TEXTOID}, false
};

/* CheckMessageLevel raises 22023 unless level is a known message level. */
static void
CheckMessageLevel(const char *level)
{
	int			i;

	for (i = 0; i < (int) lengthof(MessageLevels); i++)
		if (strcmp(level, MessageLevels[i]) == 0)
			return;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown message level \"%s\"", level),
			 errhint("Use one of debug, info, success, warning, error.")));
}

/* SQL-callable: jobtrack.add_message(job_id | external_id, message, level) */
PG_FUNCTION_INFO_V1(jobtrack_add_message);
Datum
jobtrack_add_message(PG_FUNCTION_ARGS)
{
	JobRef		job;
	Datum		values[3];
	int64		message_id;

	RequireArgument(fcinfo, 1, "message");
	RequireArgument(fcinfo, 2, "level");
	CheckMessageLevel(text_to_cstring(PG_GETARG_TEXT_PP(2)));

	SPI_connect();
	job = JobRefArgument(fcinfo, 0);
	values[0] = Int64GetDatum(job.id);
	values[1] = PG_GETARG_DATUM(1);
	values[2] = PG_GETARG_DATUM(2);
	if (RunSavedQuery(JobtrackTableHasColumn("job_message", "owner") ? &add_message_query :
					  &add_message_without_owner_query, values, NULL) == 0)
		ReportJobNotFound(&job);
	message_id = SpiResultInt64(0, 1);
	SPI_finish();
	PG_RETURN_INT64(message_id);
}
