/*-------------------------------------------------------------------------
 *
 * stats.c
 *		The function behind the jobtrack.stats view.
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/stats.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "access/xlog.h"
#include "commands/dbcommands.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "wakeup.h"

#define STATS_COLUMNS 11

/* CompareInt64 orders int64 values for qsort. */
static int
CompareInt64(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return (x > y) - (x < y);
}

/* Percentile returns the nearest-rank p-th percentile of sorted latencies, in ms. */
static Datum
Percentile(const int64 *sorted, int n, double p)
{
	int			rank = (int) ceil(p * n);

	return Float8GetDatum(sorted[Max(rank, 1) - 1] / 1000.0);
}

/* FillLatencies sets the recent_events and latency columns from a copy of the shared block. */
static void
FillLatencies(const JobtrackShared *copy, Datum *values, bool *nulls)
{
	int			n = (int) Min(copy->latency_count, JOBTRACK_LATENCY_SLOTS);
	int64	   *sorted = palloc(sizeof(int64) * Max(n, 1));

	values[7] = Int32GetDatum(n);
	if (n == 0)
	{
		nulls[8] = nulls[9] = nulls[10] = true;
		return;
	}
	memcpy(sorted, copy->latency_us, sizeof(int64) * n);
	qsort(sorted, n, sizeof(int64), CompareInt64);
	values[8] = Percentile(sorted, n, 0.50);
	values[9] = Percentile(sorted, n, 0.99);
	values[10] = Float8GetDatum(sorted[n - 1] / 1000.0);
}

/*
 * WorkerState describes what the worker does, as seen from this database:
 * its groups are evaluated only if the worker runs here.
 */
static char *
WorkerState(const JobtrackShared *copy)
{
	char	   *database;

	if (RecoveryInProgress())
		return "standby: the worker starts after promotion";
	if (copy->worker_pid == 0 || copy->worker_database == MyDatabaseId)
		return pstrdup(copy->state);
	database = get_database_name(copy->worker_database);
	return psprintf("%s in database \"%s\", not this one: call check_groups() here",
					copy->state, database ? database : "?");
}

/* SQL-callable: jobtrack_internal.worker_stats(), one row */
PG_FUNCTION_INFO_V1(jobtrack_worker_stats);
Datum
jobtrack_worker_stats(PG_FUNCTION_ARGS)
{
	JobtrackShared *shared = JobtrackSharedState();
	JobtrackShared *copy;
	TupleDesc	desc;
	Datum		values[STATS_COLUMNS];
	bool		nulls[STATS_COLUMNS] = {false};

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	if (shared == NULL)
	{
		memset(nulls, true, sizeof(nulls));
		nulls[1] = false;
		values[1] = CStringGetTextDatum("not preloaded: add jobtrack to shared_preload_libraries");
		PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
	}

	copy = palloc(sizeof(JobtrackShared));
	SpinLockAcquire(&shared->mutex);
	memcpy(copy, shared, sizeof(JobtrackShared));
	SpinLockRelease(&shared->mutex);

	values[0] = Int32GetDatum(copy->worker_pid);
	nulls[0] = copy->worker_pid == 0;
	values[1] = CStringGetTextDatum(WorkerState(copy));
	values[2] = Int64GetDatum(copy->checks);
	values[3] = Int64GetDatum(copy->wakeups);
	values[4] = Int64GetDatum(copy->events);
	values[5] = TimestampTzGetDatum(copy->last_check_at);
	nulls[5] = copy->last_check_at == 0;
	values[6] = TimestampTzGetDatum(copy->last_event_at);
	nulls[6] = copy->last_event_at == 0;
	FillLatencies(copy, values, nulls);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}
