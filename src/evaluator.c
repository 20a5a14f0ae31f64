/*-------------------------------------------------------------------------
 *
 * evaluator.c
 *		The group evaluator: one pass of check_groups().
 *
 * A group is pending until one of its jobs starts or finishes, running
 * after that, and completed when it has jobs and all of them are finished.
 * A job added to a completed group, or a retry of one of its jobs, reopens
 * it: run grows by one and the group is pending again.
 *
 * Job writers never touch a group's row.  Their transaction inserts a
 * jobtrack.group_change row (job_record.c, group_change.c) saying which job of which group
 * moved from which status to which.  A pass drains those rows with DELETE
 * ... RETURNING and, per group:
 *
 *	- adds the status deltas to the group's counts (jobtrack.group_count),
 *	  so a pass costs what changed, never the size of the group;
 *	- reopens a completed group if a job entered a not-finished status
 *	  from a finished one or from nowhere;
 *	- moves a pending group to running if any job moved to started or to a
 *	  finished status (a row inserted that way, as a restore does, counts
 *	  only through the counts), and a running group to completed if every
 *	  job is finished, raising
 *	  group.started and group.completed in that order, both even when all
 *	  of it happened between two passes.
 *
 * The drained rows, the counts, the groups' new statuses and their events
 * are written in one transaction, so each change is applied exactly once: a
 * crash or error before the commit leaves the rows to drain again.  Every
 * evaluator (the worker, a manual or pg_cron check_groups(),
 * update_status_running()) first takes one transaction-level lock that no
 * SQL function can take, so passes are serialized, event ids follow commit
 * order, and no role can stop the evaluator by holding its lock.
 *
 * A pass runs in a subtransaction.  If it fails, every group is evaluated
 * again on its own, each in a subtransaction of its own; a group that still
 * fails is set aside in jobtrack.group_failure (its error logged once and
 * shown in jobtrack.stats), its changes are kept, and it is retried with a
 * growing delay, while every other group's events still arrive.
 *
 * A pass reads and writes all its groups with one statement each (arrays in,
 * rows out), because the worker runs a pass after nearly every commit that
 * touched a group and its cost competes with the writers for the CPU.  For
 * the same reason these statements are planned once, with plans that suit
 * any number of groups (generic_plan, see spi_util.c).
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/evaluator.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "citus.h"
#include "evaluator.h"
#include "events.h"
#include "spi_util.h"
#include "status.h"
#include "wakeup.h"

/* the evaluator's lock: "jobt" and "rack" in ASCII, on a lock tag SQL cannot build */
#define EVALUATOR_LOCK_KEY1 0x6a6f6274
#define EVALUATOR_LOCK_KEY2 0x7261636b

/* a group set aside is retried after 2^failures seconds, at most this many */
#define RETRY_MAX_SECONDS 3600

static const char *const GroupStatusNames[] = {"pending", "running", "completed"};

/* one group in a pass: what changed, what it was and what it becomes */
typedef struct GroupWork
{
	int64		group_id;
	int64		deltas[JOB_STATUS_COUNT];
	bool		reopened;		/* a job entered a not-finished status anew */
	bool		active;			/* a job moved to started or a finished status */
	bool		due;			/* checked on schedule */
	bool		manual_start;	/* update_status_running() asked for running */
	TimestampTz changed_at;		/* the latest change, for latency figures */
	bool		exists;
	bool		has_counts;		/* group_count has a row for it */
	GroupStatus status;
	int32		run;
	int64		counts[JOB_STATUS_COUNT];
	bool		status_changed;
	bool		recount;		/* truth holds its counts, read from the jobs */
	int64		truth[JOB_STATUS_COUNT];
} GroupWork;

/* what one pass was asked for and what it did */
typedef struct PassRequest
{
	int64		manual_group;	/* update_status_running()'s group, or 0 */
	GroupStatus manual_status;	/* that group's status after the pass */
	int			events;			/* events raised */
	bool		current;		/* the schema is 1.2's, not 1.1's */
	bool		recount;		/* recount_groups(): counts from the jobs */
	int64		recount_group;	/* the group to recount, or 0 for all */
	int			due_limit;		/* the most groups checked on schedule; 0: all due */
	bool		set_aside;		/* a group is set aside: filter such groups out */
	bool		incremental;	/* the worker's: drain from its change block */
	BlockNumber drain_from;		/* the block of group_change the drain reads from */
	Snapshot	drain_snapshot; /* the snapshot it reads, or InvalidSnapshot */
	TransactionId drain_xmin;	/* that snapshot's xmin, after the pass */
} PassRequest;

/*
 * A group set aside after its evaluation failed is left alone until its
 * retry time: its changes wait, and it is not due.  A pass's drain and due
 * statements filter these groups out only while a group is set aside;
 * otherwise it runs their "plain" twins, with no filter.  Planned once per
 * session, the filter was a join, and the generic plan of a worker whose
 * database had run a while made it a nested loop that scanned the empty
 * group_failure anew for every change drained and every group due, each
 * scan asking the kernel for the table's size.
 */
#define NOT_SET_ASIDE(group_id, at) \
	" NOT EXISTS (SELECT 1 FROM jobtrack.group_failure f" \
	"   WHERE f.group_id OPERATOR(pg_catalog.=) " group_id " AND f.retry_at OPERATOR(pg_catalog.>) " at ")"

/*
 * Changes of a group set aside are left alone until its retry time.  A row
 * restored from a dump (restored) says what moved before the dump was taken:
 * it adds to a group's flags, but not to its counts, which the restored jobs
 * rebuild.  It waits until its group's row is restored, and, unless it says
 * a job was deleted, until the group has counts: a dump loads job_group
 * before job_status, and a pass in between took the flags of a group with
 * no jobs yet, and raised its events with every count 0.  The jobs of a
 * group come in one COPY, so the first counts a pass sees are all of them.
 */
#define DRAIN_SQL(filter) DRAIN_FROM( \
	"  WHERE (NOT c.restored OR (EXISTS (SELECT 1 FROM jobtrack.job_group g" \
	"    WHERE g.id OPERATOR(pg_catalog.=) c.group_id) AND (c.new_status IS NULL" \
	"    OR EXISTS (SELECT 1 FROM jobtrack.group_count k" \
	"     WHERE k.group_id OPERATOR(pg_catalog.=) c.group_id)))) AND" filter, "restored")
#define DRAIN_NOT_SET_ASIDE NOT_SET_ASIDE("c.group_id", "$1")
/* the same on a 1.1 schema, which has no group_failure and no restored rows */
#define DRAIN_SQL_1_1 DRAIN_FROM(" WHERE $1 IS NOT NULL", "false AS restored")
#define DRAIN_FROM(where, restored) \
	"WITH drained AS (DELETE FROM jobtrack.group_change c" where \
	"  RETURNING group_id, old_status, new_status, created_at, " restored ")" \
	" SELECT group_id," \
	DELTA("queued") DELTA("delayed") DELTA("started") DELTA("paused") DELTA("stuck") \
	DELTA("succeeded") DELTA("failed") DELTA("cancelled") \
	"  pg_catalog.bool_or(new_status OPERATOR(pg_catalog.<) 'succeeded'" \
	"    AND (old_status IS NULL OR old_status OPERATOR(pg_catalog.>=) 'succeeded'))," \
	"  pg_catalog.bool_or(old_status IS NOT NULL AND (new_status OPERATOR(pg_catalog.=) 'started'" \
	"    OR new_status OPERATOR(pg_catalog.>=) 'succeeded'))," \
	"  pg_catalog.max(created_at)" \
	" FROM drained GROUP BY group_id"
#define DELTA(status) \
	"  pg_catalog.count(*) FILTER (WHERE NOT restored AND new_status OPERATOR(pg_catalog.=) '" status "')" \
	" OPERATOR(pg_catalog.-) pg_catalog.count(*) FILTER (WHERE NOT restored AND old_status OPERATOR(pg_catalog.=) '" status "'),"

static SavedQuery drain_changes_query = {
	DRAIN_SQL(DRAIN_NOT_SET_ASIDE), 1, {TIMESTAMPTZOID}, false, true
};

/* $1 is unused, so that both drains take the same arguments */
static SavedQuery drain_changes_plain_query = {
	DRAIN_SQL(" $1 IS NOT NULL"), 1, {TIMESTAMPTZOID}, false, true
};

/*
 * The worker's drain reads group_change from the lowest block written by a
 * commit that its snapshot may see (wakeup.c), a TID range scan.  $2 is
 * that block's first TID.
 */
static SavedQuery drain_changes_from_query = {
	DRAIN_SQL(" c.ctid OPERATOR(pg_catalog.>=) $2 AND $1 IS NOT NULL"),
	2, {TIMESTAMPTZOID, TIDOID}, false, true
};

static SavedQuery drain_group_query = {
	DRAIN_SQL(DRAIN_NOT_SET_ASIDE " AND c.group_id OPERATOR(pg_catalog.=) $2"),
	2, {TIMESTAMPTZOID, INT8OID}, false, true
};

static SavedQuery drain_changes_1_1_query = {
	DRAIN_SQL_1_1, 1, {TIMESTAMPTZOID}, false, true
};

#define DUE_FROM(and) \
	"SELECT g.id FROM jobtrack.job_group g" \
	" WHERE g.status OPERATOR(pg_catalog.<>) 'completed' AND g.next_check_at OPERATOR(pg_catalog.<=) $1" \
	and " ORDER BY g.next_check_at LIMIT $2"
#define DUE_SQL DUE_FROM(" AND" NOT_SET_ASIDE("g.id", "$1"))

static SavedQuery due_groups_query = {
	DUE_SQL, 2, {TIMESTAMPTZOID, INT8OID}, false, true
};

/* with no group set aside, or on a 1.1 schema, which has no group_failure */
static SavedQuery due_groups_plain_query = {
	DUE_FROM(""), 2, {TIMESTAMPTZOID, INT8OID}, false, true
};

/*
 * When the next pass is due: the earliest check of an open group that is
 * not set aside, or the earliest retry of one that is.  A set-aside group
 * is not checked until its retry, so its check time stays in the past, and
 * counting it would make every pass due again at once.  ORDER BY ... LIMIT
 * 1, not min(): with the anti-join, min() would read every open group
 * where this reads the due index up to the first group not set aside.
 */
static SavedQuery next_due_query = {
	"SELECT LEAST((SELECT g.next_check_at FROM jobtrack.job_group g"
	"   WHERE g.status OPERATOR(pg_catalog.<>) 'completed' AND" NOT_SET_ASIDE("g.id", "$1")
	"   ORDER BY g.next_check_at LIMIT 1),"
	"  (SELECT pg_catalog.min(f.retry_at) FROM jobtrack.group_failure f"
	"   WHERE f.retry_at OPERATOR(pg_catalog.>) $1))",
	1, {TIMESTAMPTZOID}, false, true
};

/* the same on a 1.1 schema, which sets no group aside */
static SavedQuery next_due_1_1_query = {
	"SELECT pg_catalog.min(next_check_at) FROM jobtrack.job_group"
	" WHERE status OPERATOR(pg_catalog.<>) 'completed' AND $1 IS NOT NULL",
	1, {TIMESTAMPTZOID}, false, true
};

/* the groups a careful pass evaluates one by one: changed or due, and not set aside */
static SavedQuery careful_groups_query = {
	"SELECT group_id, pg_catalog.bool_or(due) FROM ("
	" SELECT DISTINCT c.group_id, false AS due FROM jobtrack.group_change c"
	"  WHERE" NOT_SET_ASIDE("c.group_id", "$1")
	" UNION ALL SELECT d.id, true FROM (" DUE_SQL ") d) v"
	" GROUP BY group_id ORDER BY group_id",
	2, {TIMESTAMPTZOID, INT8OID}, false, true
};

/*
 * recount_groups(): the groups' counts read from their jobs, and the flags of
 * their recorded changes, drained in the same statement so that one
 * snapshot sees each committed change either in both or in neither.
 */
#define TRUTH(status) \
	"  pg_catalog.count(*) FILTER (WHERE j.status OPERATOR(pg_catalog.=) '" status "'),"
static SavedQuery recount_query = {
	"WITH targets AS (SELECT g.id FROM jobtrack.job_group g"
	"   WHERE $1 IS NULL OR g.id OPERATOR(pg_catalog.=) $1),"
	" drained AS (DELETE FROM jobtrack.group_change c USING targets t"
	"   WHERE c.group_id OPERATOR(pg_catalog.=) t.id"
	"   RETURNING c.group_id, c.old_status, c.new_status, c.created_at),"
	" flags AS (SELECT group_id,"
	"  pg_catalog.bool_or(new_status OPERATOR(pg_catalog.<) 'succeeded'"
	"    AND (old_status IS NULL OR old_status OPERATOR(pg_catalog.>=) 'succeeded')) AS reopened,"
	"  pg_catalog.bool_or(old_status IS NOT NULL AND (new_status OPERATOR(pg_catalog.=) 'started'"
	"    OR new_status OPERATOR(pg_catalog.>=) 'succeeded')) AS active,"
	"  pg_catalog.max(created_at) AS changed_at"
	"  FROM drained GROUP BY group_id),"
	" truth AS (SELECT j.group_id,"
	TRUTH("queued") TRUTH("delayed") TRUTH("started") TRUTH("paused") TRUTH("stuck")
	TRUTH("succeeded") TRUTH("failed") TRUTH("cancelled")
	"  true FROM jobtrack.job_status j JOIN targets t ON j.group_id OPERATOR(pg_catalog.=) t.id"
	"  GROUP BY j.group_id)"
	" SELECT t.id, f.reopened, f.active, f.changed_at, tr.* FROM targets t"
	" LEFT JOIN flags f ON f.group_id OPERATOR(pg_catalog.=) t.id"
	" LEFT JOIN truth tr ON tr.group_id OPERATOR(pg_catalog.=) t.id"
	" ORDER BY t.id",
	1, {INT8OID}, false
};

static SavedQuery any_failure_query = {
	"SELECT 1 FROM jobtrack.group_failure LIMIT 1", 0, {InvalidOid}, false
};

/*
 * AnyGroupSetAside says whether a group is set aside (a 1.1 schema, not
 * current, has no group_failure).  Under the evaluator's lock the answer
 * holds for the pass: only an evaluator sets a group aside.
 */
static bool
AnyGroupSetAside(bool current)
{
	return current && RunSavedQuery(&any_failure_query, NULL, NULL) > 0;
}

static SavedQuery forget_failures_query = {
	"DELETE FROM jobtrack.group_failure WHERE group_id OPERATOR(pg_catalog.=) ANY ($1)",
	1, {INT8ARRAYOID}, false, true
};

static SavedQuery record_failure_query = {
	"INSERT INTO jobtrack.group_failure AS f"
	"  (group_id, failures, first_failed_at, last_failed_at, retry_at, sqlstate, error)"
	" VALUES ($1, 1, $2, $2, $2 OPERATOR(pg_catalog.+) '2 seconds'::pg_catalog.interval, $3, $4)"
	" ON CONFLICT (group_id) DO UPDATE SET failures = f.failures OPERATOR(pg_catalog.+) 1,"
	"  last_failed_at = $2, sqlstate = $3, error = $4,"
	"  retry_at = $2 OPERATOR(pg_catalog.+) pg_catalog.make_interval(secs => LEAST("
	"   pg_catalog.power(2::pg_catalog.float8, (f.failures OPERATOR(pg_catalog.+) 1)::pg_catalog.float8),"
	"   " CppAsString2(RETRY_MAX_SECONDS) "::pg_catalog.float8))"
	" RETURNING failures",
	4, {INT8OID, TIMESTAMPTZOID, TEXTOID, TEXTOID}, false
};

/*
 * Counts are kept for a group id whether or not its group row is visible
 * yet (a parallel restore may load jobs first), so no change is lost.
 */
static SavedQuery load_groups_query = {
	"SELECT v.id, g.status::pg_catalog.text, g.run,"
	"  c.queued, c.delayed, c.started, c.paused, c.stuck, c.succeeded, c.failed, c.cancelled"
	" FROM pg_catalog.unnest($1) AS v(id)"
	" LEFT JOIN jobtrack.job_group g ON g.id OPERATOR(pg_catalog.=) v.id"
	" LEFT JOIN jobtrack.group_count c ON c.group_id OPERATOR(pg_catalog.=) v.id"
	" ORDER BY v.id",
	1, {INT8ARRAYOID}, false, true
};

/*
 * The counts of groups that have a group_count row are updated; only the
 * others take the upsert, whose DO UPDATE locks each existing row, and
 * writes that lock to the WAL, before it updates the row.
 */
#define COUNT_ARRAYS \
	" ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3)," \
	"  pg_catalog.unnest($4), pg_catalog.unnest($5), pg_catalog.unnest($6), pg_catalog.unnest($7)," \
	"  pg_catalog.unnest($8), pg_catalog.unnest($9))"
#define COUNT_ARGTYPES \
	{INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID, \
	INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID}

static SavedQuery update_counts_query = {
	"UPDATE jobtrack.group_count c SET queued = v.queued, delayed = v.delayed,"
	"  started = v.started, paused = v.paused, stuck = v.stuck,"
	"  succeeded = v.succeeded, failed = v.failed, cancelled = v.cancelled"
	" FROM" COUNT_ARRAYS
	"  AS v(group_id, queued, delayed, started, paused, stuck, succeeded, failed, cancelled)"
	" WHERE c.group_id OPERATOR(pg_catalog.=) v.group_id",
	9, COUNT_ARGTYPES, false, true
};

static SavedQuery insert_counts_query = {
	"INSERT INTO jobtrack.group_count AS c"
	"  (group_id, queued, delayed, started, paused, stuck, succeeded, failed, cancelled)"
	" SELECT * FROM" COUNT_ARRAYS
	" ON CONFLICT (group_id) DO UPDATE SET queued = EXCLUDED.queued, delayed = EXCLUDED.delayed,"
	"  started = EXCLUDED.started, paused = EXCLUDED.paused, stuck = EXCLUDED.stuck,"
	"  succeeded = EXCLUDED.succeeded, failed = EXCLUDED.failed, cancelled = EXCLUDED.cancelled",
	9, COUNT_ARGTYPES, false, true
};

/*
 * changed: the status changed in this pass, so started_at and completed_at
 * follow it.  The next check is a second away at least, whatever a plain
 * UPDATE put in time_to_check: a check time in the past would make every
 * pass due again at once.
 */
static SavedQuery save_groups_query = {
	"UPDATE jobtrack.job_group g SET status = v.status::jobtrack.group_status, run = v.run,"
	"  started_at = CASE WHEN NOT v.changed THEN g.started_at"
	"    WHEN v.status OPERATOR(pg_catalog.=) 'pending' THEN NULL"
	"    WHEN v.status OPERATOR(pg_catalog.=) 'running' THEN $5"
	"    ELSE COALESCE(g.started_at, $5) END,"
	"  completed_at = CASE WHEN NOT v.changed THEN g.completed_at"
	"    WHEN v.status OPERATOR(pg_catalog.=) 'completed' THEN $5 ELSE NULL END,"
	"  checked_at = $5,"
	"  next_check_at = GREATEST($5 OPERATOR(pg_catalog.+) g.time_to_check,"
	"   $5 OPERATOR(pg_catalog.+) '1 second'::pg_catalog.interval)"
	" FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3),"
	"  pg_catalog.unnest($4)) AS v(id, status, run, changed)"
	" WHERE g.id OPERATOR(pg_catalog.=) v.id",
	5, {INT8ARRAYOID, TEXTARRAYOID, INT4ARRAYOID, BOOLARRAYOID, TIMESTAMPTZOID}, false, true
};

static SavedQuery title_query = {
	"SELECT title FROM jobtrack.job_group WHERE id OPERATOR(pg_catalog.=) $1",
	1, {INT8OID}, false
};

/* SetEvaluatorTag sets the tag of this database's evaluator lock. */
static void
SetEvaluatorTag(LOCKTAG *tag)
{
	tag->locktag_field1 = MyDatabaseId;
	tag->locktag_field2 = EVALUATOR_LOCK_KEY1;
	tag->locktag_field3 = EVALUATOR_LOCK_KEY2;
	tag->locktag_field4 = 0;
	tag->locktag_type = LOCKTAG_USERLOCK;
	tag->locktag_lockmethodid = USER_LOCKMETHOD;
}

/* LockEvaluatorTag takes the evaluator's lock until the end of the transaction. */
void
LockEvaluatorTag(void)
{
	LOCKTAG		tag;

	SetEvaluatorTag(&tag);
	(void) LockAcquire(&tag, ExclusiveLock, false, false);
}

/*
 * TryLockEvaluator takes the evaluator's lock, for the worker, only if no
 * other evaluator holds it.  A pass run from SQL (check_groups() and its
 * kin) holds it to the end of its caller's transaction, which the caller
 * may keep open: the worker must not wait for it with a snapshot taken,
 * nor deaf to its signals, and tries again shortly instead.
 */
bool
TryLockEvaluator(void)
{
	LOCKTAG		tag;

	SetEvaluatorTag(&tag);
	return LockAcquire(&tag, ExclusiveLock, false, true) != LOCKACQUIRE_NOT_AVAIL;
}

/*
 * LockEvaluator serializes every evaluator of the database until commit;
 * the snapshot of each statement after it sees every earlier pass.  The
 * lock's tag is a user lock, a kind that no SQL function can take, so no
 * role can hold up the evaluator, whatever key it tries.
 */
static void
LockEvaluator(void)
{
	if (IsolationUsesXactSnapshot())
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TRANSACTION_STATE),
				 errmsg("jobtrack groups can only be evaluated in a READ COMMITTED transaction"),
				 errdetail("A snapshot taken before waiting for another evaluator would miss its changes."),
				 errhint("Run it in its own transaction, or SET TRANSACTION ISOLATION LEVEL READ COMMITTED.")));
	LockEvaluatorTag();
}

/* CompareGroupWork orders groups by id. */
static int
CompareGroupWork(const void *a, const void *b)
{
	int64		x = ((const GroupWork *) a)->group_id;
	int64		y = ((const GroupWork *) b)->group_id;

	return (x > y) - (x < y);
}

/* BoolColumn returns a boolean column of the last result, false for NULL. */
static bool
BoolColumn(uint64 row, int column)
{
	bool		isnull;
	Datum		value = SpiResultDatum(row, column, &isnull);

	return !isnull && DatumGetBool(value);
}

/* DrainQuery chooses the statement that drains the changes of a pass. */
static SavedQuery *
DrainQuery(const PassRequest *req, int64 only_group)
{
	/* a careful pass, the only caller with one group, runs on a current schema only */
	if (only_group > 0)
		return &drain_group_query;
	if (!req->current)
		return &drain_changes_1_1_query;
	if (req->set_aside)
		return &drain_changes_query;
	return req->drain_from == 0 ? &drain_changes_plain_query : &drain_changes_from_query;
}

/*
 * DrainChanges takes every recorded change; returns the groups they touch,
 * with room for one more (update_status_running()'s group).
 */
static GroupWork *
DrainChanges(int *count, TimestampTz now, int64 only_group, const PassRequest *req)
{
	SavedQuery *query = DrainQuery(req, only_group);
	Datum		values[2] = {TimestampTzGetDatum(now), Int64GetDatum(only_group)};
	/* the drain snapshot is the batch's; a careful pass's drains take their own */
	Snapshot	snapshot = only_group > 0 ? InvalidSnapshot : req->drain_snapshot;
	ItemPointerData from;
	int			nest = -1;
	uint64		n;
	GroupWork  *work;
	uint64		row;
	bool		isnull;
	int			i;

	if (query == &drain_changes_from_query)
	{
		/*
		 * Planned once, often while the table is empty: a seq scan would
		 * then look as cheap as the range, and read every block for good.
		 */
		nest = NewGUCNestLevel();
		(void) set_config_option("enable_seqscan", "off", PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
		ItemPointerSet(&from, req->drain_from, 0);
		values[1] = PointerGetDatum(&from);
	}
	n = RunSavedQueryInSnapshot(query, values, NULL, snapshot);
	if (nest >= 0)
		AtEOXact_GUC(true, nest);
	work = palloc0(sizeof(GroupWork) * (n + 1));
	for (row = 0; row < n; row++)
	{
		GroupWork  *w = &work[row];

		w->group_id = SpiResultInt64(row, 1);
		for (i = 0; i < JOB_STATUS_COUNT; i++)
			w->deltas[i] = SpiResultInt64(row, 2 + i);
		w->reopened = BoolColumn(row, 2 + JOB_STATUS_COUNT);
		w->active = BoolColumn(row, 3 + JOB_STATUS_COUNT);
		w->changed_at = DatumGetTimestampTz(SpiResultDatum(row, 4 + JOB_STATUS_COUNT, &isnull));
	}
	*count = (int) n;
	return work;
}

/*
 * DueQueryArgs sets the arguments of a query that selects due groups: now,
 * and the pass's limit, NULL (no limit) when it is 0; returns their nulls.
 */
static const char *
DueQueryArgs(Datum *values, TimestampTz now, const PassRequest *req)
{
	values[0] = TimestampTzGetDatum(now);
	values[1] = Int64GetDatum(req->due_limit);
	return req->due_limit > 0 ? "  " : " n";
}

/*
 * AddDueGroups appends the groups due for a scheduled check, and returns the
 * array, grown by as many (zeroed), with room for one more still.  Grown here
 * rather than sized for a full pass's worth of due groups up front: zeroing
 * that much took a visible share of every pass under load, when next to
 * nothing is due.
 */
static GroupWork *
AddDueGroups(GroupWork *work, int *count, TimestampTz now, const PassRequest *req)
{
	Datum		values[2];
	int			drained = *count;
	const char *nulls = DueQueryArgs(values, now, req);
	uint64		n = RunSavedQuery(req->set_aside ? &due_groups_query : &due_groups_plain_query,
								  values, nulls);
	uint64		row;

	if (n == 0)
		return work;
	work = repalloc(work, sizeof(GroupWork) * (drained + n + 1));
	memset(&work[drained + 1], 0, sizeof(GroupWork) * n);

	/* sorted, so that each due group is looked for among the drained by bisection */
	qsort(work, drained, sizeof(GroupWork), CompareGroupWork);
	for (row = 0; row < n; row++)
	{
		GroupWork	key;
		GroupWork  *w;

		key.group_id = SpiResultInt64(row, 1);
		w = bsearch(&key, work, drained, sizeof(GroupWork), CompareGroupWork);
		if (w == NULL)
		{
			w = &work[(*count)++];
			w->group_id = key.group_id;
		}
		w->due = true;
	}
	return work;
}

/* Int64Array builds a bigint[] from one int64 field of each group. */
static Datum
Int64Array(const GroupWork *work, int count, size_t offset)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(count, 1));
	int			i;

	for (i = 0; i < count; i++)
		elems[i] = Int64GetDatum(*(const int64 *) ((const char *) &work[i] + offset));
	return PointerGetDatum(construct_array(elems, count, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/* LoadGroups reads status, run and counts of the groups, sorted by id. */
static void
LoadGroups(GroupWork *work, int count)
{
	Datum		ids;
	uint64		n;
	uint64		row;
	bool		isnull;
	int			i = 0;
	int			k;

	qsort(work, count, sizeof(GroupWork), CompareGroupWork);
	ids = Int64Array(work, count, offsetof(GroupWork, group_id));
	n = RunSavedQuery(&load_groups_query, &ids, NULL);
	for (row = 0; row < n; row++)
	{
		int64		id = SpiResultInt64(row, 1);
		Datum		status = SpiResultDatum(row, 2, &isnull);

		while (i < count && work[i].group_id < id)
			i++;
		if (i == count)
			break;
		work[i].exists = !isnull;
		if (!isnull)
		{
			work[i].status = GroupStatusFromName(TextDatumGetCString(status));
			work[i].run = DatumGetInt32(SpiResultDatum(row, 3, &isnull));
		}
		/* the count columns are NOT NULL: NULL means the group has no row yet */
		(void) SpiResultDatum(row, 4, &isnull);
		work[i].has_counts = !isnull;
		for (k = 0; k < JOB_STATUS_COUNT; k++)
		{
			Datum		c = SpiResultDatum(row, 4 + k, &isnull);

			work[i].counts[k] = isnull ? 0 : DatumGetInt64(c);
		}
	}
}

/* Total returns the number of jobs of a group. */
static int64
Total(const int64 *counts)
{
	int64		total = 0;
	int			i;

	for (i = 0; i < JOB_STATUS_COUNT; i++)
		total += counts[i];
	return total;
}

/* AllFinished is true when a group has jobs and every one is finished. */
static bool
AllFinished(const int64 *counts)
{
	int64		total = Total(counts);

	return total > 0 &&
		total == counts[JOB_SUCCEEDED] + counts[JOB_FAILED] + counts[JOB_CANCELLED];
}

/* ApplyDeltas adds a group's deltas of this pass to its counts. */
static void
ApplyDeltas(GroupWork *w)
{
	int			i;

	for (i = 0; i < JOB_STATUS_COUNT; i++)
		w->counts[i] += w->deltas[i];
}

/*
 * HasBegun says, from the counts alone, whether a pending group's run has
 * begun: a job is started or stuck, or, in the first run, any job is
 * finished.  In a later run, finished jobs may be the earlier run's, so
 * only moves seen in this pass count there: a run in which no job started
 * or finished (a job added to a completed group and deleted before it ran)
 * raises no event.
 */
static bool
HasBegun(const GroupWork *w)
{
	int64		finished = w->counts[JOB_SUCCEEDED] + w->counts[JOB_FAILED] + w->counts[JOB_CANCELLED];

	return w->counts[JOB_STARTED] + w->counts[JOB_STUCK] > 0 ||
		(w->run == 1 && finished > 0);
}

/* RaiseEvent raises one event of a group, reading its title only now. */
static void
RaiseEvent(const GroupWork *w, const char *event, TimestampTz now)
{
	GroupSnapshot group;
	Datum		id = Int64GetDatum(w->group_id);
	bool		isnull;

	if (RunSavedQuery(&title_query, &id, NULL) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("job group %lld was deleted while it was evaluated", (long long) w->group_id),
				 errhint("Delete groups only when the worker is stopped, or retry.")));
	group.id = w->group_id;
	group.run = w->run;
	group.title = TextDatumGetCString(SpiResultDatum(0, 1, &isnull));
	memcpy(group.counts, w->counts, sizeof(group.counts));
	RaiseGroupEvent(&group, event, now, w->changed_at);
}

/*
 * EvaluateGroup applies one group's changes, moves it along its states and
 * raises the events of each move; it returns the number of events raised.
 */
static int
EvaluateGroup(GroupWork *w, TimestampTz now)
{
	GroupStatus old_status = w->status;
	int32		old_run = w->run;
	int			events = 0;

	ApplyDeltas(w);

	/*
	 * A completed group reopens when it has an unfinished job, or when a job
	 * came back and also ran within this pass; one whose jobs were all
	 * deleted, or that got a job deleted before it ran, stays completed.
	 */
	if (w->status == GROUP_COMPLETED &&
		((w->reopened && w->active) || (Total(w->counts) > 0 && !AllFinished(w->counts))))
	{
		w->status = GROUP_PENDING;
		w->run++;
	}
	if (w->status == GROUP_PENDING && (w->active || w->manual_start || HasBegun(w)))
	{
		w->status = GROUP_RUNNING;
		RaiseEvent(w, "group.started", now);
		events++;
	}
	if (w->status == GROUP_RUNNING && AllFinished(w->counts))
	{
		w->status = GROUP_COMPLETED;
		RaiseEvent(w, "group.completed", now);
		events++;
	}
	w->status_changed = w->status != old_status || w->run != old_run;
	return events;
}

/* CountsChanged is true when any delta of a group is not zero. */
static bool
CountsChanged(const GroupWork *w)
{
	int			i;

	for (i = 0; i < JOB_STATUS_COUNT; i++)
		if (w->deltas[i] != 0)
			return true;
	return false;
}

/* WriteCounts writes the counts of n groups with one statement. */
static void
WriteCounts(SavedQuery *query, const GroupWork *groups, int n)
{
	Datum		values[1 + JOB_STATUS_COUNT];
	int			i;

	if (n == 0)
		return;
	values[0] = Int64Array(groups, n, offsetof(GroupWork, group_id));
	for (i = 0; i < JOB_STATUS_COUNT; i++)
		values[1 + i] = Int64Array(groups, n, offsetof(GroupWork, counts) + i * sizeof(int64));
	RunSavedQuery(query, values, NULL);
}

/*
 * SaveCounts writes the counts of the groups whose jobs changed: it updates
 * the rows there are and inserts the others.  An update that finds no row
 * is a group that housekeeping's retention deleted meanwhile, with its
 * counts; they stay deleted.  A recounted group gets its row even with
 * nothing counted: group retention deletes a group only by its counts, and
 * a group restored without a job has none until it is recounted.
 */
static void
SaveCounts(GroupWork *work, int count)
{
	/* groups with a row from the front, the others from the back */
	GroupWork  *changed = palloc(sizeof(GroupWork) * Max(count, 1));
	int			n_existing = 0;
	int			n_missing = 0;
	int			i;

	for (i = 0; i < count; i++)
	{
		if (!CountsChanged(&work[i]) &&
			(work[i].has_counts || !work[i].recount || !work[i].exists))
			continue;
		if (work[i].has_counts)
			changed[n_existing++] = work[i];
		else
			changed[count - 1 - n_missing++] = work[i];
	}
	WriteCounts(&update_counts_query, changed, n_existing);
	WriteCounts(&insert_counts_query, &changed[count - n_missing], n_missing);
}

/*
 * SaveGroups writes, in one statement, the groups whose status or run
 * changed or that were checked on schedule (which moves their next check).
 */
static void
SaveGroups(GroupWork *work, int count, TimestampTz now)
{
	Datum	   *ids = palloc(sizeof(Datum) * Max(count, 1));
	Datum	   *statuses = palloc(sizeof(Datum) * Max(count, 1));
	Datum	   *runs = palloc(sizeof(Datum) * Max(count, 1));
	Datum	   *changed = palloc(sizeof(Datum) * Max(count, 1));
	Datum		values[5];
	int			n = 0;
	int			i;

	for (i = 0; i < count; i++)
	{
		if (!work[i].exists || !(work[i].status_changed || work[i].due))
			continue;
		ids[n] = Int64GetDatum(work[i].group_id);
		statuses[n] = CStringGetTextDatum(GroupStatusNames[work[i].status]);
		runs[n] = Int32GetDatum(work[i].run);
		changed[n] = BoolGetDatum(work[i].status_changed);
		n++;
	}
	if (n == 0)
		return;
	values[0] = PointerGetDatum(construct_array(ids, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	values[1] = PointerGetDatum(construct_array(statuses, n, TEXTOID, -1, false, TYPALIGN_INT));
	values[2] = PointerGetDatum(construct_array(runs, n, INT4OID, 4, true, TYPALIGN_INT));
	values[3] = PointerGetDatum(construct_array(changed, n, BOOLOID, 1, true, TYPALIGN_CHAR));
	values[4] = TimestampTzGetDatum(now);
	RunSavedQuery(&save_groups_query, values, NULL);
}

/*
 * RecountDeltas sets a recounted group's deltas to what its jobs say.  The
 * changes behind them may be lost (a crash, a promotion) or never recorded
 * (triggers that did not fire), so what moved is read from the counts too,
 * as the recorded changes would have said it:
 *
 * - more jobs started, stuck or finished than before: a job ran, so the run
 *   was active;
 * - more jobs in any status than before: a job was added, or one moved,
 *   which a job of a completed group does only when it is retried.  Either
 *   reopens a completed group.  Fewer jobs and nothing more anywhere is a
 *   deletion, which reopens nothing.
 */
static void
RecountDeltas(GroupWork *w)
{
	int			k;

	for (k = 0; k < JOB_STATUS_COUNT; k++)
	{
		w->deltas[k] = w->truth[k] - w->counts[k];
		if (w->deltas[k] <= 0)
			continue;
		w->reopened = true;
		if (k == JOB_STARTED || k == JOB_STUCK || JobStatusIsFinished((JobStatus) k))
			w->active = true;
	}
}

/* EvaluateWork loads, evaluates and saves the groups of a pass; returns its events. */
static int
EvaluateWork(GroupWork *work, int count, TimestampTz now, PassRequest *req)
{
	int			events = 0;
	int			i;

	LoadGroups(work, count);
	for (i = 0; i < count; i++)
	{
		if (work[i].recount)
			RecountDeltas(&work[i]);
		if (!work[i].exists)
		{
			ApplyDeltas(&work[i]);
			continue;
		}
		events += EvaluateGroup(&work[i], now);
		if (work[i].group_id == req->manual_group)
			req->manual_status = work[i].status;
	}
	SaveCounts(work, count);
	SaveGroups(work, count, now);
	return events;
}

/* AddManualGroup marks the group update_status_running() asked for. */
static void
AddManualGroup(GroupWork *work, int *count, int64 group_id)
{
	int			i;

	if (group_id <= 0)
		return;
	for (i = 0; i < *count && work[i].group_id != group_id; i++)
		;
	if (i == *count)
		work[(*count)++].group_id = group_id;
	work[i].manual_start = true;
}

/* ForgetFailures clears the set-aside record of groups that were evaluated. */
static void
ForgetFailures(GroupWork *work, int count, const PassRequest *req)
{
	Datum		ids;

	if (count == 0 || !req->set_aside)
		return;
	ids = Int64Array(work, count, offsetof(GroupWork, group_id));
	RunSavedQuery(&forget_failures_query, &ids, NULL);
}

/*
 * DrainAndEvaluate drains the recorded changes (of one group, or of all when
 * only_group is 0, adding the groups due on schedule), evaluates them and
 * saves the result.
 */
static void
DrainAndEvaluate(PassRequest *req, int64 only_group, bool due)
{
	TimestampTz started = GetCurrentTimestamp();
	GroupWork  *work;
	int			count;
	TimestampTz now;

	work = DrainChanges(&count, started, only_group, req);
	/* taken after the drain, so no event is stamped before the change it follows */
	now = GetCurrentTimestamp();
	if (only_group == 0)
	{
		work = AddDueGroups(work, &count, now, req);
		AddManualGroup(work, &count, req->manual_group);
	}
	else
	{
		if (count == 0)
			work[count++].group_id = only_group;
		work[0].due = due;
		work[0].manual_start = only_group == req->manual_group;
	}
	req->events += EvaluateWork(work, count, now, req);
	ForgetFailures(work, count, req);
}

/*
 * RecountAndEvaluate sets the counts of one group, or of all, to what their
 * jobs say, takes their recorded changes for what moved, and evaluates them.
 */
static void
RecountAndEvaluate(PassRequest *req)
{
	Datum		group = Int64GetDatum(req->recount_group);
	char		nulls[1] = {req->recount_group > 0 ? ' ' : 'n'};
	uint64		n = RunSavedQuery(&recount_query, &group, nulls);
	GroupWork  *work = palloc0(sizeof(GroupWork) * (n + 1));
	uint64		row;
	bool		isnull;
	int			k;

	for (row = 0; row < n; row++)
	{
		GroupWork  *w = &work[row];
		Datum		changed_at = SpiResultDatum(row, 4, &isnull);

		w->group_id = SpiResultInt64(row, 1);
		w->reopened = BoolColumn(row, 2);
		w->active = BoolColumn(row, 3);
		w->changed_at = isnull ? 0 : DatumGetTimestampTz(changed_at);
		w->recount = true;
		for (k = 0; k < JOB_STATUS_COUNT; k++)
		{
			Datum		c = SpiResultDatum(row, 6 + k, &isnull);

			w->truth[k] = isnull ? 0 : DatumGetInt64(c);
		}
	}
	req->events += EvaluateWork(work, (int) n, GetCurrentTimestamp(), req);
	ForgetFailures(work, (int) n, req);
}

/* BatchPass evaluates every changed and due group with one statement each. */
static void
BatchPass(void *arg)
{
	PassRequest *req = (PassRequest *) arg;

	if (req->recount)
		RecountAndEvaluate(req);
	else
		DrainAndEvaluate(req, 0, false);
}

/* the group a careful pass evaluates on its own */
typedef struct OneGroup
{
	PassRequest *req;
	int64		group_id;
	bool		due;
} OneGroup;

/* GroupPass evaluates one group; the careful pass runs it in a subtransaction. */
static void
GroupPass(void *arg)
{
	OneGroup   *one = (OneGroup *) arg;

	DrainAndEvaluate(one->req, one->group_id, one->due);
}

/*
 * SetAside records that a group's evaluation failed, to be retried after a
 * growing delay, and logs the error the first time.
 */
static void
SetAside(int64 group_id, ErrorData *edata)
{
	Datum		values[4];
	bool		isnull;
	int32		failures;

	values[0] = Int64GetDatum(group_id);
	values[1] = TimestampTzGetDatum(GetCurrentTimestamp());
	values[2] = CStringGetTextDatum(unpack_sql_state(edata->sqlerrcode));
	values[3] = CStringGetTextDatum(edata->message ? edata->message : "unknown error");
	RunSavedQuery(&record_failure_query, values, NULL);
	failures = DatumGetInt32(SpiResultDatum(0, 1, &isnull));
	if (failures == 1)
		ereport(WARNING,
				(errcode(edata->sqlerrcode),
				 errmsg("jobtrack set job group %lld aside: %s", (long long) group_id, edata->message),
				 errdetail("Its changes are kept; it is retried with a growing delay, and every other group is evaluated as usual."),
				 errhint("See jobtrack.group_failure.")));
}

/*
 * CarefulPass evaluates the changed and due groups one by one, after a
 * batch pass failed, and sets aside each group that fails on its own.
 */
static void
CarefulPass(PassRequest *req)
{
	Datum		values[2];
	const char *nulls = DueQueryArgs(values, GetCurrentTimestamp(), req);
	uint64		n = RunSavedQuery(&careful_groups_query, values, nulls);
	OneGroup   *groups = palloc0(sizeof(OneGroup) * (n + 1));
	int			count = 0;
	uint64		row;
	int			i;

	for (row = 0; row < n; row++)
	{
		groups[count].group_id = SpiResultInt64(row, 1);
		groups[count].due = BoolColumn(row, 2);
		count++;
	}
	if (req->manual_group > 0)
	{
		for (i = 0; i < count && groups[i].group_id != req->manual_group; i++)
			;
		if (i == count)
			groups[count++].group_id = req->manual_group;
	}
	/* it sets groups aside, and clears the record of each group it evaluates */
	req->set_aside = true;
	JobtrackBeginPass();
	for (i = 0; i < count; i++)
	{
		ErrorData  *edata;

		groups[i].req = req;
		if (RunInSubTransaction(GroupPass, &groups[i], &edata))
			continue;
		if (groups[i].group_id == req->manual_group || !IsDataError(edata))
			ReThrowError(edata);
		SetAside(groups[i].group_id, edata);
	}
}

/* a drained group_change of at least this many pages (1 MB) is emptied */
#define SHRINK_CHANGES_PAGES 128

static SavedQuery any_change_query = {
	"SELECT 1 FROM jobtrack.group_change LIMIT 1", 0, {InvalidOid}, false
};

static SavedQuery truncate_changes_query = {
	"TRUNCATE jobtrack.group_change", 0, {InvalidOid}, false
};

/*
 * ShrinkDrainedChanges empties group_change's file after a pass drained a
 * large one.  After one statement changed many jobs, the drained rows stay
 * behind as dead rows that every later pass scans, until autovacuum comes;
 * a TRUNCATE drops them at once.
 *
 * It never makes a writer wait for it to be granted: the lock is taken only
 * when nobody holds any, and then held to the commit that follows the pass
 * at once (so not inside a caller's transaction block).  A fresh snapshot,
 * taken under the lock, must see no row left: a change set aside, or one
 * committed since the drain, keeps the table.  Under REPEATABLE READ the
 * snapshot would be the transaction's, older than the lock, so nothing is
 * done there.
 */
static void
ShrinkDrainedChanges(void)
{
	Oid			relid = JobtrackRelationOid("group_change");
	Relation	rel;
	BlockNumber pages;

	if (IsolationUsesXactSnapshot() || (!IsBackgroundWorker && IsTransactionBlock()))
		return;
	rel = table_open(relid, AccessShareLock);
	pages = RelationGetNumberOfBlocks(rel);
	table_close(rel, AccessShareLock);
	if (pages < SHRINK_CHANGES_PAGES || !ConditionalLockRelationOid(relid, AccessExclusiveLock))
		return;
	if (RunSavedQuery(&any_change_query, NULL, NULL) == 0)
		RunSavedQuery(&truncate_changes_query, NULL, NULL);
	else
		UnlockRelationOid(relid, AccessExclusiveLock);
}

/*
 * TakeClusterChanges moves the changes the nodes of a Citus cluster
 * recorded into group_change, on the coordinator (citus.c), and returns
 * true.  On a worker node nothing is evaluated: its jobtrack worker
 * returns false, and check_groups() and its kin raise an error.  A
 * recount first keeps the writers out with a lock Citus takes on every
 * node, so that it reads each job and its changes at one moment.
 */
static bool
TakeClusterChanges(PassRequest *req)
{
	switch (JobtrackNodeRole())
	{
		case JOBTRACK_LOCAL:
			return true;
		case JOBTRACK_COORDINATOR:
			/* the rows moved in below lower no block: the drain reads them all */
			req->incremental = false;
			if (req->recount)
				(void) SPI_execute("LOCK TABLE jobtrack.job_status IN SHARE MODE", false, 0);
			(void) MoveOutboxChanges();
			return true;
		case JOBTRACK_WORKER:
			if (IsBackgroundWorker)
				return false;
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("jobtrack groups are evaluated on the Citus coordinator only"),
					 errdetail("This is a worker node of a cluster where jobtrack is distributed."),
					 errhint("Call the function on the coordinator.")));
	}
	return false;
}

/*
 * RunPass evaluates the drained and due groups (and, with manual_group > 0,
 * marks that group to be started); returns the number of events raised.
 */
static int
RunPass(PassRequest *req)
{
	ErrorData  *edata;

	LockEvaluator();
	JobtrackBeginPass();
	EventsBeginPass();
	SPI_connect();
	req->current = JobtrackSchemaIsCurrent();
	if (!TakeClusterChanges(req))
	{
		SPI_finish();
		return 0;
	}
	req->set_aside = AnyGroupSetAside(req->current);
	if (req->incremental && req->current && !req->set_aside)
	{
		/* the drain's snapshot first, then the block (wakeup.c) */
		req->drain_snapshot = RegisterSnapshot(GetTransactionSnapshot());
		req->drain_from = WorkerDrainFrom();
	}
	if (!RunInSubTransaction(BatchPass, req, &edata))
	{
		/* a 1.1 schema has nowhere to set a group aside; a recount reports its error */
		if (!IsDataError(edata) || !req->current || req->recount)
			ReThrowError(edata);
		req->events = 0;
		req->manual_status = (GroupStatus) -1;
		CarefulPass(req);
	}
	if (req->current)
		ShrinkDrainedChanges();
	SPI_finish();
	if (req->drain_snapshot != InvalidSnapshot)
	{
		req->drain_xmin = req->drain_snapshot->xmin;
		UnregisterSnapshot(req->drain_snapshot);
		req->drain_snapshot = InvalidSnapshot;
	}

	/* an event is visible to listeners at commit: make that commit durable */
	if (req->events > 0)
		(void) set_config_option("synchronous_commit", "on", PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_LOCAL, true, 0, false);
	return req->events;
}

/*
 * CheckGroups runs one evaluation pass over the groups that changed and at
 * most due_limit of those due on schedule, the longest due first (0: all),
 * and returns the number of events raised.
 */
int
CheckGroups(int due_limit)
{
	PassRequest req = {.manual_status = (GroupStatus) -1, .due_limit = due_limit};

	return RunPass(&req);
}

/*
 * WorkerCheckGroups is the worker's CheckGroups: its drain reads
 * group_change from the lowest block that commits its snapshot may see
 * wrote to (wakeup.c).  *drain_xmin is that snapshot's xmin, for
 * WorkerDrainDone once the pass has committed; InvalidTransactionId when
 * the pass drained otherwise.
 */
int
WorkerCheckGroups(int due_limit, TransactionId *drain_xmin)
{
	PassRequest req = {.manual_status = (GroupStatus) -1, .due_limit = due_limit,
					   .incremental = true, .drain_xmin = InvalidTransactionId};
	int			events = RunPass(&req);

	*drain_xmin = req.drain_xmin;
	return events;
}

/*
 * NextGroupDue returns when the next open group is due for a check or a
 * retry, or 0 if none is; the caller is connected to SPI.  One statement,
 * whether or not a group is set aside: it reads the due index only up to
 * the first group that is not.
 */
TimestampTz
NextGroupDue(void)
{
	Datum		now = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	bool		isnull;
	Datum		value;

	RunSavedQuery(JobtrackSchemaIsCurrent() ? &next_due_query : &next_due_1_1_query, &now, NULL);
	value = SpiResultDatum(0, 1, &isnull);
	return isnull ? 0 : DatumGetTimestampTz(value);
}

/*
 * RecountGroups rebuilds the counts of a group (all groups when group_id is
 * 0) from its jobs, evaluates it, and returns the number of events raised.
 */
int
RecountGroups(int64 group_id)
{
	PassRequest req = {.manual_status = (GroupStatus) -1, .recount = true, .recount_group = group_id};

	return RunPass(&req);
}

/*
 * StartGroup runs a pass in which the group is marked running if it is
 * pending, and returns its status afterwards; false if it does not exist.
 */
bool
StartGroup(int64 group_id, GroupStatus *status)
{
	PassRequest req = {.manual_group = group_id, .manual_status = (GroupStatus) -1,
					   .due_limit = WORKER_DUE_GROUPS};

	(void) RunPass(&req);
	*status = req.manual_status;
	return *status != (GroupStatus) -1;
}

/* GroupStatusFromName maps a group_status label to its GroupStatus. */
GroupStatus
GroupStatusFromName(const char *name)
{
	int			i;

	for (i = 0; i < (int) lengthof(GroupStatusNames); i++)
		if (strcmp(name, GroupStatusNames[i]) == 0)
			return (GroupStatus) i;
	elog(ERROR, "unknown group status \"%s\"", name);
	pg_unreachable();
}

/* GroupStatusName returns the label of a GroupStatus. */
const char *
GroupStatusName(GroupStatus status)
{
	return GroupStatusNames[status];
}
