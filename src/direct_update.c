/*-------------------------------------------------------------------------
 *
 * direct_update.c
 *		A change of a job's row written without a statement.
 *
 * start_job, succeed_job and the other status functions, and set_progress
 * and heartbeat where they write the row, change one row found by its
 * primary key.  Run as a statement, that UPDATE costs a second executor
 * inside the caller's, and its BEFORE trigger makes PostgreSQL
 * lock the row first, which writes a WAL record of its own.  Where nothing
 * but jobtrack's own triggers would run, the change is written here
 * instead: the row is read by its primary key, the guard's checks and
 * stamps (job_guard.c) are applied, the row is updated in the heap and its
 * index entries are added, and the change is recorded for the group
 * evaluator (job_record.c): what the two triggers do, without the lock.
 *
 * Everything else runs the statement, which raises what a statement
 * raises: a caller without the privileges, or whom row-level security
 * filters; an executor permission hook; a trigger or rule of the user's on
 * job_status; a read-only transaction; a Citus cluster; a table stored by
 * another access method than heap.
 *
 * The row is read in the caller's snapshot, without a lock, and may have
 * changed since.  So the statement also runs where the direct write would
 * act on a version that is not the latest: when heap_update finds the row
 * updated or deleted by another transaction (having waited for it, if it
 * was still running), and when the guard would refuse the change, which a
 * transaction changing the row may be about to make allowed.  There
 * PostgreSQL's UPDATE waits, and applies the guard to the row as that
 * transaction left it (or, under repeatable read, raises a serialization
 * failure).  A lock another transaction holds, which leaves the row as it
 * is, makes heap_update wait and nothing more.
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/direct_update.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_trigger.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/parsenodes.h"
#include "utils/acl.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "citus.h"
#include "direct_update.h"
#include "index_cache.h"
#include "job_guard.h"
#include "job_record.h"
#include "spi_util.h"

/* the functions of jobtrack's two UPDATE triggers, once recognised */
static Oid	known_relid = InvalidOid;
static Oid	guard_function = InvalidOid;
static Oid	record_function = InvalidOid;

/*
 * IsJobtrackFunction says whether a function is jobtrack_internal.name,
 * remembering its oid in *known.
 */
static bool
IsJobtrackFunction(Oid fn, const char *name, Oid *known)
{
	char	   *fname;
	bool		result;

	if (fn == *known)
		return true;
	fname = get_func_name(fn);
	result = fname != NULL && strcmp(fname, name) == 0 &&
		get_func_namespace(fn) == get_namespace_oid("jobtrack_internal", true);
	if (result)
		*known = fn;
	return result;
}

/*
 * KeyOnlyReferenced says whether a foreign key's trigger on job_status, as
 * the referenced table, concerns only the primary key: an update that
 * keeps the id never needs it.
 */
static bool
KeyOnlyReferenced(Relation rel, const Trigger *trigger)
{
	HeapTuple	tuple;
	Form_pg_constraint con;
	bool		result = false;

	if (RI_FKey_trigger_type(trigger->tgfoid) != RI_TRIGGER_PK)
		return false;
	tuple = SearchSysCache1(CONSTROID, ObjectIdGetDatum(trigger->tgconstraint));
	if (!HeapTupleIsValid(tuple))
		return false;
	con = (Form_pg_constraint) GETSTRUCT(tuple);
	result = con->conindid == RelationGetPrimaryKeyIndex(rel);
	ReleaseSysCache(tuple);
	return result;
}

/*
 * OnlyJobtrackTriggers says whether an INSERT or UPDATE (cmd) of job_status
 * would run jobtrack's guard (BEFORE ROW) and record trigger (AFTER ROW),
 * both enabled as created, and no trigger besides but those of foreign
 * keys that reference the primary key, which an update that keeps the id
 * never needs (and an insert never fires).  A foreign key of job_status's
 * own columns is checked by the statement.
 */
static bool
OnlyJobtrackTriggers(Relation rel, CmdType cmd)
{
	TriggerDesc *trigdesc = rel->trigdesc;
	int			guards = 0,
				records = 0,
				i;

	if (known_relid != RelationGetRelid(rel))
	{
		known_relid = RelationGetRelid(rel);
		guard_function = record_function = InvalidOid;
	}
	if (trigdesc == NULL || SessionReplicationRole != SESSION_REPLICATION_ROLE_ORIGIN)
		return false;
	for (i = 0; i < trigdesc->numtriggers; i++)
	{
		Trigger    *trigger = &trigdesc->triggers[i];
		int16		type = trigger->tgtype;

		if (cmd == CMD_INSERT ? !TRIGGER_FOR_INSERT(type) :
			(!TRIGGER_FOR_UPDATE(type) || KeyOnlyReferenced(rel, trigger)))
			continue;
		if (trigger->tgenabled != TRIGGER_FIRES_ON_ORIGIN || trigger->tgqual != NULL ||
			trigger->tgnattr != 0 || !TRIGGER_FOR_ROW(type))
			return false;
		if (TRIGGER_FOR_BEFORE(type) &&
			IsJobtrackFunction(trigger->tgfoid, "job_status_guard", &guard_function))
			guards++;
		else if (TRIGGER_FOR_AFTER(type) &&
				 IsJobtrackFunction(trigger->tgfoid, "job_status_record", &record_function))
			records++;
		else
			return false;
	}
	return guards == 1 && records == 1;
}

/*
 * DirectWriteAllowed says whether jobtrack's functions may insert (cmd
 * CMD_INSERT) or update (CMD_UPDATE) a row of job_status without a
 * statement.  The caller holds the lock the statement would take, so the
 * checks see grants, policies and triggers committed before it.
 */
bool
DirectWriteAllowed(Relation rel, CmdType cmd)
{
	Oid			relid = RelationGetRelid(rel);
	TupleConstr *constr = RelationGetDescr(rel)->constr;

	/*
	 * A heap (the writes are heap_insert and heap_update); no rules, no
	 * stored generated columns, no partition or child tables.
	 */
	return rel->rd_rel->relkind == RELKIND_RELATION && rel->rd_rel->relam == HEAP_TABLE_AM_OID &&
		rel->rd_rules == NULL &&
		!(constr && constr->has_generated_stored) &&
		!rel->rd_rel->relispartition && !rel->rd_rel->relhassubclass &&
		pg_class_aclcheck(relid, GetUserId(), cmd == CMD_INSERT ? ACL_INSERT : ACL_UPDATE) == ACLCHECK_OK &&
		DirectReadAllowed(relid) && OnlyJobtrackTriggers(rel, cmd);
}

/*
 * TransactionAllowsDirectWrite: a transaction that may write (a standby's
 * are read-only too), on a server where job_status is not distributed.
 */
bool
TransactionAllowsDirectWrite(void)
{
	return !XactReadOnly && JobtrackNodeRole() == JOBTRACK_LOCAL;
}

/*
 * FetchJobRow returns a copy of the job's row as the active snapshot sees
 * it, or NULL when there is none: heap_update takes the row to replace by
 * its TID, and the guard reads the old values after the buffer is let go.
 */
static HeapTuple
FetchJobRow(Relation rel, int64 job_id)
{
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	HeapTuple	tuple = NULL;

	if (FetchByPrimaryKey(rel, job_id, GetActiveSnapshot(), RowExclusiveLock, slot))
		tuple = ExecCopySlotHeapTuple(slot);
	ExecDropSingleTupleTableSlot(slot);
	return tuple;
}

/*
 * DirectResultRel sets estate up as the executor would for a write of tuple
 * into rel (updated: the columns an update sets; NULL for an insert), and
 * checks the table's NOT NULL and CHECK constraints on the row.  Returns
 * the result relation; *slot holds the row.
 */
ResultRelInfo *
DirectResultRel(EState *estate, Relation rel, Bitmapset *updated, HeapTuple tuple,
				TupleTableSlot **slot)
{
	ResultRelInfo *rri = makeNode(ResultRelInfo);
	RangeTblEntry *rte = makeNode(RangeTblEntry);

	/* the range table tells the index AMs which columns an update changed */
	rte->rtekind = RTE_RELATION;
	rte->relid = RelationGetRelid(rel);
	rte->relkind = rel->rd_rel->relkind;
	rte->rellockmode = RowExclusiveLock;
	rte->updatedCols = updated;
	ExecInitRangeTable(estate, list_make1(rte));
	InitResultRelInfo(rri, rel, 1, NULL, 0);
	*slot = ExecInitExtraTupleSlot(estate, RelationGetDescr(rel), &TTSOpsHeapTuple);
	/* a CHECK constraint may read tableoid */
	tuple->t_tableOid = RelationGetRelid(rel);
	ExecStoreHeapTuple(tuple, *slot, false);
	ExecConstraints(rri, *slot, estate);
	return rri;
}

/*
 * DirectIndexEntries adds the index entries of a row just written to the
 * heap (its new TID taken into the slot), checking unique indexes as the
 * executor does; update says whether it replaced an older version.
 */
void
DirectIndexEntries(ResultRelInfo *rri, TupleTableSlot *slot, HeapTuple tuple, EState *estate,
				   bool update)
{
	ExecStoreHeapTuple(tuple, slot, false);
	InsertIndexEntries(rri, slot, estate, update);
}

/*
 * WriteJobRow updates the row in the heap and, unless the update was HOT,
 * adds its index entries.  updated holds the columns the caller set, which
 * tell the index AMs whether a key changed.  False when another transaction
 * changed the row first: nothing was written.
 */
static bool
WriteJobRow(Relation rel, HeapTuple oldtuple, HeapTuple newtuple, Bitmapset *updated)
{
	EState	   *estate = CreateExecutorState();
	ResultRelInfo *rri;
	TupleTableSlot *slot;
	TM_FailureData tmfd;
	LockTupleMode lockmode;
	TM_Result	result;

	estate->es_output_cid = GetCurrentCommandId(true);
	rri = DirectResultRel(estate, rel, updated, newtuple, &slot);
	result = heap_update(rel, &oldtuple->t_self, newtuple, estate->es_output_cid,
						 InvalidSnapshot, true, &tmfd, &lockmode);
	/*
	 * Unlike the executor, which locks every index at its start, this opens
	 * the indexes only for an update that needs their entries: the table's
	 * RowExclusiveLock already keeps out whatever would conflict (REINDEX
	 * and DROP INDEX lock the table first).
	 */
	if (result == TM_Ok && !HeapTupleIsHeapOnly(newtuple))
		DirectIndexEntries(rri, slot, newtuple, estate, true);
	ExecResetTupleTable(estate->es_tupleTable, false);
	FreeExecutorState(estate);
	if (result == TM_Invisible)
		elog(ERROR, "attempted to update invisible tuple");
	return result == TM_Ok;
}

/* ColumnOf returns the attribute number of a column a DirectSet names. */
static AttrNumber
ColumnOf(const JobColumns *cols, DirectColumn column)
{
	switch (column)
	{
		case DIRECT_STATUS:
			return cols->status;
		case DIRECT_FAILED_REASON:
			return cols->failed_reason;
		case DIRECT_PERCENTAGE:
			return cols->percentage;
		case DIRECT_PROGRESS_CURRENT:
			return cols->progress_current;
		case DIRECT_PROGRESS_TOTAL:
			return cols->progress_total;
		case DIRECT_HEARTBEAT_AT:
			return cols->heartbeat_at;
	}
	elog(ERROR, "unknown job column %d", (int) column);
	return InvalidAttrNumber;	/* keep the compiler quiet */
}

/*
 * ApplySet returns the job's row with the columns of set replaced, and a
 * stuck job started if set says so; the columns replaced go to *updated.
 */
static HeapTuple
ApplySet(Relation rel, const JobColumns *cols, HeapTuple oldtuple, const DirectSet *set,
		 JobStatus status, Bitmapset **updated)
{
	int			columns[DIRECT_MAX_COLUMNS + 1];
	Datum		values[DIRECT_MAX_COLUMNS + 1];
	bool		nulls[DIRECT_MAX_COLUMNS + 1];
	int			n = 0,
				i;

	Assert(set->count <= DIRECT_MAX_COLUMNS);
	for (i = 0; i < set->count; i++, n++)
	{
		columns[n] = ColumnOf(cols, set->columns[i]);
		values[n] = set->values[i];
		nulls[n] = set->nulls[i];
	}
	if (set->resume_stuck && status == JOB_STUCK)
	{
		columns[n] = cols->status;
		values[n] = JobStatusGetDatum(JOB_STARTED);
		nulls[n++] = false;
	}
	for (i = 0; i < n; i++)
		*updated = bms_add_member(*updated, columns[i] - FirstLowInvalidHeapAttributeNumber);
	return heap_modify_tuple_by_cols(oldtuple, RelationGetDescr(rel), n, columns, values, nulls);
}

/* DirectSetColumn adds a column and its value to what a direct update sets. */
void
DirectSetColumn(DirectSet *set, DirectColumn column, Datum value, bool isnull)
{
	Assert(set->count < DIRECT_MAX_COLUMNS);
	set->columns[set->count] = column;
	set->values[set->count] = value;
	set->nulls[set->count++] = isnull;
}

/* SetStatus returns the status a DirectSet sets, or -1 when it sets none. */
static int
SetStatus(const DirectSet *set)
{
	int			i;

	for (i = 0; i < set->count; i++)
		if (set->columns[i] == DIRECT_STATUS)
			return (int) JobStatusFromDatum(set->values[i]);
	return -1;
}

/*
 * Refused says whether the guard would refuse a change from one status to
 * another, to (-1: the status stays).
 * Such a change is left to the statement: the row may have changed since
 * it was read, by a transaction that locked it after, and the statement
 * judges the row as that transaction leaves it.
 */
static bool
Refused(int to, JobStatus from)
{
	return to >= 0 && (JobStatus) to != from && !TransitionAllowed(from, (JobStatus) to);
}

/*
 * DirectUpdateJob updates the job's row as the statement
 * "UPDATE jobtrack.job_status SET <set> WHERE id = job_id" and its triggers
 * would; with set->skip_same_status, "AND status <> <the status set>".  It
 * returns DIRECT_UPDATED, DIRECT_NOT_FOUND, DIRECT_UNCHANGED (the job has
 * the status already), or DIRECT_NOT_TAKEN when the statement must run
 * instead; then nothing was written.
 */
DirectResult
DirectUpdateJob(int64 job_id, const DirectSet *set)
{
	Relation	rel;
	const JobColumns *cols;
	HeapTuple	oldtuple,
				newtuple;
	Bitmapset  *updated = NULL;
	bool		isnull;
	JobStatus	status;
	int			to = SetStatus(set);
	DirectResult result = DIRECT_NOT_TAKEN;

	if (!TransactionAllowsDirectWrite())
		return DIRECT_NOT_TAKEN;
	rel = table_open(JobtrackRelid("job_status"), RowExclusiveLock);
	if (!DirectWriteAllowed(rel, CMD_UPDATE))
	{
		table_close(rel, NoLock);
		return DIRECT_NOT_TAKEN;
	}
	cols = JobStatusColumns(rel);
	/* what the executor checks of a table published without a replica identity */
	CheckCmdReplicaIdentity(rel, CMD_UPDATE);

	/* as a statement of its own: it sees what this transaction did before */
	CommandCounterIncrement();
	PushActiveSnapshot(GetTransactionSnapshot());
	oldtuple = FetchJobRow(rel, job_id);
	if (oldtuple == NULL)
		result = DIRECT_NOT_FOUND;
	else
	{
		status = JobStatusFromDatum(heap_getattr(oldtuple, cols->status,
												 RelationGetDescr(rel), &isnull));
		if (set->skip_same_status && (int) status == to)
			result = DIRECT_UNCHANGED;
		else if (!Refused(to, status))
		{
			newtuple = ApplySet(rel, cols, oldtuple, set, status, &updated);
			newtuple = GuardJobUpdate(rel, oldtuple, newtuple);
			if (WriteJobRow(rel, oldtuple, newtuple, updated))
			{
				RecordJobUpdate(rel, oldtuple, newtuple);
				result = DIRECT_UPDATED;
			}
		}
	}
	/* and, as SPI does after a statement, what it wrote is seen by what follows */
	CommandCounterIncrement();
	PopActiveSnapshot();
	table_close(rel, NoLock);
	return result;
}
