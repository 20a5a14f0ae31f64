/*-------------------------------------------------------------------------
 *
 * group_change.c
 *		Recording a change of a group's jobs for the evaluator, and
 *		deciding whether the worker must look at it at once.
 *
 * A jobtrack.group_change row is how a job writer tells the evaluator that
 * a job of a group moved from one status to another, without touching the
 * group's own row: the table is insert-only for writers, so any number of
 * sessions can change jobs of one group at once without waiting for each
 * other, and the row commits or rolls back with the job change itself.  It
 * is inserted with heap_insert directly, because the table has no index and
 * the writer needs no privilege on it; so the table's INSERT trigger fires
 * only for rows that a restore loads, and marks them restored.
 *
 * Every change wakes the worker at commit, in one of two ways.  A change
 * that may raise an event now wakes it at once: the first job starting in a
 * group, or a job finishing (or an unfinished one deleted) when no other
 * unfinished job of the group is visible.  Any other change wakes it
 * lazily: the first such commit sets the latch, and the worker waits a few
 * milliseconds so one pass takes all of them.  This keeps the worker from
 * running a pass per commit, which would take a CPU from the writers.
 *
 * An unfinished job that another transaction is already finishing or
 * deleting (one still in flight, or one that committed after this
 * snapshot), or this very statement is, does not count: the newer versions
 * of its row say so.  So when two sessions finish a group's last two jobs at
 * once, the one that looks second sees the other's job going and wakes the
 * worker at once, as does one statement that finishes the group's last
 * jobs together.  The session that looked first saw the other job still
 * unfinished and asked for a lazy wake-up; should it commit last, the
 * other's pass ran too early to see its change.  So just before it commits,
 * a transaction that finished a job lazily looks again at the row version
 * that made it lazy, and wakes the worker at once if a transaction has
 * begun to finish that job since.  A commit that becomes visible only
 * after the other's pass (one waiting for a synchronous standby while the
 * other does not) keeps the lazy wake-up's bound.
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/group_change.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/transam.h"
#include "access/xact.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "storage/bufmgr.h"
#include "storage/bufpage.h"
#include "storage/lmgr.h"
#include "storage/procarray.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "group_change.h"
#include "groups.h"
#include "job_guard.h"
#include "spi_util.h"
#include "settings.h"
#include "status.h"
#include "wakeup.h"

/*
 * GroupIsRunning reads whether a group is running, through its primary key
 * and without a privilege check, like the group_change insert it decides
 * about.  A stale answer only delays an event to the next pass.
 */
static bool
GroupIsRunning(int64 group_id)
{
	Oid			status;

	return ReadGroupStatus(group_id, GetActiveSnapshot(), &status) &&
		status == GroupRunningLabel();
}

/*
 * The job that last showed, in this backend, that a group had an unfinished
 * job, one per slot of a small table the group's id picks.  A group's jobs
 * mostly finish one after another while some other job of it stays
 * unfinished (a batch not yet dispatched, a job still running), so reading
 * that job again by its primary key usually answers OtherUnfinishedJob; the
 * index probe reads every entry of the group's unfinished jobs on its leaf
 * page, the dead versions of finished jobs included, several times the work.
 */
#define WITNESS_SLOTS 64

typedef struct UnfinishedWitness
{
	int64		group_id;
	int64		job_id;
} UnfinishedWitness;

static UnfinishedWitness witnesses[WITNESS_SLOTS];

/*
 * The finishes of this transaction that asked for a lazy wake-up because
 * another job of the group looked unfinished: that job and the version of
 * its row that looked so, looked at again just before the commit.  The
 * last few are kept; a transaction that finishes jobs of more groups than
 * that keeps the lazy wake-up's bound for the others.
 */
#define LAZY_FINISH_SLOTS 4

typedef struct LazyFinish
{
	Oid			relid;			/* job_status */
	int64		job_id;			/* the job that looked unfinished */
	ItemPointerData tid;		/* the version of its row that looked so, */
	TransactionId xmin;			/* told from any other by its inserter */
	RelFileNode node;			/* the file it is in: TRUNCATE makes another */
	SubTransactionId subid;		/* the subtransaction that finished a job */
} LazyFinish;

static LazyFinish lazy_finishes[LAZY_FINISH_SLOTS];
static uint32 lazy_finish_count = 0;	/* noted so far; the slots wrap around */

/*
 * How many jobs being finished the index look-up passes before it stops:
 * so many of a group's jobs finishing at once is most likely one statement
 * finishing them, and the worker is woken at once.
 */
#define REPLACED_SKIP_LIMIT 100

/* LazyFinishesKept returns how many of the slots hold notes. */
static int
LazyFinishesKept(void)
{
	return (int) Min(lazy_finish_count, LAZY_FINISH_SLOTS);
}

/* how many newer versions of a row JobBeingFinished follows */
#define VERSION_HOPS 4

/*
 * UpdaterOf returns the transaction that updated or deleted a row version,
 * if it has not aborted (it is in flight, this one included, or it
 * committed), or InvalidTransactionId.  A lock alone does not count.  A
 * transaction in flight at a crash never aborted in the commit log, so
 * "not aborted" is read as "in progress or committed", in the order the
 * visibility checks use.  The caller holds the buffer's share lock.
 */
static TransactionId
UpdaterOf(HeapTupleHeader header)
{
	TransactionId xmax;

	if ((header->t_infomask & HEAP_XMAX_INVALID) ||
		HEAP_XMAX_IS_LOCKED_ONLY(header->t_infomask))
		return InvalidTransactionId;
	xmax = HeapTupleHeaderGetUpdateXid(header);
	if (!TransactionIdIsValid(xmax))
		return InvalidTransactionId;
	if (TransactionIdIsCurrentTransactionId(xmax) || TransactionIdIsInProgress(xmax) ||
		TransactionIdDidCommit(xmax))
		return xmax;
	return InvalidTransactionId;
}

/* VersionFinished says whether a job's row version on a locked page has a finished status. */
static bool
VersionFinished(Relation rel, const JobColumns *cols, HeapTupleHeader header, ItemId item,
				ItemPointer tid)
{
	HeapTupleData tuple;
	bool		isnull;
	Datum		status;

	tuple.t_data = header;
	tuple.t_len = ItemIdGetLength(item);
	tuple.t_tableOid = RelationGetRelid(rel);
	tuple.t_self = *tid;
	status = heap_getattr(&tuple, cols->status, RelationGetDescr(rel), &isnull);
	return isnull || JobStatusIsFinished(JobStatusFromDatum(status));
}

/*
 * JobBeingFinished says whether the job whose unfinished row version is at
 * tid is being finished or deleted: it follows the version's updates, by
 * transactions that have not aborted, and reads each newer version's
 * status.  Updates that leave the job unfinished (a start, a heartbeat or
 * progress written to the row, the worker's flush of live progress) do not
 * count.  xmin, when valid, is the version's inserter, to tell it from a
 * row that took its line pointer after it was pruned.  Anything it cannot
 * follow (a version pruned, a longer chain) counts as finishing: at worst
 * the worker runs a pass it did not need.
 */
static bool
JobBeingFinished(Relation rel, ItemPointer tid, TransactionId xmin)
{
	const JobColumns *cols = JobStatusColumns(rel);
	ItemPointerData at = *tid;
	int			hop;

	for (hop = 0; hop < VERSION_HOPS; hop++)
	{
		Buffer		buffer = ReadBuffer(rel, ItemPointerGetBlockNumber(&at));
		OffsetNumber offset = ItemPointerGetOffsetNumber(&at);
		Page		page;
		ItemId		item;
		HeapTupleHeader header;
		TransactionId updater;
		int			verdict = -1;	/* -1: follow on; 0: not finishing; 1: finishing */

		LockBuffer(buffer, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buffer);
		item = offset <= PageGetMaxOffsetNumber(page) ? PageGetItemId(page, offset) : NULL;
		if (item == NULL || !ItemIdIsNormal(item))
			verdict = 1;
		else
		{
			header = (HeapTupleHeader) PageGetItem(page, item);
			updater = UpdaterOf(header);
			if (TransactionIdIsValid(xmin) && HeapTupleHeaderGetRawXmin(header) != xmin)
				verdict = 1;
			/* the first version is the unfinished one; the newer ones are read */
			else if (hop > 0 && VersionFinished(rel, cols, header, item, &at))
				verdict = 1;
			else if (!TransactionIdIsValid(updater))
				verdict = 0;
			else if (ItemPointerEquals(&header->t_ctid, &at))
				verdict = 1;	/* deleted */
			else
			{
				at = header->t_ctid;
				xmin = updater;
			}
		}
		UnlockReleaseBuffer(buffer);
		if (verdict >= 0)
			return verdict == 1;
	}
	return true;
}

/*
 * RowBeingFinished says whether the job whose row version, read in the
 * current snapshot, is in slot is being finished or deleted: by a
 * transaction in flight (this one included, for a version its current
 * statement replaced), or by one that committed after the snapshot.  Most
 * rows have no updater: the slot's buffer tells so without a read.
 */
static bool
RowBeingFinished(Relation rel, TupleTableSlot *slot)
{
	BufferHeapTupleTableSlot *bslot = (BufferHeapTupleTableSlot *) slot;
	bool		updated;

	if (!TTS_IS_BUFFERTUPLE(slot) || !BufferIsValid(bslot->buffer))
		return false;
	LockBuffer(bslot->buffer, BUFFER_LOCK_SHARE);
	updated = TransactionIdIsValid(UpdaterOf(bslot->base.tuple->t_data));
	LockBuffer(bslot->buffer, BUFFER_LOCK_UNLOCK);
	return updated && JobBeingFinished(rel, &slot->tts_tid, InvalidTransactionId);
}

/*
 * IsUnfinishedJobOf says whether job_id is, in the current snapshot, an
 * unfinished job of the group that no transaction is finishing.
 */
static bool
IsUnfinishedJobOf(Relation rel, TupleTableSlot *slot, int64 job_id, int64 group_id)
{
	const JobColumns *cols = JobStatusColumns(rel);
	bool		isnull;
	Datum		value;

	if (!FetchByPrimaryKey(rel, job_id, GetActiveSnapshot(), AccessShareLock, slot))
		return false;
	value = slot_getattr(slot, cols->group_id, &isnull);
	if (isnull || DatumGetInt64(value) != group_id)
		return false;
	value = slot_getattr(slot, cols->status, &isnull);
	return !isnull && !JobStatusIsFinished(JobStatusFromDatum(value)) &&
		!RowBeingFinished(rel, slot);
}

/*
 * FindUnfinishedJob returns an unfinished job of the group other than
 * job_id in the current snapshot that no transaction is finishing, through
 * the (group_id, status) index, or 0 when there is none or when
 * REPLACED_SKIP_LIMIT jobs being finished came first.
 */
static int64
FindUnfinishedJob(Relation rel, TupleTableSlot *slot, int64 group_id, int64 job_id)
{
	Relation	index = index_open(JobtrackRelid("job_status_group_idx"), AccessShareLock);
	AttrNumber	id_attno = JobStatusColumns(rel)->id;
	IndexScanDesc scan;
	ScanKeyData keys[2];
	int64		found = 0;
	int			skipped = 0;

	ScanKeyInit(&keys[0], 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(group_id));
	ScanKeyInit(&keys[1], 2, BTLessStrategyNumber, F_ENUM_LT, JobStatusGetDatum(JOB_SUCCEEDED));
	scan = index_beginscan(rel, index, GetActiveSnapshot(), 2, 0);
	index_rescan(scan, keys, 2, NULL, 0);
	while (found == 0 && skipped < REPLACED_SKIP_LIMIT &&
		   index_getnext_slot(scan, ForwardScanDirection, slot))
	{
		bool		isnull;
		int64		id = DatumGetInt64(slot_getattr(slot, id_attno, &isnull));

		if (id == job_id)
			continue;
		if (RowBeingFinished(rel, slot))
			skipped++;
		else
			found = id;
	}
	index_endscan(scan);
	/* kept to the end of the transaction, as a statement's are: taken again cheaply */
	index_close(index, NoLock);
	return found;
}

/*
 * NoteLazyFinish notes, for the look before the commit, the row version of
 * another job that made a finish wake the worker lazily.
 */
static void
NoteLazyFinish(Relation rel, int64 job_id, TupleTableSlot *slot)
{
	BufferHeapTupleTableSlot *bslot = (BufferHeapTupleTableSlot *) slot;
	LazyFinish *note;
	int			i;

	if (!JobtrackPreloaded() || !TTS_IS_BUFFERTUPLE(slot))
		return;					/* no worker to wake, or no heap row */
	for (i = 0; i < LazyFinishesKept(); i++)
		if (lazy_finishes[i].job_id == job_id &&
			ItemPointerEquals(&lazy_finishes[i].tid, &slot->tts_tid))
			return;
	note = &lazy_finishes[lazy_finish_count++ % LAZY_FINISH_SLOTS];
	note->relid = RelationGetRelid(rel);
	note->job_id = job_id;
	note->tid = slot->tts_tid;
	/* set when the row was inserted, never changed after */
	note->xmin = HeapTupleHeaderGetRawXmin(bslot->base.tuple->t_data);
	note->node = rel->rd_node;
	note->subid = GetCurrentSubTransactionId();
}

/*
 * OtherUnfinishedJob says whether the group has an unfinished job other
 * than job_id in the current snapshot: the group's witness if it still is
 * one, else whatever job the index finds, which becomes the witness.  The
 * job found is noted for the look before the commit.
 */
static bool
OtherUnfinishedJob(int64 group_id, int64 job_id)
{
	Relation	rel = table_open(JobtrackRelid("job_status"), AccessShareLock);
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	UnfinishedWitness *witness = &witnesses[(uint64) group_id % WITNESS_SLOTS];
	bool		found;

	found = witness->group_id == group_id && witness->job_id != job_id &&
		IsUnfinishedJobOf(rel, slot, witness->job_id, group_id);
	if (!found)
	{
		int64		other = FindUnfinishedJob(rel, slot, group_id, job_id);

		found = other != 0;
		if (found)
		{
			witness->group_id = group_id;
			witness->job_id = other;
		}
	}
	if (found)
		NoteLazyFinish(rel, witness->job_id, slot);
	ExecDropSingleTupleTableSlot(slot);
	table_close(rel, NoLock);
	return found;
}

/*
 * NoteStillUnfinished looks again at a noted row version: true while its
 * job is unfinished and no other transaction is finishing it.  The note is
 * read only while this transaction still holds its lock on the table and
 * the table has the file it was noted in: TRUNCATE or a rewrite in the
 * same transaction gives it another, maybe shorter, and then the worker is
 * woken at once rather than the block read.
 */
static bool
NoteStillUnfinished(Relation rel, const LazyFinish *note)
{
	if (rel->rd_rel->relkind != RELKIND_RELATION ||
		!RelFileNodeEquals(rel->rd_node, note->node) ||
		rel->rd_createSubid != InvalidSubTransactionId ||
		rel->rd_firstRelfilenodeSubid != InvalidSubTransactionId ||
		!CheckRelationLockedByMe(rel, AccessShareLock, true))
		return false;
	return !JobBeingFinished(rel, (ItemPointer) &note->tid, note->xmin);
}

/*
 * RecheckLazyFinishes runs just before the commit: if a row version that
 * made one of this transaction's finishes lazy has changed since, another
 * transaction is finishing (or has finished) that job, and the worker is
 * woken at once.
 */
static void
RecheckLazyFinishes(void)
{
	int			n = LazyFinishesKept();
	bool		changed = false;
	int			i;

	for (i = 0; i < n && !changed; i++)
	{
		/* no lock taken: NoteStillUnfinished reads it only under the write's */
		Relation	rel = RelationIdGetRelation(lazy_finishes[i].relid);

		if (rel == NULL)
			continue;
		changed = !NoteStillUnfinished(rel, &lazy_finishes[i]);
		RelationClose(rel);
	}
	if (changed)
		WakeWorkerAtCommit(true);
}

/* GroupChangeAtTransactionEnd looks again before the commit, and forgets the notes. */
static void
GroupChangeAtTransactionEnd(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_PRE_COMMIT && lazy_finish_count > 0 && jobtrack_instant_events)
		RecheckLazyFinishes();
	/* every end, so a note made by a later pre-commit callback goes too */
	lazy_finish_count = 0;
}

/*
 * GroupChangeAtSubTransactionAbort forgets the notes of a rolled-back
 * subtransaction and its children: its lock on job_status goes with it.
 */
static void
GroupChangeAtSubTransactionAbort(SubXactEvent event, SubTransactionId mySubid,
								 SubTransactionId parentSubid, void *arg)
{
	int			kept = 0;
	int			i;

	if (event != SUBXACT_EVENT_ABORT_SUB)
		return;
	for (i = 0; i < LazyFinishesKept(); i++)
		if (lazy_finishes[i].subid < mySubid)
			lazy_finishes[kept++] = lazy_finishes[i];
	lazy_finish_count = kept;
}

/* GroupChangeRegisterCallbacks installs the transaction callbacks; called while preloading. */
void
GroupChangeRegisterCallbacks(void)
{
	RegisterXactCallback(GroupChangeAtTransactionEnd, NULL);
	RegisterSubXactCallback(GroupChangeAtSubTransactionAbort, NULL);
}

/* MayRaiseEventNow says whether a change may move its group to another status. */
static bool
MayRaiseEventNow(int64 group_id, int64 job_id, int old_status, int new_status)
{
	bool		finishes;

	if (new_status == JOB_STARTED)
		return !GroupIsRunning(group_id);
	if (new_status == NO_JOB_STATUS)
		finishes = !JobStatusIsFinished((JobStatus) old_status);
	else
		finishes = JobStatusIsFinished((JobStatus) new_status) &&
			(old_status == NO_JOB_STATUS || !JobStatusIsFinished((JobStatus) old_status));
	return finishes && !OtherUnfinishedJob(group_id, job_id);
}

/*
 * InsertChangeRow inserts one change into rel, jobtrack.group_change or a
 * shard of jobtrack.group_change_outbox (which has no restored column),
 * straight into the heap: the writer needs no privilege on it, and the
 * table's INSERT trigger is kept for rows a restore loads.  Returns the
 * block the row went to.
 */
BlockNumber
InsertChangeRow(Relation rel, int64 group_id, int64 job_id, int old_status, int new_status,
				TimestampTz at)
{
	int			natts = RelationGetDescr(rel)->natts;
	Datum		values[GROUP_CHANGE_COLUMNS];
	bool		nulls[GROUP_CHANGE_COLUMNS] = {false};
	HeapTuple	tuple;
	BlockNumber block;

	/* a 1.1 schema, before ALTER EXTENSION UPDATE, and the outbox lack the last column */
	if (natts != GROUP_CHANGE_COLUMNS && natts != GROUP_CHANGE_COLUMNS - 1)
		elog(ERROR, "%s has %d columns, expected %d",
			 RelationGetRelationName(rel), natts, GROUP_CHANGE_COLUMNS);

	values[0] = Int64GetDatum(group_id);
	values[1] = Int64GetDatum(job_id);
	values[2] = old_status == NO_JOB_STATUS ? (Datum) 0 : JobStatusGetDatum(old_status);
	nulls[2] = old_status == NO_JOB_STATUS;
	values[3] = new_status == NO_JOB_STATUS ? (Datum) 0 : JobStatusGetDatum(new_status);
	nulls[3] = new_status == NO_JOB_STATUS;
	values[4] = TimestampTzGetDatum(at);
	values[5] = BoolGetDatum(false);	/* written now, not restored from a dump */

	tuple = heap_form_tuple(RelationGetDescr(rel), values, nulls);
	simple_heap_insert(rel, tuple);
	block = ItemPointerGetBlockNumber(&tuple->t_self);
	heap_freetuple(tuple);
	return block;
}

/*
 * RecordGroupChange records that a job of a group moved from old_status to
 * new_status (NO_JOB_STATUS for a row inserted or deleted), and asks for the
 * worker to be woken at commit, at once if the change may raise an event,
 * and to drain from the row's block on (wakeup.c).
 */
void
RecordGroupChange(int64 group_id, int64 job_id, int old_status, int new_status)
{
	Relation	rel = table_open(JobtrackRelid("group_change"), RowExclusiveLock);

	NoteChangeBlock(InsertChangeRow(rel, group_id, job_id, old_status, new_status,
									GetCurrentTimestamp()));
	table_close(rel, NoLock);

	/* once the commit wakes the worker at once, no later change needs a look-up */
	WakeWorkerAtCommit(WakeAtCommitIsUrgent() ||
					   MayRaiseEventNow(group_id, job_id, old_status, new_status));
}

/*
 * SQL-callable: trigger jobtrack_internal.group_change_restored(), BEFORE
 * INSERT FOR EACH ROW.  Changes are written straight into the heap, so it
 * fires only for rows that SQL loads, a restore: it marks them restored,
 * and makes the worker's next drain read the whole table (wakeup.c), since
 * no commit tells the block of such a row.
 */
PG_FUNCTION_INFO_V1(jobtrack_group_change_restored);
Datum
jobtrack_group_change_restored(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	int			column;
	Datum		value = BoolGetDatum(true);
	bool		isnull = false;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) || !TRIGGER_FIRED_FOR_ROW(trigdata->tg_event))
		elog(ERROR, "jobtrack_internal.group_change_restored() must run as a BEFORE INSERT ROW trigger");
	column = SPI_fnumber(RelationGetDescr(trigdata->tg_relation), "restored");
	if (column <= 0)
		elog(ERROR, "%s has no column restored", RelationGetRelationName(trigdata->tg_relation));
	NoteChangeBlock(0);
	return PointerGetDatum(heap_modify_tuple_by_cols(trigdata->tg_trigtuple,
													 RelationGetDescr(trigdata->tg_relation),
													 1, &column, &value, &isnull));
}

