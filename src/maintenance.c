/*-------------------------------------------------------------------------
 *
 * maintenance.c
 *		The worker's housekeeping: promoting due delayed jobs, marking
 *		stuck jobs, deleting expired finished jobs, old group events and
 *		groups whose jobs are gone.
 *
 * Each is an ordinary UPDATE or DELETE of job rows, so the job_status
 * triggers check it and record the group changes like any other write.
 * Rows locked by an application are skipped (SKIP LOCKED) and taken at the
 * next round, so housekeeping never waits for an application, and the
 * worker runs it in a transaction of its own, apart from the evaluator.
 * Retention deletes in batches of MAINTENANCE_BATCH rows, at most
 * MAINTENANCE_MAX_BATCHES of each kind per round, oldest first.  A job's
 * messages and signals go with it through the job_status_deleted trigger
 * (there are no foreign keys to cascade, so job_status can be partitioned),
 * and the record trigger removes its external id.
 *
 * A group goes only once the evaluator has counted it and found no job
 * left: its group_count row is there and all zero.  Not seeing a job row is
 * not enough: a restore loads job_group before job_status, and a group
 * whose row is in and whose jobs are still on their way looks empty.
 * create_group() gives every group its zero counts at once; group_count is
 * not dumped, so a restored group has counts only once its restored jobs'
 * changes were evaluated.
 *
 * On a Citus cluster (citus.c) job rows live in shards on the worker nodes,
 * where Citus locks no row of a multi-shard subquery: the coordinator
 * changes them with multi-shard statements that repeat their condition,
 * which a row changed meanwhile must still meet, and removes the external
 * ids of the jobs it deleted itself.  A group has no job left there when
 * its counts, which the evaluator keeps exact, are all zero.  Worker nodes
 * leave housekeeping to the coordinator.
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/maintenance.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/array.h"

#include "citus.h"
#include "groups.h"

#include "settings.h"
#include "spi_util.h"

#define MAINTENANCE_BATCH 10000
/* the most groups one round deletes (DeleteGroups) */
#define GROUP_RETENTION_BATCH 1000

static SavedQuery promote_delayed_query = {
	"UPDATE jobtrack.job_status SET status = 'queued'"
	" WHERE id OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT id FROM jobtrack.job_status"
	"   WHERE status OPERATOR(pg_catalog.=) 'delayed'"
	"   AND available_at OPERATOR(pg_catalog.<=) pg_catalog.now()"
	"   LIMIT " CppAsString2(MAINTENANCE_BATCH) " FOR UPDATE SKIP LOCKED))",
	0, {InvalidOid}, false
};

static SavedQuery mark_stuck_query = {
	"UPDATE jobtrack.job_status SET status = 'stuck'"
	" WHERE id OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT id FROM jobtrack.job_status"
	"   WHERE status OPERATOR(pg_catalog.=) 'started'"
	"   AND COALESCE(jobtrack_internal.live_heartbeat(id, status, heartbeat_at), started_at) OPERATOR(pg_catalog.<)"
	"    (pg_catalog.now() OPERATOR(pg_catalog.-) pg_catalog.make_interval(secs => $1))"
	"   LIMIT " CppAsString2(MAINTENANCE_BATCH) " FOR UPDATE SKIP LOCKED))",
	1, {FLOAT8OID}, false
};

/* the same, for a schema older than 2.0, which has no live progress */
static SavedQuery mark_stuck_stored_query = {
	"UPDATE jobtrack.job_status SET status = 'stuck'"
	" WHERE id OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT id FROM jobtrack.job_status"
	"   WHERE status OPERATOR(pg_catalog.=) 'started'"
	"   AND COALESCE(heartbeat_at, started_at) OPERATOR(pg_catalog.<)"
	"    (pg_catalog.now() OPERATOR(pg_catalog.-) pg_catalog.make_interval(secs => $1))"
	"   LIMIT " CppAsString2(MAINTENANCE_BATCH) " FOR UPDATE SKIP LOCKED))",
	1, {FLOAT8OID}, false
};

/*
 * Messages and signals go with their jobs, by the job_status_deleted
 * trigger.  A role that writes jobs may hold one of them locked (SELECT ...
 * FOR UPDATE), and the trigger's DELETE would wait for it while no group
 * event is raised: so the round first locks the expired jobs' messages and
 * signals, skipping those it cannot lock, and deletes only the jobs all of
 * whose messages and signals it holds.  The others wait for a later round.
 */
#define UNLOCKED_CHILD(table, locked) \
	"   AND NOT EXISTS (SELECT 1 FROM " table " c WHERE c.job_id OPERATOR(pg_catalog.=) d.id" \
	"    AND NOT EXISTS (SELECT 1 FROM " locked " l" \
	"     WHERE l.job_id OPERATOR(pg_catalog.=) c.job_id AND l.id OPERATOR(pg_catalog.=) c.id))"
#define LOCK_CHILDREN(table) \
	" MATERIALIZED (SELECT c.job_id, c.id FROM " table " c" \
	"   WHERE c.job_id OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT id FROM doomed)) FOR UPDATE SKIP LOCKED)"
static SavedQuery retention_query = {
	"WITH doomed AS MATERIALIZED (SELECT id FROM jobtrack.job_status"
	"   WHERE status OPERATOR(pg_catalog.>=) 'succeeded'"
	"   AND finished_at OPERATOR(pg_catalog.<)"
	"    (pg_catalog.now() OPERATOR(pg_catalog.-) pg_catalog.make_interval(secs => $1))"
	"   ORDER BY id LIMIT " CppAsString2(MAINTENANCE_BATCH) " FOR UPDATE SKIP LOCKED),"
	" messages AS" LOCK_CHILDREN("jobtrack.job_message") ","
	" signals AS" LOCK_CHILDREN("jobtrack.job_signal") ","
	" gone AS (DELETE FROM jobtrack.job_status WHERE id OPERATOR(pg_catalog.=) ANY (ARRAY("
	"  SELECT d.id FROM doomed d WHERE true"
	UNLOCKED_CHILD("jobtrack.job_message", "messages")
	UNLOCKED_CHILD("jobtrack.job_signal", "signals") ")) RETURNING 1)"
	/* the batch's size, so that a job left for later does not end the round */
	" SELECT (SELECT pg_catalog.count(*) FROM doomed), (SELECT pg_catalog.count(*) FROM gone)",
	1, {FLOAT8OID}, false
};

/*
 * Events are deleted from the oldest on, only as a prefix of ids whose
 * events are all older than the retention, so "every event after
 * deleted_through is kept" holds and group_events() can tell a listener
 * that resumes too far back.
 */
static SavedQuery event_retention_query = {
	"WITH batch AS (SELECT id, created_at FROM jobtrack.group_event"
	"   ORDER BY id LIMIT " CppAsString2(MAINTENANCE_BATCH) "),"
	" edge AS (SELECT pg_catalog.max(b.id) AS last_id FROM batch b"
	"   WHERE b.id OPERATOR(pg_catalog.<) COALESCE((SELECT pg_catalog.min(n.id) FROM batch n"
	"     WHERE n.created_at OPERATOR(pg_catalog.>=)"
	"      (pg_catalog.now() OPERATOR(pg_catalog.-) pg_catalog.make_interval(secs => $1))),"
	"    9223372036854775807)),"
	" gone AS (DELETE FROM jobtrack.group_event e USING edge"
	"   WHERE e.id OPERATOR(pg_catalog.<=) edge.last_id RETURNING e.id)"
	" INSERT INTO jobtrack.event_horizon AS h (deleted_through)"
	"  SELECT pg_catalog.max(id) FROM gone HAVING pg_catalog.count(*) OPERATOR(pg_catalog.>) 0"
	" ON CONFLICT (one_row) DO UPDATE SET deleted_through ="
	"  GREATEST(h.deleted_through, EXCLUDED.deleted_through)"
	" RETURNING (SELECT pg_catalog.count(*) FROM gone)",
	1, {FLOAT8OID}, false
};

/*
 * A group goes once it has no job left (its counts are there and all zero,
 * and no_jobs, if more, says how else that is known), none on its way (a
 * change not yet evaluated), and no event and no creation within the
 * retention.  Groups a pass is evaluating are skipped, never waited for.
 * A round picks candidates, takes the lock of each group that no job is
 * being added to (groups.c), and deletes them in a statement whose
 * snapshot, taken after those locks, sees every job that was being added
 * and checks them again.
 */
#define GROUP_GONE(no_jobs) \
	" g.created_at OPERATOR(pg_catalog.<)" \
	"    (pg_catalog.now() OPERATOR(pg_catalog.-) pg_catalog.make_interval(secs => $1))" \
	"   AND EXISTS (SELECT 1 FROM jobtrack.group_count n WHERE n.group_id OPERATOR(pg_catalog.=) g.id" \
	"    AND" COUNTS_ZERO("n") ")" \
	"   AND " no_jobs \
	"   AND NOT EXISTS (SELECT 1 FROM jobtrack.group_change c WHERE c.group_id OPERATOR(pg_catalog.=) g.id)" \
	"   AND NOT EXISTS (SELECT 1 FROM jobtrack.group_event e WHERE e.group_id OPERATOR(pg_catalog.=) g.id" \
	"    AND e.created_at OPERATOR(pg_catalog.>=)" \
	"     (pg_catalog.now() OPERATOR(pg_catalog.-) pg_catalog.make_interval(secs => $1)))"
#define COUNTS_ZERO(n) GROUP_COUNT_TOTAL(n ".") " OPERATOR(pg_catalog.=) 0"
#define GROUP_CANDIDATES_SQL(no_jobs) \
	"SELECT g.id FROM jobtrack.job_group g WHERE" GROUP_GONE(no_jobs) \
	" LIMIT " CppAsString2(GROUP_RETENTION_BATCH) " FOR UPDATE OF g SKIP LOCKED"
#define GROUP_DELETE_SQL(no_jobs) \
	"WITH doomed AS (SELECT g.id FROM jobtrack.job_group g" \
	"   WHERE g.id OPERATOR(pg_catalog.=) ANY ($2) AND" GROUP_GONE(no_jobs) ")," \
	" c AS (DELETE FROM jobtrack.group_count WHERE group_id OPERATOR(pg_catalog.=) ANY (SELECT id FROM doomed))," \
	" f AS (DELETE FROM jobtrack.group_failure WHERE group_id OPERATOR(pg_catalog.=) ANY (SELECT id FROM doomed))" \
	" DELETE FROM jobtrack.job_group WHERE id OPERATOR(pg_catalog.=) ANY (SELECT id FROM doomed)"

/* one server: no job row of the group is visible */
#define NO_JOB_ROW \
	"NOT EXISTS (SELECT 1 FROM jobtrack.job_status j WHERE j.group_id OPERATOR(pg_catalog.=) g.id)"
static SavedQuery group_candidates_query = {
	GROUP_CANDIDATES_SQL(NO_JOB_ROW), 1, {FLOAT8OID}, false
};
static SavedQuery group_delete_query = {
	GROUP_DELETE_SQL(NO_JOB_ROW), 2, {FLOAT8OID, INT8ARRAYOID}, false
};

/*
 * Counts left without a group: a job inserted by hand into a group that
 * does not exist is counted like any other (a parallel restore may load
 * jobs before their groups), and once its jobs are gone nothing else
 * deletes the row.
 */
static SavedQuery orphan_counts_query = {
	"DELETE FROM jobtrack.group_count n WHERE" COUNTS_ZERO("n")
	" AND NOT EXISTS (SELECT 1 FROM jobtrack.job_group g WHERE g.id OPERATOR(pg_catalog.=) n.group_id)"
	" AND NOT EXISTS (SELECT 1 FROM jobtrack.group_change c WHERE c.group_id OPERATOR(pg_catalog.=) n.group_id)",
	0, {InvalidOid}, false
};

/* housekeeping on a Citus coordinator, where Citus locks no row of a multi-shard subquery */
static SavedQuery citus_promote_delayed_query = {
	"UPDATE jobtrack.job_status SET status = 'queued'"
	" WHERE status OPERATOR(pg_catalog.=) 'delayed' AND available_at OPERATOR(pg_catalog.<=) pg_catalog.now()",
	0, {InvalidOid}, false
};

static SavedQuery citus_mark_stuck_query = {
	"UPDATE jobtrack.job_status SET status = 'stuck'"
	" WHERE status OPERATOR(pg_catalog.=) 'started'"
	" AND COALESCE(jobtrack_internal.live_heartbeat(id, status, heartbeat_at), started_at) OPERATOR(pg_catalog.<)"
	"  (pg_catalog.now() OPERATOR(pg_catalog.-) pg_catalog.make_interval(secs => $1))",
	1, {FLOAT8OID}, false
};

#define CITUS_EXPIRED \
	" status OPERATOR(pg_catalog.>=) 'succeeded' AND finished_at OPERATOR(pg_catalog.<)" \
	"  (pg_catalog.now() OPERATOR(pg_catalog.-) pg_catalog.make_interval(secs => $1))"
static SavedQuery citus_retention_query = {
	"WITH gone AS (DELETE FROM jobtrack.job_status WHERE id OPERATOR(pg_catalog.=) ANY (ARRAY("
	"  SELECT id FROM jobtrack.job_status WHERE" CITUS_EXPIRED
	"   ORDER BY id LIMIT " CppAsString2(MAINTENANCE_BATCH) ")) AND" CITUS_EXPIRED
	"  RETURNING id, external_id),"
	" x AS (DELETE FROM jobtrack.job_external_id e USING gone g"
	"  WHERE e.external_id OPERATOR(pg_catalog.=) g.external_id AND e.job_id OPERATOR(pg_catalog.=) g.id)"
	" SELECT id FROM gone",
	1, {FLOAT8OID}, false
};

/*
 * A Citus coordinator, whose jobs sit in shards on the worker nodes: the
 * group's counts, which the evaluator keeps exact, say it all
 */
static SavedQuery citus_group_candidates_query = {
	GROUP_CANDIDATES_SQL("true"), 1, {FLOAT8OID}, false
};
static SavedQuery citus_group_delete_query = {
	GROUP_DELETE_SQL("true"), 2, {FLOAT8OID, INT8ARRAYOID}, false
};

/*
 * The groups among the candidates that a job was added to since their
 * counts were last saved: its row and its change sit on its node (in
 * group_change_outbox) until a pass moves the change here.  Two multi-shard
 * reads after the groups' locks, so they see every job committed before.
 */
static SavedQuery citus_groups_with_jobs_query = {
	"SELECT DISTINCT group_id FROM jobtrack.job_status WHERE group_id OPERATOR(pg_catalog.=) ANY ($1)",
	1, {INT8ARRAYOID}, false
};
static SavedQuery citus_groups_with_changes_query = {
	"SELECT DISTINCT group_id FROM jobtrack.group_change_outbox WHERE group_id OPERATOR(pg_catalog.=) ANY ($1)",
	1, {INT8ARRAYOID}, false
};

/* at most this many batches of one kind per round, so a round stays short */
#define MAINTENANCE_MAX_BATCHES 50

/* RunBatches runs a deleting statement until it deletes less than a batch; returns the rows. */
static int64
RunBatches(SavedQuery *query, Datum *age, bool count_in_result)
{
	int64		total = 0;
	int			i;

	for (i = 0; i < MAINTENANCE_MAX_BATCHES; i++)
	{
		uint64		n = RunSavedQuery(query, age, NULL);

		if (count_in_result)
			n = n == 0 ? 0 : (uint64) SpiResultInt64(0, 1);
		total += n;
		if (n < MAINTENANCE_BATCH)
			break;
	}
	return total;
}

/*
 * DeleteExpiredJobs deletes finished jobs older than the retention, a batch
 * at a time, and returns how many; a batch that left some jobs for a later
 * round (their messages or signals are locked) does not end the round.
 */
static int64
DeleteExpiredJobs(Datum age)
{
	int64		total = 0;
	int			i;

	for (i = 0; i < MAINTENANCE_MAX_BATCHES; i++)
	{
		(void) RunSavedQuery(&retention_query, &age, NULL);
		total += SpiResultInt64(0, 2);
		if (SpiResultInt64(0, 1) < MAINTENANCE_BATCH)
			break;
	}
	return total;
}

/* Int8Array makes a bigint[] of n Datums. */
static Datum
Int8Array(Datum *ids, int n)
{
	return PointerGetDatum(construct_array(ids, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/* DropInUse removes from ids[] the groups a query returns; returns how many are left. */
static int
DropInUse(SavedQuery *query, Datum *ids, int n)
{
	Datum		array = Int8Array(ids, n);
	uint64		found = RunSavedQuery(query, &array, NULL);
	uint64		row;
	int			i;
	int			kept = 0;

	for (i = 0; i < n; i++)
	{
		bool		used = false;

		for (row = 0; row < found && !used; row++)
			used = SpiResultInt64(row, 1) == DatumGetInt64(ids[i]);
		if (!used)
			ids[kept++] = ids[i];
	}
	return kept;
}

/*
 * DeleteGroups deletes, in one statement, the groups retention takes whose
 * stripe of the group locks (groups.c) it could take at once, and returns
 * how many.  At most GROUP_RETENTION_BATCH a round: the locks are held to
 * the round's commit, and a creator in one of their stripes waits for it.
 * On a Citus coordinator it leaves out the groups whose jobs or changes
 * are on the nodes.  Not under REPEATABLE READ, where the deleting
 * statement's snapshot would be older than the locks.
 */
static int64
DeleteGroups(SavedQuery *candidates, SavedQuery *deletion, Datum age, bool cluster)
{
	/* 0 not tried yet, 1 taken, -1 busy */
	int8		stripes[GROUP_LOCK_STRIPES] = {0};
	uint64		n;
	Datum	   *ids;
	int			locked = 0;
	uint64		row;
	Datum		values[2];

	if (IsolationUsesXactSnapshot())
		return 0;
	n = RunSavedQuery(candidates, &age, NULL);
	if (n == 0)
		return 0;
	ids = palloc(sizeof(Datum) * n);
	for (row = 0; row < n; row++)
	{
		int64		id = SpiResultInt64(row, 1);
		int			stripe = GroupLockStripe(id);

		if (stripes[stripe] == 0)
			stripes[stripe] = LockGroupStripeForDeletion(stripe) ? 1 : -1;
		if (stripes[stripe] > 0)
			ids[locked++] = Int64GetDatum(id);
	}
	if (cluster && locked > 0)
		locked = DropInUse(&citus_groups_with_jobs_query, ids, locked);
	if (cluster && locked > 0)
		locked = DropInUse(&citus_groups_with_changes_query, ids, locked);
	if (locked == 0)
		return 0;
	values[0] = age;
	values[1] = Int8Array(ids, locked);
	return (int64) RunSavedQuery(deletion, values, NULL);
}

/* MaintenanceRound does one round of housekeeping and returns the jobs it changed. */
static int64
MaintenanceRound(void)
{
	Datum		stuck_after = Float8GetDatum((double) jobtrack_stuck_after);
	Datum		retention = Float8GetDatum((double) jobtrack_retention);
	Datum		event_retention = Float8GetDatum((double) jobtrack_event_retention);
	int64		changed = 0;

	SPI_connect();

	/*
	 * Wait for a distribute() or undistribute() under way, which takes a
	 * stronger lock, so that the statements below are the ones for the
	 * layout they run on; the layout is read again once the lock is held.
	 * Not on a worker node of a cluster, where housekeeping does nothing:
	 * there a DROP EXTENSION from the coordinator holds job_status while it
	 * waits for the extension's lock, which this round holds, and the lock
	 * here would close that circle.
	 */
	if (JobtrackNodeRole() != JOBTRACK_WORKER)
		LockRelationOid(JobtrackRelid("job_status"), RowExclusiveLock);
	switch (JobtrackNodeRole())
	{
		case JOBTRACK_LOCAL:
			changed += RunSavedQuery(&promote_delayed_query, NULL, NULL);
			if (jobtrack_stuck_after > 0)
				changed += RunSavedQuery(JobtrackSchemaHasLive() ? &mark_stuck_query : &mark_stuck_stored_query,
										 &stuck_after, NULL);
			if (jobtrack_retention > 0)
				changed += DeleteExpiredJobs(retention);
			if (jobtrack_event_retention > 0 && JobtrackSchemaIsCurrent())
			{
				(void) RunBatches(&event_retention_query, &event_retention, true);
				(void) RunSavedQuery(&orphan_counts_query, NULL, NULL);
				(void) DeleteGroups(&group_candidates_query, &group_delete_query, event_retention, false);
			}
			break;
		case JOBTRACK_COORDINATOR:
			changed += RunSavedQuery(&citus_promote_delayed_query, NULL, NULL);
			if (jobtrack_stuck_after > 0)
				changed += RunSavedQuery(&citus_mark_stuck_query, &stuck_after, NULL);
			if (jobtrack_retention > 0)
				changed += RunBatches(&citus_retention_query, &retention, false);
			if (jobtrack_event_retention > 0)
			{
				(void) RunBatches(&event_retention_query, &event_retention, true);
				(void) RunSavedQuery(&orphan_counts_query, NULL, NULL);
				(void) DeleteGroups(&citus_group_candidates_query, &citus_group_delete_query, event_retention, true);
			}
			break;
		case JOBTRACK_WORKER:
			if (!IsBackgroundWorker)
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("jobtrack housekeeping runs on the Citus coordinator only"),
						 errdetail("This is a worker node of a cluster where jobtrack is distributed."),
						 errhint("Call jobtrack.run_maintenance() on the coordinator.")));
			break;
	}
	SPI_finish();
	return changed;
}

/* SQL-callable: jobtrack.run_maintenance() */
PG_FUNCTION_INFO_V1(jobtrack_run_maintenance);
Datum
jobtrack_run_maintenance(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(MaintenanceRound());
}
