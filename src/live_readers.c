/*-------------------------------------------------------------------------
 *
 * live_readers.c
 *		Reading live progress from SQL: the column overlays the scopes and
 *		views use, the list of live slots, and a flush on request.
 *
 * A scope returns a job's stored row with its four live columns replaced
 * by jobtrack_internal.live_*(id, status, stored value): the slot's value
 * when the job is started and has one, else the stored value.  With no
 * slot anywhere in the cluster, each is one atomic read.  They are marked
 * STABLE so that the scopes stay inlinable; a statement may therefore see a
 * value newer than its snapshot, which is what live means.
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/live_readers.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "fmgr.h"
#include "access/htup_details.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "live.h"
#include "spi_util.h"
#include "status.h"

/*
 * LiveRow finds the live values of the job named by arguments 0 (id) and
 * 1 (status); false when the stored value (argument 2) stands, which it
 * does for a caller that may not read slots.  The functions take any id,
 * so the row the caller passes proves nothing.
 */
static bool
LiveRow(FunctionCallInfo fcinfo, LiveValues *live)
{
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) ||
		JobStatusFromDatum(PG_GETARG_DATUM(1)) != JOB_STARTED)
		return false;
	return LiveLookup(PG_GETARG_INT64(0), live) && LiveReadAllowed();
}

/* StoredValue returns argument 2, the stored value. */
#define RETURN_STORED() \
	do { \
		if (PG_ARGISNULL(2)) \
			PG_RETURN_NULL(); \
		PG_RETURN_DATUM(PG_GETARG_DATUM(2)); \
	} while (0)

/* SQL-callable: jobtrack_internal.live_percentage(job_id, status, stored numeric) */
PG_FUNCTION_INFO_V1(jobtrack_live_percentage);
Datum
jobtrack_live_percentage(PG_FUNCTION_ARGS)
{
	LiveValues	live;

	if (LiveRow(fcinfo, &live) && live.has_percentage)
		PG_RETURN_NUMERIC(live.percentage);
	RETURN_STORED();
}

/* SQL-callable: jobtrack_internal.live_current(job_id, status, stored bigint) */
PG_FUNCTION_INFO_V1(jobtrack_live_current);
Datum
jobtrack_live_current(PG_FUNCTION_ARGS)
{
	LiveValues	live;

	if (LiveRow(fcinfo, &live) && live.has_count)
		PG_RETURN_INT64(live.current);
	RETURN_STORED();
}

/* SQL-callable: jobtrack_internal.live_total(job_id, status, stored bigint) */
PG_FUNCTION_INFO_V1(jobtrack_live_total);
Datum
jobtrack_live_total(PG_FUNCTION_ARGS)
{
	LiveValues	live;

	if (LiveRow(fcinfo, &live) && live.has_count)
		PG_RETURN_INT64(live.total);
	RETURN_STORED();
}

/* SQL-callable: jobtrack_internal.live_heartbeat(job_id, status, stored timestamptz) */
PG_FUNCTION_INFO_V1(jobtrack_live_heartbeat);
Datum
jobtrack_live_heartbeat(PG_FUNCTION_ARGS)
{
	LiveValues	live;

	if (LiveRow(fcinfo, &live) && live.has_heartbeat)
		PG_RETURN_TIMESTAMPTZ(live.heartbeat_at);
	RETURN_STORED();
}

/*
 * SQL-callable: jobtrack.flush_progress(), the worker's flush on request,
 * run as the extension's owner.  It locks every row it writes until the
 * caller's transaction ends, so only a caller that could lock those rows
 * itself may ask: one with UPDATE on job_status and no row-level security.
 */
PG_FUNCTION_INFO_V1(jobtrack_flush_progress);
Datum
jobtrack_flush_progress(PG_FUNCTION_ARGS)
{
	Oid			save_userid;
	int			save_sec_context;
	int			written;

	if (!LiveCallerSeesAllJobs(ACL_UPDATE))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to flush live progress"),
				 errdetail("The flush locks and writes the rows of every started job, which needs UPDATE on jobtrack.job_status with no row-level security applying."),
				 errhint("The worker flushes once per jobtrack.live_flush_interval.")));
	SPI_connect();
	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(JobtrackOwner(), save_sec_context | SECURITY_LOCAL_USERID_CHANGE);
	written = LiveFlush();
	SetUserIdAndSecContext(save_userid, save_sec_context);
	SPI_finish();
	PG_RETURN_INT32(written);
}

/* SQL-callable: jobtrack_internal.live_stats(), the live table's figures for jobtrack.stats */
PG_FUNCTION_INFO_V1(jobtrack_live_stats);
Datum
jobtrack_live_stats(PG_FUNCTION_ARGS)
{
	TupleDesc	desc;
	Datum		values[3];
	bool		nulls[3] = {false};
	int64		used;
	int64		capacity;
	int64		full;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	LiveFigures(&used, &capacity, &full);
	values[0] = Int64GetDatum(used);
	values[1] = Int64GetDatum(capacity);
	values[2] = Int64GetDatum(full);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}
