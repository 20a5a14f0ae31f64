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
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "settings.h"
#include "wakeup.h"

#define STATS_COLUMNS 12

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
FillLatencies(const JobtrackSlot *copy, Datum *values, bool *nulls)
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

/* Listed says whether the settings let the launcher serve this database. */
static bool
Listed(void)
{
	List	   *names = JobtrackServedDatabases();
	char	   *name = get_database_name(MyDatabaseId);
	ListCell   *cell;

	if (names == NIL)
		return true;
	foreach(cell, names)
		if (name != NULL && strcmp(lfirst(cell), name) == 0)
			return true;
	return false;
}

/*
 * NotServedHere says whether the launcher found no free background worker
 * for this database, from its list of such databases.
 */
static bool
NotServedHere(const Oid *not_served, int n)
{
	int			i;

	for (i = 0; i < n; i++)
		if (not_served[i] == MyDatabaseId)
			return true;
	return false;
}

/*
 * WorkerState describes what this database's worker does, or why there is
 * none: its groups are evaluated only if it runs.
 */
static char *
WorkerState(const JobtrackSlot *slot, bool has_slot, const Oid *not_served, int n)
{
	if (RecoveryInProgress())
		return "standby: the worker starts after promotion";
	if (NotServedHere(not_served, n))
		return "not served: no free background worker (max_worker_processes)";
	if (!Listed())
		return "not served: jobtrack.databases does not list this database; call check_groups() here";
	if (!has_slot)
		return "starting";
	return pstrdup(slot->state);
}

/* NotServedNames returns the names of the databases in not_served as a text[]. */
static Datum
NotServedNames(const Oid *not_served, int n)
{
	Datum	   *names = palloc(sizeof(Datum) * Max(n, 1));
	int			count = 0;
	int			i;

	for (i = 0; i < n; i++)
	{
		char	   *name = get_database_name(not_served[i]);

		if (name != NULL)
			names[count++] = CStringGetTextDatum(name);
	}
	return PointerGetDatum(construct_array(names, count, TEXTOID, -1, false, TYPALIGN_INT));
}

/* SQL-callable: jobtrack_internal.worker_stats(), one row: this database's worker */
PG_FUNCTION_INFO_V1(jobtrack_worker_stats);
Datum
jobtrack_worker_stats(PG_FUNCTION_ARGS)
{
	JobtrackSlot *copy = palloc0(sizeof(JobtrackSlot));
	Oid			not_served[JOBTRACK_MAX_NOT_SERVED];
	int			n;
	bool		has_slot;
	TupleDesc	desc;
	Datum		values[STATS_COLUMNS];
	bool		nulls[STATS_COLUMNS] = {false};

	/* a database not updated yet to 2.0 has fewer columns; they come first */
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE ||
		desc->natts > STATS_COLUMNS)
		elog(ERROR, "return type must be a row type of at most %d columns", STATS_COLUMNS);

	if (!JobtrackPreloaded())
	{
		memset(nulls, true, sizeof(nulls));
		nulls[1] = false;
		values[1] = CStringGetTextDatum("not preloaded: add jobtrack to shared_preload_libraries");
		PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
	}

	has_slot = JobtrackCopySlot(MyDatabaseId, copy);
	n = JobtrackNotServed(not_served);
	values[0] = Int32GetDatum(copy->worker_pid);
	nulls[0] = copy->worker_pid == 0;
	values[1] = CStringGetTextDatum(WorkerState(copy, has_slot, not_served, n));
	values[2] = Int64GetDatum(copy->checks);
	values[3] = Int64GetDatum(copy->wakeups);
	values[4] = Int64GetDatum(copy->events);
	values[5] = TimestampTzGetDatum(copy->last_check_at);
	nulls[5] = copy->last_check_at == 0;
	values[6] = TimestampTzGetDatum(copy->last_event_at);
	nulls[6] = copy->last_event_at == 0;
	FillLatencies(copy, values, nulls);
	values[11] = NotServedNames(not_served, n);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}
