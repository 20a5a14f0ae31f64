/*-------------------------------------------------------------------------
 *
 * groups.c
 *		Job groups and the evaluator that raises their events.
 *
 * A group is pending until one of its jobs starts or finishes, running
 * after that, and completed when it has jobs and all of them are finished.
 * A job added to a completed group, or a retry of one of its jobs, reopens
 * it: run grows by one and the group is pending again.
 *
 * Job writers never touch a group's row.  Their transaction inserts a
 * jobtrack.group_change row (job_guard.c) saying which job of which group
 * moved from which status to which.  The evaluator, check_groups(), drains
 * those rows with DELETE ... RETURNING and, per group:
 *
 *	- adds the status deltas to the group's counts (jobtrack.group_count),
 *	  so a check costs what changed, never the size of the group;
 *	- reopens a completed group if a job entered a not-finished status
 *	  from a finished one or from nowhere;
 *	- moves a pending group to running if any job started or finished,
 *	  and a running group to completed if every job is finished, raising
 *	  group.started and group.completed in that order, both even when all
 *	  of it happened between two checks.
 *
 * The drained rows, the counts, the group's new status and its events are
 * written in one transaction, so each change is applied exactly once: a
 * crash or error before the commit leaves the rows to drain again.  All
 * evaluators (the worker, a manual or pg_cron check_groups(),
 * update_status_running()) take one transaction-level advisory lock first,
 * so their passes are serialized and event ids follow commit order.
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/groups.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "events.h"
#include "groups.h"
#include "jobref.h"
#include "spi_util.h"
#include "status.h"
#include "wakeup.h"

/* the advisory lock every evaluator holds: "jobtrack" in ASCII */
#define EVALUATOR_LOCK_KEY INT64CONST(0x6a6f62747261636b)

/* at most this many groups are checked on schedule in one pass */
#define DUE_GROUPS_PER_PASS 1000

typedef enum GroupStatus
{
	GROUP_PENDING,
	GROUP_RUNNING,
	GROUP_COMPLETED
} GroupStatus;

static const char *const GroupStatusNames[] = {"pending", "running", "completed"};

/* what the evaluator learned about one group in this pass */
typedef struct GroupChange
{
	int64		group_id;
	int64		deltas[JOB_STATUS_COUNT];
	bool		reopened;		/* a job entered a not-finished status anew */
	bool		active;			/* a job started or finished */
	bool		due;			/* checked on schedule */
	TimestampTz changed_at;		/* the latest change, for latency figures */
} GroupChange;

static SavedQuery drain_changes_query = {
	"WITH drained AS (DELETE FROM jobtrack.group_change"
	"  RETURNING group_id, old_status, new_status, created_at)"
	" SELECT group_id,"
	"  pg_catalog.count(*) FILTER (WHERE new_status OPERATOR(pg_catalog.=) 'queued') OPERATOR(pg_catalog.-) pg_catalog.count(*) FILTER (WHERE old_status OPERATOR(pg_catalog.=) 'queued'),"
	"  pg_catalog.count(*) FILTER (WHERE new_status OPERATOR(pg_catalog.=) 'delayed') OPERATOR(pg_catalog.-) pg_catalog.count(*) FILTER (WHERE old_status OPERATOR(pg_catalog.=) 'delayed'),"
	"  pg_catalog.count(*) FILTER (WHERE new_status OPERATOR(pg_catalog.=) 'started') OPERATOR(pg_catalog.-) pg_catalog.count(*) FILTER (WHERE old_status OPERATOR(pg_catalog.=) 'started'),"
	"  pg_catalog.count(*) FILTER (WHERE new_status OPERATOR(pg_catalog.=) 'paused') OPERATOR(pg_catalog.-) pg_catalog.count(*) FILTER (WHERE old_status OPERATOR(pg_catalog.=) 'paused'),"
	"  pg_catalog.count(*) FILTER (WHERE new_status OPERATOR(pg_catalog.=) 'stuck') OPERATOR(pg_catalog.-) pg_catalog.count(*) FILTER (WHERE old_status OPERATOR(pg_catalog.=) 'stuck'),"
	"  pg_catalog.count(*) FILTER (WHERE new_status OPERATOR(pg_catalog.=) 'succeeded') OPERATOR(pg_catalog.-) pg_catalog.count(*) FILTER (WHERE old_status OPERATOR(pg_catalog.=) 'succeeded'),"
	"  pg_catalog.count(*) FILTER (WHERE new_status OPERATOR(pg_catalog.=) 'failed') OPERATOR(pg_catalog.-) pg_catalog.count(*) FILTER (WHERE old_status OPERATOR(pg_catalog.=) 'failed'),"
	"  pg_catalog.count(*) FILTER (WHERE new_status OPERATOR(pg_catalog.=) 'cancelled') OPERATOR(pg_catalog.-) pg_catalog.count(*) FILTER (WHERE old_status OPERATOR(pg_catalog.=) 'cancelled'),"
	"  pg_catalog.bool_or(new_status OPERATOR(pg_catalog.<) 'succeeded'"
	"    AND (old_status IS NULL OR old_status OPERATOR(pg_catalog.>=) 'succeeded')),"
	"  pg_catalog.bool_or(new_status OPERATOR(pg_catalog.=) 'started' OR new_status OPERATOR(pg_catalog.>=) 'succeeded'),"
	"  pg_catalog.max(created_at)"
	" FROM drained GROUP BY group_id ORDER BY group_id",
	0, {InvalidOid}, false
};

static SavedQuery due_groups_query = {
	"SELECT id FROM jobtrack.job_group"
	" WHERE status OPERATOR(pg_catalog.<>) 'completed' AND next_check_at OPERATOR(pg_catalog.<=) $1"
	" ORDER BY next_check_at LIMIT " CppAsString2(DUE_GROUPS_PER_PASS),
	1, {TIMESTAMPTZOID}, false
};

static SavedQuery load_group_query = {
	"SELECT g.status::pg_catalog.text, g.run, g.title,"
	"  c.queued, c.delayed, c.started, c.paused, c.stuck, c.succeeded, c.failed, c.cancelled"
	" FROM jobtrack.job_group g"
	" LEFT JOIN jobtrack.group_count c ON c.group_id OPERATOR(pg_catalog.=) g.id"
	" WHERE g.id OPERATOR(pg_catalog.=) $1",
	1, {INT8OID}, false
};

static SavedQuery save_counts_query = {
	"INSERT INTO jobtrack.group_count AS c"
	"  (group_id, queued, delayed, started, paused, stuck, succeeded, failed, cancelled)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
	" ON CONFLICT (group_id) DO UPDATE SET queued = EXCLUDED.queued, delayed = EXCLUDED.delayed,"
	"  started = EXCLUDED.started, paused = EXCLUDED.paused, stuck = EXCLUDED.stuck,"
	"  succeeded = EXCLUDED.succeeded, failed = EXCLUDED.failed, cancelled = EXCLUDED.cancelled",
	9, {INT8OID, INT8OID, INT8OID, INT8OID, INT8OID, INT8OID, INT8OID, INT8OID, INT8OID}, false
};

/* $4: the status changed in this pass, so started_at/completed_at follow it */
static SavedQuery save_group_query = {
	"UPDATE jobtrack.job_group SET status = $2::jobtrack.group_status, run = $3,"
	"  started_at = CASE WHEN NOT $4 THEN started_at WHEN $2 OPERATOR(pg_catalog.=) 'pending' THEN NULL"
	"    ELSE COALESCE(CASE WHEN $2 OPERATOR(pg_catalog.=) 'running' THEN NULL ELSE started_at END, $5) END,"
	"  completed_at = CASE WHEN NOT $4 THEN completed_at WHEN $2 OPERATOR(pg_catalog.=) 'completed' THEN $5 ELSE NULL END,"
	"  checked_at = $5,"
	"  next_check_at = $5 OPERATOR(pg_catalog.+) time_to_check"
	" WHERE id OPERATOR(pg_catalog.=) $1",
	5, {INT8OID, TEXTOID, INT4OID, BOOLOID, TIMESTAMPTZOID}, false
};

static SavedQuery insert_group_query = {
	"INSERT INTO jobtrack.job_group (title, payload, time_to_check, next_check_at)"
	" VALUES ($1, $2, $3, pg_catalog.now() OPERATOR(pg_catalog.+) $3)"
	" ON CONFLICT ((pg_catalog.md5(title))) DO NOTHING RETURNING id",
	3, {TEXTOID, JSONBOID, INTERVALOID}, false
};

static SavedQuery group_by_title_query = {
	"SELECT id FROM jobtrack.job_group"
	" WHERE pg_catalog.md5(title) OPERATOR(pg_catalog.=) pg_catalog.md5($1) AND title OPERATOR(pg_catalog.=) $1",
	1, {TEXTOID}, false
};

/* LockEvaluator serializes every evaluator of the database until commit. */
static void
LockEvaluator(void)
{
	if (IsolationUsesXactSnapshot())
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TRANSACTION_STATE),
				 errmsg("jobtrack groups can only be evaluated in a READ COMMITTED transaction"),
				 errdetail("A snapshot taken before waiting for another evaluator would miss its changes."),
				 errhint("Run it in its own transaction, or SET TRANSACTION ISOLATION LEVEL READ COMMITTED.")));
	(void) DirectFunctionCall1(pg_advisory_xact_lock_int8, Int64GetDatum(EVALUATOR_LOCK_KEY));
}

/* GroupStatusFromName maps a group_status label to its GroupStatus. */
static GroupStatus
GroupStatusFromName(const char *name)
{
	int			i;

	for (i = 0; i < (int) lengthof(GroupStatusNames); i++)
		if (strcmp(name, GroupStatusNames[i]) == 0)
			return (GroupStatus) i;
	elog(ERROR, "unknown group status \"%s\"", name);
	pg_unreachable();
}

/*
 * LoadGroup reads a group's status, run, title and counts into *group; it
 * returns false when the group does not exist.
 */
static bool
LoadGroup(int64 group_id, GroupSnapshot *group, GroupStatus *status)
{
	Datum		id = Int64GetDatum(group_id);
	bool		isnull;
	int			i;

	if (RunSavedQuery(&load_group_query, &id, NULL) == 0)
		return false;
	group->id = group_id;
	*status = GroupStatusFromName(TextDatumGetCString(SpiResultDatum(0, 1, &isnull)));
	group->run = DatumGetInt32(SpiResultDatum(0, 2, &isnull));
	group->title = TextDatumGetCString(SpiResultDatum(0, 3, &isnull));
	for (i = 0; i < JOB_STATUS_COUNT; i++)
	{
		Datum		count = SpiResultDatum(0, 4 + i, &isnull);

		group->counts[i] = isnull ? 0 : DatumGetInt64(count);
	}
	return true;
}

/* SaveCounts writes a group's counts. */
static void
SaveCounts(const GroupSnapshot *group)
{
	Datum		values[1 + JOB_STATUS_COUNT];
	int			i;

	values[0] = Int64GetDatum(group->id);
	for (i = 0; i < JOB_STATUS_COUNT; i++)
		values[1 + i] = Int64GetDatum(group->counts[i]);
	RunSavedQuery(&save_counts_query, values, NULL);
}

/* SaveGroup writes a group's status and run and schedules its next check. */
static void
SaveGroup(const GroupSnapshot *group, GroupStatus status, bool status_changed, TimestampTz now)
{
	Datum		values[5];

	values[0] = Int64GetDatum(group->id);
	values[1] = CStringGetTextDatum(GroupStatusNames[status]);
	values[2] = Int32GetDatum(group->run);
	values[3] = BoolGetDatum(status_changed);
	values[4] = TimestampTzGetDatum(now);
	RunSavedQuery(&save_group_query, values, NULL);
}

/* AllFinished is true when a group has jobs and every one is finished. */
static bool
AllFinished(const int64 *counts)
{
	int64		finished = counts[JOB_SUCCEEDED] + counts[JOB_FAILED] + counts[JOB_CANCELLED];
	int64		total = finished;
	int			i;

	for (i = 0; i < JOB_STATUS_COUNT; i++)
		if (!JobStatusIsFinished((JobStatus) i))
			total += counts[i];
	return total > 0 && total == finished;
}

/*
 * EvaluateGroup applies one group's changes, moves it along its states and
 * raises the events of each move; it returns the number of events raised.
 */
static int
EvaluateGroup(const GroupChange *change, TimestampTz now)
{
	GroupSnapshot group;
	GroupStatus status;
	GroupStatus old_status;
	int32		old_run;
	bool		counts_changed = false;
	int			events = 0;
	int			i;

	if (!LoadGroup(change->group_id, &group, &status))
		return 0;				/* changes of a job whose group is gone */
	old_status = status;
	old_run = group.run;
	for (i = 0; i < JOB_STATUS_COUNT; i++)
	{
		group.counts[i] += change->deltas[i];
		counts_changed |= change->deltas[i] != 0;
	}

	if (status == GROUP_COMPLETED && (change->reopened || !AllFinished(group.counts)))
	{
		status = GROUP_PENDING;
		group.run++;
	}
	if (status == GROUP_PENDING &&
		(change->active || AllFinished(group.counts) ||
		 group.counts[JOB_STARTED] + group.counts[JOB_STUCK] > 0))
	{
		status = GROUP_RUNNING;
		RaiseGroupEvent(&group, "group.started", now, change->changed_at);
		events++;
	}
	if (status == GROUP_RUNNING && AllFinished(group.counts))
	{
		status = GROUP_COMPLETED;
		RaiseGroupEvent(&group, "group.completed", now, change->changed_at);
		events++;
	}

	if (counts_changed)
		SaveCounts(&group);
	if (status != old_status || group.run != old_run || change->due)
		SaveGroup(&group, status, status != old_status || group.run != old_run, now);
	return events;
}

/* DrainChanges takes every recorded change; returns the groups they touch. */
static GroupChange *
DrainChanges(int *count)
{
	uint64		n = RunSavedQuery(&drain_changes_query, NULL, NULL);
	GroupChange *changes = palloc0(sizeof(GroupChange) * (n + DUE_GROUPS_PER_PASS));
	uint64		row;
	bool		isnull;
	int			i;

	for (row = 0; row < n; row++)
	{
		GroupChange *c = &changes[row];

		c->group_id = SpiResultInt64(row, 1);
		for (i = 0; i < JOB_STATUS_COUNT; i++)
			c->deltas[i] = SpiResultInt64(row, 2 + i);
		c->reopened = DatumGetBool(SpiResultDatum(row, 2 + JOB_STATUS_COUNT, &isnull)) && !isnull;
		c->active = DatumGetBool(SpiResultDatum(row, 3 + JOB_STATUS_COUNT, &isnull)) && !isnull;
		c->changed_at = DatumGetTimestampTz(SpiResultDatum(row, 4 + JOB_STATUS_COUNT, &isnull));
	}
	*count = (int) n;
	return changes;
}

/* AddDueGroups appends the groups due for a scheduled check. */
static void
AddDueGroups(GroupChange *changes, int *count, TimestampTz now)
{
	Datum		at = TimestampTzGetDatum(now);
	int			drained = *count;
	uint64		n = RunSavedQuery(&due_groups_query, &at, NULL);
	uint64		row;
	int			i;

	for (row = 0; row < n; row++)
	{
		int64		group_id = SpiResultInt64(row, 1);

		for (i = 0; i < drained && changes[i].group_id != group_id; i++)
			;
		if (i == drained)
			changes[(*count)++].group_id = group_id;
		changes[i].due = true;
	}
}

/*
 * CheckGroups runs one evaluation pass over the groups that changed or are
 * due, and returns the number of events raised.
 */
int
CheckGroups(void)
{
	TimestampTz now;
	GroupChange *changes;
	int			count;
	int			events = 0;
	int			i;

	LockEvaluator();
	SPI_connect();
	now = GetCurrentTimestamp();
	changes = DrainChanges(&count);
	AddDueGroups(changes, &count, now);
	for (i = 0; i < count; i++)
		events += EvaluateGroup(&changes[i], now);
	SPI_finish();

	/* an event is visible to listeners at commit: make that commit durable */
	if (events > 0)
		(void) set_config_option("synchronous_commit", "on", PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_LOCAL, true, 0, false);
	JobtrackRecordCheck();
	return events;
}

/* SQL-callable: jobtrack.check_groups() */
PG_FUNCTION_INFO_V1(jobtrack_check_groups);
Datum
jobtrack_check_groups(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(CheckGroups());
}

/* SQL-callable: jobtrack.update_status_running(group_id) */
PG_FUNCTION_INFO_V1(jobtrack_update_status_running);
Datum
jobtrack_update_status_running(PG_FUNCTION_ARGS)
{
	GroupSnapshot group;
	GroupStatus status;
	int64		group_id;
	TimestampTz now;

	RequireArgument(fcinfo, 0, "group_id");
	group_id = PG_GETARG_INT64(0);

	/* changes not evaluated yet (a job added to a completed group) come first */
	(void) CheckGroups();
	SPI_connect();
	if (!LoadGroup(group_id, &group, &status))
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("job group %lld does not exist", (long long) group_id)));
	if (status == GROUP_PENDING)
	{
		now = GetCurrentTimestamp();
		status = GROUP_RUNNING;
		RaiseGroupEvent(&group, "group.started", now, 0);
		SaveGroup(&group, status, true, now);
	}
	SPI_finish();
	PG_RETURN_DATUM(DirectFunctionCall2(enum_in, CStringGetDatum(GroupStatusNames[status]),
										ObjectIdGetDatum(get_func_rettype(fcinfo->flinfo->fn_oid))));
}

/* CheckTitle raises for a NULL or empty group title. */
static void
CheckTitle(FunctionCallInfo fcinfo)
{
	RequireArgument(fcinfo, 0, "title");
	if (VARSIZE_ANY_EXHDR(PG_GETARG_TEXT_PP(0)) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("group title must not be empty")));
}

/* InsertGroup creates a group; returns its id, or 0 if the title is taken. */
static int64
InsertGroup(Datum title, Datum payload, bool payload_null, Datum time_to_check)
{
	Datum		values[3] = {title, payload, time_to_check};
	char		nulls[3] = {' ', payload_null ? 'n' : ' ', ' '};

	if (RunSavedQuery(&insert_group_query, values, nulls) == 0)
		return 0;
	return SpiResultInt64(0, 1);
}

/* SQL-callable: jobtrack.create_group(title, payload, time_to_check) */
PG_FUNCTION_INFO_V1(jobtrack_create_group);
Datum
jobtrack_create_group(PG_FUNCTION_ARGS)
{
	Interval	zero = {0};
	int64		group_id;

	CheckTitle(fcinfo);
	RequireArgument(fcinfo, 2, "time_to_check");
	if (DatumGetInt32(DirectFunctionCall2(interval_cmp, PG_GETARG_DATUM(2),
										  IntervalPGetDatum(&zero))) <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("time_to_check must be positive")));

	SPI_connect();
	group_id = InsertGroup(PG_GETARG_DATUM(0), PG_ARGISNULL(1) ? (Datum) 0 : PG_GETARG_DATUM(1),
						   PG_ARGISNULL(1), PG_GETARG_DATUM(2));
	SPI_finish();
	if (group_id == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNIQUE_VIOLATION),
				 errmsg("job group \"%s\" already exists", text_to_cstring(PG_GETARG_TEXT_PP(0))),
				 errhint("Use jobtrack.group_id(title) to get a group by title, creating it if needed.")));
	PG_RETURN_INT64(group_id);
}

/*
 * SQL-callable: jobtrack.group_id(title), first-or-create.  It looks the
 * title up before inserting: an INSERT ... ON CONFLICT would wait for an
 * evaluator that has just updated the group, and writers never wait for it.
 */
PG_FUNCTION_INFO_V1(jobtrack_group_id);
Datum
jobtrack_group_id(PG_FUNCTION_ARGS)
{
	Datum		title;
	int64		group_id = 0;

	CheckTitle(fcinfo);
	title = PG_GETARG_DATUM(0);
	SPI_connect();
	if (RunSavedQuery(&group_by_title_query, &title, NULL) == 1)
		group_id = SpiResultInt64(0, 1);
	else
		group_id = InsertGroup(title, (Datum) 0, true,
							   DirectFunctionCall3(interval_in, CStringGetDatum("1 minute"),
												   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
	/* a concurrent group_id() inserted the same title first */
	if (group_id == 0)
	{
		if (RunSavedQuery(&group_by_title_query, &title, NULL) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
					 errmsg("could not serialize access due to a concurrent group_id"),
					 errhint("Retry the transaction.")));
		group_id = SpiResultInt64(0, 1);
	}
	SPI_finish();
	PG_RETURN_INT64(group_id);
}
