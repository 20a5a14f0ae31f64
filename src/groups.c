/*-------------------------------------------------------------------------
 *
 * groups.c
 *		The SQL functions of job groups: create_group, group_id,
 *		check_groups and update_status_running.
 *
 * The evaluator behind check_groups() and update_status_running() is in
 * evaluator.c.  Creating a group never waits for it: group_id() reads the
 * title before inserting, because an INSERT ... ON CONFLICT would wait for
 * an evaluator that has just updated that group's row.
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
#include "common/hashfn.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "evaluator.h"
#include "groups.h"
#include "job_guard.h"
#include "job_record.h"
#include "jobref.h"
#include "spi_util.h"

/*
 * Run as the extension's owner: writers need no INSERT on job_group, so no
 * grant lets them write a group's state (status, run, id, owner, times).
 * The group starts with its counts, all zero: group retention deletes only
 * groups whose counts say they have no job (maintenance.c), and a group
 * that never gets a job must go too.
 */
static SavedQuery insert_group_query = {
	"WITH g AS (INSERT INTO jobtrack.job_group (title, payload, time_to_check, next_check_at, owner)"
	"  VALUES ($1, $2, $3, pg_catalog.now() OPERATOR(pg_catalog.+) $3, $4)"
	"  ON CONFLICT ((pg_catalog.md5(title))) DO NOTHING RETURNING id),"
	" c AS (INSERT INTO jobtrack.group_count (group_id) SELECT id FROM g ON CONFLICT (group_id) DO NOTHING)"
	" SELECT id FROM g",
	4, {TEXTOID, JSONBOID, INTERVALOID, NAMEOID}, false
};
static SavedQuery group_by_title_query = {
	"SELECT id FROM jobtrack.job_group"
	" WHERE pg_catalog.md5(title) OPERATOR(pg_catalog.=) pg_catalog.md5($1) AND title OPERATOR(pg_catalog.=) $1",
	1, {TEXTOID}, false
};

/*
 * The probe as a statement, for a caller without SELECT on job_group (it
 * raises the usual error) or under row-level security on it, both of which
 * a direct read would bypass.
 */
static SavedQuery group_exists_query = {
	"SELECT 1 FROM jobtrack.job_group WHERE id OPERATOR(pg_catalog.=) $1",
	1, {INT8OID}, false
};

/* ReportGroupNotFound raises P0002 for a group that does not exist. */
void
ReportGroupNotFound(int64 group_id)
{
	ereport(ERROR,
			(errcode(ERRCODE_NO_DATA_FOUND),
			 errmsg("job group %lld does not exist", (long long) group_id),
			 errhint("Create the group first with jobtrack.create_group() or jobtrack.group_id().")));
}

/*
 * ReadGroupStatus looks a group up by its primary key in a snapshot, with
 * no privilege check; false when there is no such group, else its status
 * (the OID of its label) in *status.
 */
bool
ReadGroupStatus(int64 group_id, Snapshot snapshot, Oid *status)
{
	Datum		value;
	bool		isnull;

	if (!ReadByPrimaryKey(JobtrackRelid("job_group"), group_id, "status", snapshot, &value, &isnull))
		return false;
	*status = isnull ? InvalidOid : DatumGetObjectId(value);
	return true;
}

/* the fourth field of a group lock's tag; the evaluator's lock has 0 there */
#define GROUP_LOCK_KIND 1

/*
 * A group's lock keeps group retention from deleting a group that a job is
 * being added to.  create_job() holds it shared from its check that the
 * group exists to its commit; retention deletes only the groups whose lock
 * it could take at once, exclusively, and checks them again in a snapshot
 * taken after (maintenance.c).  So a job never commits into a group deleted
 * meanwhile: either retention sees the job, or create_job waits for the
 * deletion's commit and then finds no group.  A user lock, as the
 * evaluator's: no SQL function can take or hold it.
 *
 * The groups share GROUP_LOCK_STRIPES locks, chosen by the group's id, so
 * that neither a transaction that adds jobs to thousands of groups nor a
 * round of retention holds more than that many entries of the server's
 * shared lock table.  A creator waits only while retention deletes a group
 * of its stripe, for that statement and its commit.
 */
static void
SetStripeLockTag(LOCKTAG *tag, int stripe)
{
	tag->locktag_field1 = MyDatabaseId;
	tag->locktag_field2 = stripe;
	tag->locktag_field3 = 0;
	tag->locktag_field4 = GROUP_LOCK_KIND;
	tag->locktag_type = LOCKTAG_USERLOCK;
	tag->locktag_lockmethodid = USER_LOCKMETHOD;
}

/* GroupLockStripe is the stripe of the group lock a group takes. */
int
GroupLockStripe(int64 group_id)
{
	return (int) (hash_bytes_uint32((uint32) group_id ^ (uint32) ((uint64) group_id >> 32)) %
				  GROUP_LOCK_STRIPES);
}

/* LockGroupStripeForDeletion takes a stripe's lock for retention, if no job is being added to its groups. */
bool
LockGroupStripeForDeletion(int stripe)
{
	LOCKTAG		tag;

	SetStripeLockTag(&tag, stripe);
	return LockAcquire(&tag, ExclusiveLock, false, true) != LOCKACQUIRE_NOT_AVAIL;
}

/*
 * LockGroupForJobs takes a group's lock for adding jobs to it, until the
 * end of the transaction; with dont_wait, only if retention is not deleting
 * a group of its stripe.
 */
static LockAcquireResult
LockGroupForJobs(int64 group_id, bool dont_wait)
{
	LOCKTAG		tag;

	SetStripeLockTag(&tag, GroupLockStripe(group_id));
	return LockAcquire(&tag, ShareLock, false, dont_wait);
}

/*
 * CheckGroupStillThere raises 40001 when a transaction whose snapshot is
 * fixed (REPEATABLE READ or SERIALIZABLE) sees a group that retention has
 * deleted since: a job added to it would commit into a deleted group.
 */
static void
CheckGroupStillThere(int64 group_id)
{
	Oid			status;

	if (!IsolationUsesXactSnapshot() ||
		ReadGroupStatus(group_id, GetLatestSnapshot(), &status))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
			 errmsg("could not serialize access due to a concurrent deletion of job group %lld",
					(long long) group_id),
			 errdetail("Housekeeping deleted the group after this transaction's snapshot was taken."),
			 errhint("Retry the transaction.")));
}

/*
 * CheckGroupExists raises P0002 unless the group exists; the caller is
 * connected to SPI.  It answers what "SELECT 1 FROM jobtrack.job_group
 * WHERE id = $1" would, as the current user, but reads the primary key
 * directly: an SPI statement was a visible share of every create_job.  So
 * it checks the privilege the statement would need, and it sees what this
 * transaction wrote so far, as a new statement would, including a group
 * inserted by the statement that calls it (a data-modifying WITH).  Under
 * row-level security on job_group it runs the statement itself.  It takes
 * the group's lock first, and holds it to the end of the transaction.
 */
void
CheckGroupExists(int64 group_id)
{
	Oid			relid = JobtrackRelid("job_group");
	Datum		value = Int64GetDatum(group_id);
	Oid			status;
	bool		found;

	(void) LockGroupForJobs(group_id, false);
	CheckGroupStillThere(group_id);
	if (!DirectReadAllowed(relid))
	{
		if (RunSavedQuery(&group_exists_query, &value, NULL) == 0)
			ReportGroupNotFound(group_id);
		return;
	}
	CommandCounterIncrement();
	PushActiveSnapshot(GetTransactionSnapshot());
	UpdateActiveSnapshotCommandId();
	found = ReadGroupStatus(group_id, GetActiveSnapshot(), &status);
	PopActiveSnapshot();
	if (!found)
		ReportGroupNotFound(group_id);
}

/* SQL-callable: jobtrack.check_groups() */
PG_FUNCTION_INFO_V1(jobtrack_check_groups);
Datum
jobtrack_check_groups(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(CheckGroups(0));
}

/*
 * SQL-callable: jobtrack.recount_groups(group_id DEFAULT NULL): counts a
 * group's jobs (every group's, for NULL) afresh, for changes the triggers
 * never saw (a replica's apply, a load with triggers disabled), and
 * evaluates it; returns the events raised.
 */
PG_FUNCTION_INFO_V1(jobtrack_recount_groups);
Datum
jobtrack_recount_groups(PG_FUNCTION_ARGS)
{
	int64		group_id = 0;

	if (!PG_ARGISNULL(0))
	{
		group_id = PG_GETARG_INT64(0);
		SPI_connect();
		CheckGroupExists(group_id);
		SPI_finish();
	}
	PG_RETURN_INT32(RecountGroups(group_id));
}

/*
 * SQL-callable: jobtrack.update_status_running(group_id).  It runs an
 * evaluator pass, so changes not evaluated yet (a job added to a completed
 * group) come first, and marks the group running if it is then pending.
 */
PG_FUNCTION_INFO_V1(jobtrack_update_status_running);
Datum
jobtrack_update_status_running(PG_FUNCTION_ARGS)
{
	GroupStatus status;
	int64		group_id;

	RequireArgument(fcinfo, 0, "group_id");
	group_id = PG_GETARG_INT64(0);
	/* an unknown group is refused before the pass, which may take event ids */
	SPI_connect();
	CheckGroupExists(group_id);
	SPI_finish();
	if (!StartGroup(group_id, &status))
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("job group %lld does not exist", (long long) group_id)));
	PG_RETURN_DATUM(DirectFunctionCall2(enum_in, CStringGetDatum(GroupStatusName(status)),
										ObjectIdGetDatum(get_func_rettype(fcinfo->flinfo->fn_oid))));
}

/* CheckTitle raises for a NULL, empty or too long group title. */
static void
CheckTitle(FunctionCallInfo fcinfo)
{
	Size		len;

	RequireArgument(fcinfo, 0, "title");
	len = VARSIZE_ANY_EXHDR(PG_GETARG_TEXT_PP(0));
	if (len == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("group title must not be empty")));
	if (len > JOBTRACK_MAX_TITLE_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("group title is too long"),
				 errdetail("It has %zu bytes; at most %d are allowed.", len, JOBTRACK_MAX_TITLE_BYTES),
				 errhint("Put long values into the group's payload.")));
}

/* IntervalLiteral returns an interval from its text. */
static Datum
IntervalLiteral(const char *text)
{
	return DirectFunctionCall3(interval_in, CStringGetDatum(text),
							   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
}

/*
 * CheckTimeToCheck raises unless time_to_check is from 1 second to 1 year,
 * with no negative part: every open group is checked once per its
 * time_to_check, and the next check time must stay a valid timestamp in
 * the future.  Intervals compare a month as 30 days, so '-1 year 360 days
 * 1 second' equals '1 second', yet added to a date it goes back 5 days.
 */
static void
CheckTimeToCheck(FunctionCallInfo fcinfo)
{
	Datum		value;
	Interval   *parts;

	RequireArgument(fcinfo, 2, "time_to_check");
	value = PG_GETARG_DATUM(2);
	parts = DatumGetIntervalP(value);
	if (parts->month < 0 || parts->day < 0 || parts->time < 0 ||
		DatumGetInt32(DirectFunctionCall2(interval_cmp, value, IntervalLiteral("1 second"))) < 0 ||
		DatumGetInt32(DirectFunctionCall2(interval_cmp, value, IntervalLiteral("1 year"))) > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("time_to_check must be from 1 second to 1 year, with no negative part"),
				 errdetail("Got %s.", DatumGetCString(DirectFunctionCall1(interval_out, value))),
				 errhint("Every open group is checked once per its time_to_check.")));
}

/*
 * InsertGroup creates a group owned by the calling role; returns its id, or
 * 0 if the title is taken.
 */
static int64
InsertGroup(Datum title, Datum payload, bool payload_null, Datum time_to_check)
{
	NameData	owner;
	Datum		values[4] = {title, payload, time_to_check, NameGetDatum(&owner)};
	char		nulls[4] = {' ', payload_null ? 'n' : ' ', ' ', ' '};

	namestrcpy(&owner, GetUserNameFromId(GetUserId(), false));
	if (RunAsExtensionOwner(&insert_group_query, values, nulls) == 0)
		return 0;
	return SpiResultInt64(0, 1);
}

/* SQL-callable: jobtrack.create_group(title, payload, time_to_check) */
PG_FUNCTION_INFO_V1(jobtrack_create_group);
Datum
jobtrack_create_group(PG_FUNCTION_ARGS)
{
	int64		group_id = 0;
	Datum		title;

	CheckTitle(fcinfo);
	CheckTimeToCheck(fcinfo);

	SPI_connect();
	/* a taken title is refused before the insert, which would take an id */
	title = PG_GETARG_DATUM(0);
	if (RunSavedQuery(&group_by_title_query, &title, NULL) == 0)
		group_id = InsertGroup(title, PG_ARGISNULL(1) ? (Datum) 0 : PG_GETARG_DATUM(1),
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
 * GroupByTitle returns the id of the group with this title, or 0, and
 * holds the group's lock from then on, as create_job() does: the caller
 * usually adds a job to it next.  Should retention be deleting the group
 * right now, it waits for that, and finds the title free again.
 */
static int64
GroupByTitle(Datum title)
{
	int64		group_id;

	if (RunSavedQuery(&group_by_title_query, &title, NULL) == 0)
		return 0;
	group_id = SpiResultInt64(0, 1);
	if (LockGroupForJobs(group_id, true) != LOCKACQUIRE_NOT_AVAIL)
		return group_id;
	(void) LockGroupForJobs(group_id, false);
	CheckGroupStillThere(group_id);
	if (RunSavedQuery(&group_by_title_query, &title, NULL) == 0)
		return 0;
	return SpiResultInt64(0, 1);
}

/* SQL-callable: jobtrack.group_id(title), first-or-create */
PG_FUNCTION_INFO_V1(jobtrack_group_id);
Datum
jobtrack_group_id(PG_FUNCTION_ARGS)
{
	Datum		title;
	int64		group_id = 0;

	CheckTitle(fcinfo);
	title = PG_GETARG_DATUM(0);
	SPI_connect();
	group_id = GroupByTitle(title);
	if (group_id == 0)
		group_id = InsertGroup(title, (Datum) 0, true, IntervalLiteral("1 minute"));
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
