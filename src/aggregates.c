/*-------------------------------------------------------------------------
 *
 * aggregates.c
 *		The count_* aggregates over jobtrack.status.
 *
 * Each aggregate is a bigint count whose transition function adds one for
 * the statuses it counts.  The state is a plain int8, so int8pl combines
 * partial counts and the aggregates run in parallel plans.
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/aggregates.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"

#include "status.h"

/* a transition function, SQL-callable as jobtrack.<name>_accum(int8, status) */
#define COUNT_ACCUM(name, test) \
PG_FUNCTION_INFO_V1(jobtrack_##name##_accum); \
Datum \
jobtrack_##name##_accum(PG_FUNCTION_ARGS) \
{ \
	int64		count = PG_GETARG_INT64(0); \
	JobStatus	s = JobStatusFromDatum(PG_GETARG_DATUM(1)); \
	PG_RETURN_INT64((test) ? count + 1 : count); \
}

COUNT_ACCUM(count_finished, JobStatusIsFinished(s))
COUNT_ACCUM(count_successful, s == JOB_SUCCEEDED)
COUNT_ACCUM(count_failed, s == JOB_FAILED)
COUNT_ACCUM(count_cancelled, s == JOB_CANCELLED)
COUNT_ACCUM(count_running, s == JOB_STARTED)
COUNT_ACCUM(count_queued, JobStatusIsQueued(s))
COUNT_ACCUM(count_not_finished, !JobStatusIsFinished(s))
