/*-------------------------------------------------------------------------
 *
 * citus.c
 *		jobtrack on a Citus cluster: where this node stands, the changes
 *		written on the job's node, and their move to the coordinator.
 *
 * jobtrack.distribute() shards job_status by id, and job_message,
 * job_signal and group_change_outbox by job_id, colocated with it; groups,
 * counts, events and external ids stay on the coordinator.  A job's row is
 * then written on the worker node that holds its shard, and the
 * job_status triggers fire there, on the shard.  They check the row as on
 * one server, but the change for the group evaluator cannot reach the
 * coordinator from inside the shard's transaction: it goes into the
 * colocated shard of group_change_outbox, next to the job, and commits or
 * rolls back with the job's row.
 *
 * Each pass of the coordinator's evaluator starts by moving the outbox into
 * its own group_change, with one DELETE ... RETURNING over every shard.
 * Citus runs a modification of many shards with two-phase commit, and the
 * coordinator's commit record decides it, so the moved rows, the counts
 * and the events the pass raises commit together or not at all: every
 * change is evaluated exactly once.  group_change is made logged by
 * distribute(), so a coordinator crash loses nothing that would need a
 * recount (which could not read the jobs and the outboxes of every node in
 * one snapshot).
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/citus.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "storage/proc.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "citus.h"
#include "group_change.h"
#include "job_record.h"
#include "spi_util.h"
#include "status.h"
#include "wakeup.h"

/* not read-only: it must see a distribute() that committed while the caller waited for it */
static SavedQuery node_role_query = {
	"SELECT jobtrack_internal.node_role()", 0, {InvalidOid}, false
};

static SavedQuery outbox_shard_query = {
	"SELECT jobtrack_internal.colocated_shard($1, 'jobtrack.group_change_outbox'::pg_catalog.regclass)",
	1, {REGCLASSOID}, true
};

static SavedQuery move_outbox_query = {
	"DELETE FROM jobtrack.group_change_outbox"
	" RETURNING group_id, job_id, old_status, new_status, created_at",
	0, {InvalidOid}, false
};

/* a shard of job_status on this node, and its colocated outbox shard */
typedef struct OutboxShardEntry
{
	Oid			job_shard;		/* hash key */
	Oid			outbox_shard;
} OutboxShardEntry;

/* the outbox shard of each job_status shard a trigger fired on in this backend */
static HTAB *outbox_shards = NULL;

/*
 * IsJobStatusShard says whether rel is a shard of jobtrack.job_status: a
 * table of schema jobtrack named job_status_<shard id>.  Only the
 * extension's owner creates tables in that schema (Citus creates the
 * shards as the owner of their table), so no other role can dress a table
 * up as one.
 */
bool
IsJobStatusShard(Relation rel)
{
	const char *name = RelationGetRelationName(rel);
	const char *digits;

	if (RelationGetNamespace(rel) != get_namespace_oid("jobtrack", false) ||
		strncmp(name, "job_status_", 11) != 0)
		return false;
	digits = name + 11;
	if (*digits == '\0')
		return false;
	for (; *digits; digits++)
		if (!isdigit((unsigned char) *digits))
			return false;
	return true;
}

/*
 * JobtrackNodeRole says where this node stands: one server, or the
 * coordinator or a worker node of a Citus cluster where jobtrack is
 * distributed.  A schema without group_change_outbox (before 2.0) was
 * never distributed.  The caller is connected to SPI.
 */
JobtrackRole
JobtrackNodeRole(void)
{
	bool		isnull;
	char	   *role;

	if (!OidIsValid(JobtrackRelationOid("group_change_outbox")) ||
		!OidIsValid(get_relname_relid("pg_dist_partition", PG_CATALOG_NAMESPACE)))
		return JOBTRACK_LOCAL;
	/* as the owner: a writer needs no privilege on jobtrack_internal */
	RunAsExtensionOwner(&node_role_query, NULL, NULL);
	role = TextDatumGetCString(SpiResultDatum(0, 1, &isnull));
	if (strcmp(role, "coordinator") == 0)
		return JOBTRACK_COORDINATOR;
	if (strcmp(role, "worker") == 0)
		return JOBTRACK_WORKER;
	return JOBTRACK_LOCAL;
}

/*
 * OutboxShard returns the shard of group_change_outbox colocated with a
 * shard of job_status, looked up once per backend and shard (a shard moved
 * away is dropped, and a lookup of the new one finds its own).
 */
static Oid
OutboxShard(Oid job_shard)
{
	Datum		arg = ObjectIdGetDatum(job_shard);
	OutboxShardEntry *entry;
	bool		found;
	bool		isnull;

	if (outbox_shards == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(OutboxShardEntry);
		outbox_shards = hash_create("jobtrack outbox shards", 64, &ctl, HASH_ELEM | HASH_BLOBS);
	}
	entry = hash_search(outbox_shards, &job_shard, HASH_FIND, NULL);
	if (entry != NULL && get_rel_name(entry->outbox_shard) != NULL)
		return entry->outbox_shard;
	SPI_connect();
	RunAsExtensionOwner(&outbox_shard_query, &arg, NULL);
	arg = SpiResultDatum(0, 1, &isnull);
	SPI_finish();
	entry = hash_search(outbox_shards, &job_shard, HASH_ENTER, &found);
	entry->outbox_shard = DatumGetObjectId(arg);
	return entry->outbox_shard;
}

/*
 * RecordShardGroupChange records a change of a job whose row lives in a
 * shard of job_status on this node, in the colocated outbox shard, for
 * the coordinator's evaluator.  No worker is woken here: the coordinator's
 * evaluator takes the change at its next pass, at the latest after
 * jobtrack.check_interval.
 */
void
RecordShardGroupChange(Relation job_shard, int64 group_id, int64 job_id, int old_status, int new_status)
{
	Relation	rel = table_open(OutboxShard(RelationGetRelid(job_shard)), RowExclusiveLock);

	(void) InsertChangeRow(rel, group_id, job_id, old_status, new_status, GetCurrentTimestamp());
	table_close(rel, NoLock);
}

/* StatusArgument returns a status of a moved row, NO_JOB_STATUS for NULL. */
static int
StatusArgument(SPITupleTable *table, uint64 row, int column)
{
	bool		isnull;
	Datum		value = SPI_getbinval(table->vals[row], table->tupdesc, column, &isnull);

	return isnull ? NO_JOB_STATUS : (int) JobStatusFromDatum(value);
}

/*
 * MoveOutboxChanges moves every change the worker nodes recorded into the
 * coordinator's group_change, in the evaluator's transaction, and returns
 * how many it moved.  The caller holds the evaluator's lock and is
 * connected to SPI.
 */
uint64
MoveOutboxChanges(void)
{
	int			nest = NewGUCNestLevel();
	uint64		n;
	SPITupleTable *table;
	Relation	rel;
	uint64		row;

	/*
	 * One connection per node: the two-phase commit then prepares one
	 * transaction per node rather than one per connection Citus would open
	 * to delete from the shards in parallel, several times cheaper.
	 */
	(void) set_config_option("citus.multi_shard_modify_mode", "sequential", PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	n = RunSavedQuery(&move_outbox_query, NULL, NULL);
	table = SPI_tuptable;
	AtEOXact_GUC(true, nest);

	if (n == 0)
		return 0;
	rel = table_open(JobtrackRelid("group_change"), RowExclusiveLock);
	for (row = 0; row < n; row++)
	{
		bool		isnull;
		int64		group_id = DatumGetInt64(SPI_getbinval(table->vals[row], table->tupdesc, 1, &isnull));
		int64		job_id = DatumGetInt64(SPI_getbinval(table->vals[row], table->tupdesc, 2, &isnull));
		TimestampTz at = DatumGetTimestampTz(SPI_getbinval(table->vals[row], table->tupdesc, 5, &isnull));

		(void) InsertChangeRow(rel, group_id, job_id, StatusArgument(table, row, 3),
							   StatusArgument(table, row, 4), at);
	}
	table_close(rel, NoLock);
	/* the rows inserted above are seen by the statements that follow */
	CommandCounterIncrement();
	return n;
}

/*
 * JobtrackReleaseShardsForDrop drops the shards of a distributed jobtrack,
 * on the coordinator, before DROP EXTENSION jobtrack runs.  Citus sends
 * the DROP EXTENSION to the worker nodes first, and there the shards hang
 * on the extension's types and trigger functions; without them, every node
 * drops the extension and nothing of it is left.  The utility hook calls
 * it; it changes nothing where jobtrack is not distributed.
 */
void
JobtrackReleaseShardsForDrop(void)
{
	Oid			extension = get_extension_oid("jobtrack", true);

	/*
	 * Only for the owner: anyone else's DROP EXTENSION fails its ownership
	 * check, and must not first hold the extension's lock while waiting
	 * for the tables' locks, which would keep the worker from its passes.
	 */
	if (!OidIsValid(extension) || !pg_extension_ownercheck(extension, GetUserId()))
		return;

	/*
	 * DROP EXTENSION takes this lock next anyway.  The jobtrack worker holds
	 * it in share mode through a pass or a housekeeping round, so taking it
	 * before the tables' locks lets that finish rather than deadlock.
	 */
	LockDatabaseObject(ExtensionRelationId, extension, 0, AccessExclusiveLock);
	SPI_connect();
	if (JobtrackNodeRole() == JOBTRACK_COORDINATOR &&
		SPI_execute("SELECT jobtrack_internal.release_shards(false)", false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not drop the shards of jobtrack's tables");
	SPI_finish();
}

/*
 * WakeCoordinatorEvaluator asks for the coordinator's worker to be woken at
 * commit, lazily, after a jobtrack function changed a job there: the job's
 * change sits in an outbox on a worker node, from where nothing can wake
 * the worker.  Elsewhere the job_status_record trigger wakes it itself.
 * The node's role is looked up once per transaction.  The caller is
 * connected to SPI.
 */
void
WakeCoordinatorEvaluator(void)
{
	static LocalTransactionId checked_in = InvalidLocalTransactionId;
	static bool coordinator = false;

	if (checked_in != MyProc->lxid)
	{
		coordinator = JobtrackNodeRole() == JOBTRACK_COORDINATOR;
		checked_in = MyProc->lxid;
	}
	if (coordinator)
		WakeWorkerAtCommit(false);
}

/*
 * JobtrackCommitAcrossNodes makes the coordinator commit the current
 * transaction with two-phase commit when it also writes a worker node.
 * create_job() with an external id writes the coordinator's own table and
 * the job's shard: Citus commits such a transaction in one phase, the
 * coordinator first, so a worker node lost at that moment left an external
 * id whose job was never written, and a caller told that the job existed.
 * With two phases the worker node prepares first and the coordinator's
 * commit decides; Citus's recovery finishes the rest.  The caller is
 * connected to SPI.
 */
void
JobtrackCommitAcrossNodes(void)
{
	void		(*use_2pc) (void);

	if (JobtrackNodeRole() != JOBTRACK_COORDINATOR)
		return;
	use_2pc = (void (*) (void)) load_external_function("citus", "Use2PCForCoordinatedTransaction",
														true, NULL);
	use_2pc();
}
