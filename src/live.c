/*-------------------------------------------------------------------------
 *
 * live.c
 *		Live progress: the progress and heartbeats of started jobs, kept in
 *		shared memory and flushed to job_status by the worker.
 *
 * Half of a job's writes only say "25 %, 50 %, 75 %" or "still alive".
 * Made durable, each is a transaction that takes an xid, writes WAL and
 * waits for its flush.  With jobtrack preloaded, set_progress() and
 * heartbeat() of a started job write a slot of a shared hash table instead:
 * no xid, no WAL, and every session sees the value at once, also while the
 * writer's own transaction is open, and still after it rolls back (shared
 * memory is not transactional, which is what makes the value live).
 *
 * The stored columns catch up in two ways.  The worker flushes the slots
 * of its database once per jobtrack.live_flush_interval, in one statement
 * that skips rows an application transaction holds locked.  And any other
 * update of a job row carries the slot's values into the columns it does
 * not set itself (job_guard.c), then forgets the slot when it commits: a
 * status change writes the final progress in its own transaction.  A crash
 * loses at most the values written since the last flush; statuses never
 * pass through here.
 *
 * A slot is written only when the live path is open (preloaded, the
 * setting on, not in recovery, a worker serving this database, the caller
 * allowed to UPDATE job_status without row-level security) and the caller
 * sees the job started.  Otherwise, or when every slot is taken, the write
 * takes the table path with the same result.
 *
 * A slot's version counts its writes; the flush records the version it
 * stored, so a write that races with a flush is never marked stored, and a
 * slot is forgotten only if no write came after the one that was stored.
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/live.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "port/atomics.h"
#include "storage/lmgr.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

#include "citus.h"
#include "live.h"
#include "settings.h"
#include "spi_util.h"
#include "wakeup.h"

#define LIVE_PARTITIONS 16
/* a numeric of 0 to 100 with up to about 30 digits fits; a longer one takes the table path */
#define LIVE_NUMERIC_BYTES 24
/* the most slots one flush writes; the rest wait for the next */
#define LIVE_FLUSH_BATCH 10000
/* every how many flushes the slots already stored are checked for finished jobs */
#define LIVE_SWEEP_EVERY 10
/* how long a slot whose job the flush cannot see is kept after its last write */
#define LIVE_ORPHAN_MS (10 * 60 * 1000)

#define LIVE_HAS_PERCENTAGE 0x01
#define LIVE_HAS_COUNT		0x02
#define LIVE_HAS_HEARTBEAT	0x04

typedef struct LiveKey
{
	Oid			dbid;
	int64		job_id;
} LiveKey;

/* one job's live values: 88 bytes, 112 with the hash element's header */
typedef struct LiveSlot
{
	LiveKey		key;
	uint32		version;		/* writes so far */
	uint32		stored;			/* the version the last flush stored */
	int64		current;
	int64		total;
	TimestampTz heartbeat_at;
	TimestampTz written_at;
	uint8		flags;
	char		percentage[LIVE_NUMERIC_BYTES];
} LiveSlot;

typedef struct LiveShared
{
	pg_atomic_uint32 used;		/* slots taken, of jobtrack.live_slots */
	pg_atomic_uint64 full;		/* writes that found every slot taken */
} LiveShared;

/* what this transaction does to slots when it commits */
typedef enum LiveActionKind
{
	LIVE_FORGET,				/* remove the slot if not written since */
	LIVE_STORED,				/* the slot's values up to version are stored */
	LIVE_FORGET_DATABASE		/* remove every slot of database dbid */
} LiveActionKind;

typedef struct LiveAction
{
	int64		job_id;
	Oid			dbid;			/* LIVE_FORGET_DATABASE only */
	uint32		version;
	LiveActionKind kind;
	SubTransactionId subid;
} LiveAction;

static LiveShared *live_shared = NULL;
static HTAB *live_table = NULL;
static LWLockPadded *live_locks = NULL;
static int	live_capacity = 0;

static LiveAction *actions = NULL;
static int	action_count = 0;
static int	action_space = 0;
static bool flushing = false;
static int	flushes = 0;

/* LiveShmemSize is the shared memory the live table needs. */
Size
LiveShmemSize(void)
{
	if (jobtrack_live_slots <= 0)
		return 0;
	return add_size(MAXALIGN(sizeof(LiveShared)),
					hash_estimate_size(jobtrack_live_slots, sizeof(LiveSlot)));
}

/* LiveRequestLocks asks for the partition locks; called while preloading. */
void
LiveRequestLocks(void)
{
	if (jobtrack_live_slots > 0)
		RequestNamedLWLockTranche("jobtrack live progress", LIVE_PARTITIONS);
}

/* LiveShmemInit attaches to (or creates) the live table; AddinShmemInitLock is held. */
void
LiveShmemInit(void)
{
	HASHCTL		info;
	bool		found;

	if (jobtrack_live_slots <= 0)
		return;
	live_shared = ShmemInitStruct("jobtrack live progress state", sizeof(LiveShared), &found);
	if (!found)
	{
		pg_atomic_init_u32(&live_shared->used, 0);
		pg_atomic_init_u64(&live_shared->full, 0);
	}
	info.keysize = sizeof(LiveKey);
	info.entrysize = sizeof(LiveSlot);
	info.num_partitions = LIVE_PARTITIONS;
	live_table = ShmemInitHash("jobtrack live progress", jobtrack_live_slots, jobtrack_live_slots,
							   &info, HASH_ELEM | HASH_BLOBS | HASH_PARTITION | HASH_FIXED_SIZE);
	live_locks = GetNamedLWLockTranche("jobtrack live progress");
	live_capacity = jobtrack_live_slots;
}

/*
 * LockSlot fills the key of a job of this database and its hash, and takes
 * the lock of the key's partition; the caller releases it.
 */
static LWLock *
LockSlot(int64 job_id, LWLockMode mode, LiveKey *key, uint32 *hash)
{
	LWLock	   *lock;

	memset(key, 0, sizeof(LiveKey));	/* the padding is hashed too */
	key->dbid = MyDatabaseId;
	key->job_id = job_id;
	*hash = get_hash_value(live_table, key);
	lock = &live_locks[*hash % LIVE_PARTITIONS].lock;
	LWLockAcquire(lock, mode);
	return lock;
}

/* LiveAnySlots is a cheap first test for readers: no slot in the whole cluster. */
bool
LiveAnySlots(void)
{
	return live_table != NULL && pg_atomic_read_u32(&live_shared->used) > 0;
}

/*
 * LivePathOpen says whether a write may go to a slot: the caller must be
 * able to UPDATE job_status with no row-level security in its way, since
 * the slot is later written to the row by the worker, which bypasses both.
 * Where jobtrack is distributed over a Citus cluster (citus.c) the rows are
 * read on the nodes of their shards, whose slots these are not: progress
 * goes to the rows.  The caller is connected to SPI.
 */
bool
LivePathOpen(void)
{
	if (live_table == NULL || !jobtrack_live_progress || RecoveryInProgress() ||
		XactReadOnly || !JobtrackDatabaseServed(MyDatabaseId) ||
		!JobtrackSchemaHasLive() || JobtrackNodeRole() != JOBTRACK_LOCAL)
		return false;
	return LiveCallerSeesAllJobs(ACL_UPDATE);
}

/*
 * LiveCallerSeesAllJobs says whether the current user has the privilege
 * mode on job_status with no row-level security in its way: what a caller
 * needs to read or write slots, which do not know whose job they hold.
 */
bool
LiveCallerSeesAllJobs(AclMode mode)
{
	return TableOpenToCaller(JobtrackRelid("job_status"), mode);
}

/*
 * LiveReadAllowed says whether the caller may read slots.  A caller that
 * row-level security filters, or that may not read job_status at all,
 * reads the stored values only, which is what it sees of its own jobs
 * anyway (its writes go to the rows).
 */
bool
LiveReadAllowed(void)
{
	return LiveCallerSeesAllJobs(ACL_SELECT);
}

/*
 * WriteSlot applies a write to the job's slot, taking a free slot if it has
 * none; false if every slot is taken.
 */
static bool
WriteSlot(int64 job_id, uint8 flags, Numeric percentage, int64 current, int64 total)
{
	TimestampTz now = GetCurrentTimestamp();
	LiveKey		key;
	uint32		hash;
	LWLock	   *lock;
	LiveSlot   *slot;
	bool		found;

	lock = LockSlot(job_id, LW_EXCLUSIVE, &key, &hash);
	slot = hash_search_with_hash_value(live_table, &key, hash, HASH_FIND, NULL);
	if (slot == NULL)
	{
		if (pg_atomic_fetch_add_u32(&live_shared->used, 1) >= (uint32) live_capacity ||
			(slot = hash_search_with_hash_value(live_table, &key, hash,
												HASH_ENTER_NULL, &found)) == NULL)
		{
			pg_atomic_fetch_sub_u32(&live_shared->used, 1);
			LWLockRelease(lock);
			pg_atomic_fetch_add_u64(&live_shared->full, 1);
			return false;
		}
		slot->version = 0;
		slot->stored = 0;
		slot->flags = 0;
	}
	if (flags & LIVE_HAS_PERCENTAGE)
		memcpy(slot->percentage, percentage, VARSIZE(percentage));
	if (flags & LIVE_HAS_COUNT)
	{
		slot->current = current;
		slot->total = total;
	}
	if (flags & LIVE_HAS_HEARTBEAT)
		slot->heartbeat_at = now;
	slot->flags |= flags;
	slot->written_at = now;
	if (++slot->version == slot->stored)	/* after 2^32 writes */
		++slot->version;
	LWLockRelease(lock);
	return true;
}

/* FitsSlot says whether a percentage fits a slot. */
static bool
FitsSlot(Numeric percentage)
{
	return VARSIZE(percentage) <= LIVE_NUMERIC_BYTES && !VARATT_IS_EXTENDED(percentage);
}

/* LiveSetPercentage writes a started job's percentage live; false: take the table path. */
bool
LiveSetPercentage(int64 job_id, Numeric percentage)
{
	return FitsSlot(percentage) &&
		WriteSlot(job_id, LIVE_HAS_PERCENTAGE, percentage, 0, 0);
}

/* LiveSetCount writes a started job's current, total and percentage live. */
bool
LiveSetCount(int64 job_id, int64 current, int64 total, Numeric percentage)
{
	return FitsSlot(percentage) &&
		WriteSlot(job_id, LIVE_HAS_PERCENTAGE | LIVE_HAS_COUNT, percentage, current, total);
}

/* LiveHeartbeat records a started job's heartbeat live, at the time of the call. */
bool
LiveHeartbeat(int64 job_id)
{
	return WriteSlot(job_id, LIVE_HAS_HEARTBEAT, NULL, 0, 0);
}

/*
 * LiveLookup copies the job's live values, if it has a slot; the
 * percentage is palloc'd in the current memory context.
 */
bool
LiveLookup(int64 job_id, LiveValues *values)
{
	LiveKey		key;
	uint32		hash;
	LWLock	   *lock;
	LiveSlot   *slot;
	char		percentage[LIVE_NUMERIC_BYTES];

	if (!LiveAnySlots())
		return false;
	lock = LockSlot(job_id, LW_SHARED, &key, &hash);
	slot = hash_search_with_hash_value(live_table, &key, hash, HASH_FIND, NULL);
	if (slot != NULL)
	{
		values->has_percentage = (slot->flags & LIVE_HAS_PERCENTAGE) != 0;
		values->has_count = (slot->flags & LIVE_HAS_COUNT) != 0;
		values->has_heartbeat = (slot->flags & LIVE_HAS_HEARTBEAT) != 0;
		values->current = slot->current;
		values->total = slot->total;
		values->heartbeat_at = slot->heartbeat_at;
		values->version = slot->version;
		if (values->has_percentage)
			memcpy(percentage, slot->percentage, LIVE_NUMERIC_BYTES);
	}
	LWLockRelease(lock);
	if (slot == NULL)
		return false;
	values->percentage = NULL;
	if (values->has_percentage)
	{
		values->percentage = palloc(VARSIZE(percentage));
		memcpy(values->percentage, percentage, VARSIZE(percentage));
	}
	return true;
}

/* AddAction queues what to do to a slot when this transaction commits. */
static void
AddAction(int64 job_id, uint32 version, LiveActionKind kind)
{
	if (action_count == action_space)
	{
		int			space = Max(action_space * 2, 16);

		if (actions == NULL)
			actions = MemoryContextAlloc(TopTransactionContext, space * sizeof(LiveAction));
		else
			actions = repalloc(actions, space * sizeof(LiveAction));
		action_space = space;
	}
	actions[action_count].job_id = job_id;
	actions[action_count].dbid = MyDatabaseId;
	actions[action_count].version = version;
	actions[action_count].kind = kind;
	actions[action_count].subid = GetCurrentSubTransactionId();
	action_count++;
}

/*
 * LiveForgetAtCommit removes the job's slot when this transaction commits,
 * unless it was written after version: the row now holds its values.
 */
void
LiveForgetAtCommit(int64 job_id, uint32 version)
{
	AddAction(job_id, version, LIVE_FORGET);
}

/* LockAllPartitions takes every partition's lock, for a scan of the whole table. */
static void
LockAllPartitions(LWLockMode mode)
{
	int			i;

	for (i = 0; i < LIVE_PARTITIONS; i++)
		LWLockAcquire(&live_locks[i].lock, mode);
}

/* UnlockAllPartitions releases what LockAllPartitions took. */
static void
UnlockAllPartitions(void)
{
	int			i;

	for (i = LIVE_PARTITIONS - 1; i >= 0; i--)
		LWLockRelease(&live_locks[i].lock);
}

/*
 * LiveForgetDatabaseAtCommit removes every slot of a database when this
 * transaction commits: its jobs are gone (DROP DATABASE, DROP EXTENSION,
 * TRUNCATE), and ids handed out again must not find their old slots.
 */
void
LiveForgetDatabaseAtCommit(Oid dbid)
{
	if (live_table == NULL)
		return;
	AddAction(0, 0, LIVE_FORGET_DATABASE);
	actions[action_count - 1].dbid = dbid;
}

/* ForgetDatabase removes every slot of a database, after the commit. */
static void
ForgetDatabase(Oid dbid)
{
	HASH_SEQ_STATUS status;
	LiveSlot   *slot;

	LockAllPartitions(LW_EXCLUSIVE);
	hash_seq_init(&status, live_table);
	while ((slot = hash_seq_search(&status)) != NULL)
	{
		LiveKey		key = slot->key;

		if (key.dbid != dbid)
			continue;

		/* dynahash allows removing the element just returned */
		hash_search(live_table, &key, HASH_REMOVE, NULL);
		pg_atomic_fetch_sub_u32(&live_shared->used, 1);
	}
	UnlockAllPartitions();
}

/* ApplyAction does one queued action, after the commit. */
static void
ApplyAction(const LiveAction *action)
{
	LiveKey		key;
	uint32		hash;
	LWLock	   *lock;
	LiveSlot   *slot;

	if (action->kind == LIVE_FORGET_DATABASE)
	{
		ForgetDatabase(action->dbid);
		return;
	}
	lock = LockSlot(action->job_id, LW_EXCLUSIVE, &key, &hash);
	slot = hash_search_with_hash_value(live_table, &key, hash, HASH_FIND, NULL);
	if (slot != NULL && action->kind == LIVE_STORED)
		slot->stored = action->version;
	else if (slot != NULL && slot->version == action->version)
	{
		hash_search_with_hash_value(live_table, &key, hash, HASH_REMOVE, NULL);
		pg_atomic_fetch_sub_u32(&live_shared->used, 1);
	}
	LWLockRelease(lock);
}

/* LiveAtTransactionEnd applies the queued actions at commit, and forgets them. */
static void
LiveAtTransactionEnd(XactEvent event, void *arg)
{
	int			i;

	if (event != XACT_EVENT_COMMIT && event != XACT_EVENT_PARALLEL_COMMIT &&
		event != XACT_EVENT_ABORT && event != XACT_EVENT_PARALLEL_ABORT &&
		event != XACT_EVENT_PREPARE)
		return;
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT)
		for (i = 0; i < action_count; i++)
			ApplyAction(&actions[i]);

	/*
	 * A prepared transaction commits in a backend that knows nothing of it,
	 * so the slots its changes forget are forgotten now: were one kept, its
	 * values would later overwrite what the transaction wrote.  Should it
	 * roll back instead, the job keeps its stored values, as after a crash.
	 * A flush's "stored" marks wait for a commit that may never come.
	 */
	if (event == XACT_EVENT_PREPARE)
		for (i = 0; i < action_count; i++)
			if (actions[i].kind != LIVE_STORED)
				ApplyAction(&actions[i]);
	/* the array lives in TopTransactionContext, which goes with the transaction */
	actions = NULL;
	action_count = 0;
	action_space = 0;
	flushing = false;
}

/* LiveAtSubTransactionAbort drops the actions of a rolled-back subtransaction and its children. */
static void
LiveAtSubTransactionAbort(SubXactEvent event, SubTransactionId mySubid,
						  SubTransactionId parentSubid, void *arg)
{
	int			kept = 0;
	int			i;

	if (event != SUBXACT_EVENT_ABORT_SUB)
		return;
	for (i = 0; i < action_count; i++)
		if (actions[i].subid < mySubid)
			actions[kept++] = actions[i];
	action_count = kept;
}

/* LiveRegisterCallbacks installs the transaction callbacks; called from _PG_init. */
void
LiveRegisterCallbacks(void)
{
	RegisterXactCallback(LiveAtTransactionEnd, NULL);
	RegisterSubXactCallback(LiveAtSubTransactionAbort, NULL);
}

/* LiveFlushing is true while the flush writes slots to their rows. */
bool
LiveFlushing(void)
{
	return flushing;
}

/* one slot of this database, copied for a flush */
typedef struct FlushItem
{
	int64		job_id;
	uint32		version;
	bool		stored;
	bool		orphan_age;		/* last written longer ago than LIVE_ORPHAN_MS */
	uint8		flags;
	int64		current;
	int64		total;
	TimestampTz heartbeat_at;
	char		percentage[LIVE_NUMERIC_BYTES];
} FlushItem;

/*
 * CollectSlots copies up to LIVE_FLUSH_BATCH slots of this database: those
 * not stored yet, and with sweep those already stored as well.
 */
static int
CollectSlots(FlushItem *items, bool sweep)
{
	TimestampTz orphan_before = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), -LIVE_ORPHAN_MS);
	HASH_SEQ_STATUS status;
	LiveSlot   *slot;
	int			n = 0;

	LockAllPartitions(LW_SHARED);
	hash_seq_init(&status, live_table);
	while ((slot = hash_seq_search(&status)) != NULL)
	{
		FlushItem  *item = &items[n];

		if (slot->key.dbid != MyDatabaseId || (slot->version == slot->stored && !sweep))
			continue;
		item->job_id = slot->key.job_id;
		item->version = slot->version;
		item->stored = slot->version == slot->stored;
		item->orphan_age = slot->written_at < orphan_before;
		item->flags = slot->flags;
		item->current = slot->current;
		item->total = slot->total;
		item->heartbeat_at = slot->heartbeat_at;
		memcpy(item->percentage, slot->percentage, LIVE_NUMERIC_BYTES);
		if (++n == LIVE_FLUSH_BATCH)
		{
			hash_seq_term(&status);
			break;
		}
	}
	UnlockAllPartitions();
	return n;
}

/*
 * The flush: rows it could lock and that are started get the slots' values
 * (1); rows it locked that are no longer started (2) and rows it cannot see
 * (3) lose their slots; rows another transaction holds are left for the
 * next flush (0).  Slots already stored are only checked (sweep): their job
 * must still be started.
 */
static SavedQuery flush_query = {
	"WITH v AS (SELECT * FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.int8[]),"
	"   pg_catalog.unnest($2::pg_catalog.numeric[]), pg_catalog.unnest($3::pg_catalog.int8[]),"
	"   pg_catalog.unnest($4::pg_catalog.int8[]), pg_catalog.unnest($5::pg_catalog.timestamptz[]),"
	"   pg_catalog.unnest($6::pg_catalog.bool[]))"
	"   WITH ORDINALITY AS v(id, pct, cur, tot, hb, stored, n)),"
" l AS (SELECT j.id, j.status FROM jobtrack.job_status j"
	"   WHERE j.id OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT id FROM v WHERE NOT stored))"
	"   FOR UPDATE OF j SKIP LOCKED),"
	" u AS (UPDATE jobtrack.job_status j SET"
	"   percentage = COALESCE(v.pct, j.percentage),"
	"   progress_current = COALESCE(v.cur, j.progress_current),"
	"   progress_total = COALESCE(v.tot, j.progress_total),"
	"   heartbeat_at = COALESCE(v.hb, j.heartbeat_at)"
	"   FROM v, l WHERE j.id OPERATOR(pg_catalog.=) v.id AND l.id OPERATOR(pg_catalog.=) v.id"
	"   AND l.status OPERATOR(pg_catalog.=) 'started'::jobtrack.status RETURNING j.id)"
	" SELECT v.n, CASE"
	"   WHEN v.stored THEN CASE WHEN EXISTS (SELECT 1 FROM jobtrack.job_status j"
	"     WHERE j.id OPERATOR(pg_catalog.=) v.id AND j.status OPERATOR(pg_catalog.=) 'started'::jobtrack.status)"
	"     THEN 0 ELSE 2 END"
	"   WHEN EXISTS (SELECT 1 FROM u WHERE u.id OPERATOR(pg_catalog.=) v.id) THEN 1"
	"   WHEN EXISTS (SELECT 1 FROM l WHERE l.id OPERATOR(pg_catalog.=) v.id) THEN 2"
	"   WHEN NOT EXISTS (SELECT 1 FROM jobtrack.job_status j WHERE j.id OPERATOR(pg_catalog.=) v.id) THEN 3"
	"   ELSE 0 END::pg_catalog.int8"
	" FROM v",
	6, {INT8ARRAYOID, NUMERICARRAYOID, INT8ARRAYOID, INT8ARRAYOID, TIMESTAMPTZARRAYOID, BOOLARRAYOID},
	false
};

/* ItemArrays builds the six arrays of the flush query from the copied slots. */
static void
ItemArrays(FlushItem *items, int n, Datum *arrays)
{
	Datum	   *ids = palloc(n * sizeof(Datum));
	Datum	   *pcts = palloc(n * sizeof(Datum));
	Datum	   *curs = palloc(n * sizeof(Datum));
	Datum	   *tots = palloc(n * sizeof(Datum));
	Datum	   *hbs = palloc(n * sizeof(Datum));
	Datum	   *stored = palloc(n * sizeof(Datum));
	bool	   *no_pct = palloc(n * sizeof(bool));
	bool	   *no_count = palloc(n * sizeof(bool));
	bool	   *no_hb = palloc(n * sizeof(bool));
	int			dims[1] = {n};
	int			lbs[1] = {1};
	int			i;

	for (i = 0; i < n; i++)
	{
		ids[i] = Int64GetDatum(items[i].job_id);
		no_pct[i] = (items[i].flags & LIVE_HAS_PERCENTAGE) == 0;
		pcts[i] = no_pct[i] ? (Datum) 0 : PointerGetDatum(items[i].percentage);
		no_count[i] = (items[i].flags & LIVE_HAS_COUNT) == 0;
		curs[i] = Int64GetDatum(items[i].current);
		tots[i] = Int64GetDatum(items[i].total);
		no_hb[i] = (items[i].flags & LIVE_HAS_HEARTBEAT) == 0;
		hbs[i] = TimestampTzGetDatum(items[i].heartbeat_at);
		stored[i] = BoolGetDatum(items[i].stored);
	}
	arrays[0] = PointerGetDatum(construct_md_array(ids, NULL, 1, dims, lbs, INT8OID, 8, true, TYPALIGN_DOUBLE));
	arrays[1] = PointerGetDatum(construct_md_array(pcts, no_pct, 1, dims, lbs, NUMERICOID, -1, false, TYPALIGN_INT));
	arrays[2] = PointerGetDatum(construct_md_array(curs, no_count, 1, dims, lbs, INT8OID, 8, true, TYPALIGN_DOUBLE));
	arrays[3] = PointerGetDatum(construct_md_array(tots, no_count, 1, dims, lbs, INT8OID, 8, true, TYPALIGN_DOUBLE));
	arrays[4] = PointerGetDatum(construct_md_array(hbs, no_hb, 1, dims, lbs, TIMESTAMPTZOID, 8, true, TYPALIGN_DOUBLE));
	arrays[5] = PointerGetDatum(construct_md_array(stored, NULL, 1, dims, lbs, BOOLOID, 1, true, TYPALIGN_CHAR));
}

/* QueueFlushOutcome queues what the flush found for one slot, for the commit. */
static int
QueueFlushOutcome(const FlushItem *item, int outcome)
{
	switch (outcome)
	{
		case 1:
			AddAction(item->job_id, item->version, LIVE_STORED);
			return 1;
		case 2:
			AddAction(item->job_id, item->version, LIVE_FORGET);
			break;
		case 3:
			/* maybe a job created by a transaction still open: kept a while */
			if (item->orphan_age)
				AddAction(item->job_id, item->version, LIVE_FORGET);
			break;
	}
	return 0;
}

/* RunFlushQuery runs the flush statement; the guard must not fold the slots into the rows that store them. */
static uint64
RunFlushQuery(Datum *arrays)
{
	uint64		rows = 0;

	flushing = true;
	PG_TRY();
	{
		rows = RunSavedQuery(&flush_query, arrays, NULL);
	}
	PG_FINALLY();
	{
		flushing = false;
	}
	PG_END_TRY();
	return rows;
}

/*
 * LiveFlush writes the live values of this database's slots to their rows,
 * in the current transaction, and returns how many rows it wrote.  At
 * commit the slots are marked stored, or forgotten when their job is gone
 * or no longer started.  The caller is connected to SPI.
 */
int
LiveFlush(void)
{
	bool		sweep;
	FlushItem  *items;
	Datum		arrays[6];
	uint64		rows;
	uint64		i;
	int			written = 0;
	int			n;

	if (!LiveAnySlots())
		return 0;

	/*
	 * The lock comes before the slots are copied: a flush that waited for
	 * it with copies in hand would write them over whatever committed
	 * meanwhile.  It also waits for a distribute() under way (citus.c), so
	 * that the layout read below is the one the flush runs on.
	 */
	LockRelationOid(JobtrackRelid("job_status"), RowExclusiveLock);
	sweep = ++flushes % LIVE_SWEEP_EVERY == 0;
	items = palloc(LIVE_FLUSH_BATCH * sizeof(FlushItem));
	n = CollectSlots(items, sweep);
	if (n == 0)
		return 0;
	/*
	 * Where jobtrack was distributed since, distribute() wrote the slots to
	 * the rows first, and no slot is written any more: the ones left are
	 * forgotten rather than flushed through a statement Citus cannot run
	 * on sharded rows.
	 */
	if (JobtrackNodeRole() != JOBTRACK_LOCAL)
	{
		for (i = 0; i < (uint64) n; i++)
			(void) QueueFlushOutcome(&items[i], 2);
		return 0;
	}
	ItemArrays(items, n, arrays);

	rows = RunFlushQuery(arrays);
	for (i = 0; i < rows; i++)
	{
		int64		index = SpiResultInt64(i, 1);

		written += QueueFlushOutcome(&items[index - 1], (int) SpiResultInt64(i, 2));
	}
	return written;
}

/* LiveFigures reports the slots taken and the writes that found none free, for jobtrack.stats. */
void
LiveFigures(int64 *used, int64 *capacity, int64 *full)
{
	*used = live_table ? pg_atomic_read_u32(&live_shared->used) : 0;
	*capacity = live_capacity;
	*full = live_table ? (int64) pg_atomic_read_u64(&live_shared->full) : 0;
}

/*
 * SQL-callable: jobtrack_internal.live_slots(), the live slots of this
 * database: job, values (NULL where the slot has none), when last written,
 * and whether the row holds them already.
 */
PG_FUNCTION_INFO_V1(jobtrack_live_slot_list);
Datum
jobtrack_live_slot_list(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	FlushItem  *items;
	int			n;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	if (live_table == NULL || !LiveReadAllowed())
		return (Datum) 0;
	items = palloc(LIVE_FLUSH_BATCH * sizeof(FlushItem));
	n = CollectSlots(items, true);
	for (i = 0; i < n; i++)
	{
		Datum		values[6];
		bool		nulls[6] = {0};

		values[0] = Int64GetDatum(items[i].job_id);
		nulls[1] = (items[i].flags & LIVE_HAS_PERCENTAGE) == 0;
		values[1] = nulls[1] ? (Datum) 0 : PointerGetDatum(items[i].percentage);
		nulls[2] = nulls[3] = (items[i].flags & LIVE_HAS_COUNT) == 0;
		values[2] = Int64GetDatum(items[i].current);
		values[3] = Int64GetDatum(items[i].total);
		nulls[4] = (items[i].flags & LIVE_HAS_HEARTBEAT) == 0;
		values[4] = TimestampTzGetDatum(items[i].heartbeat_at);
		values[5] = BoolGetDatum(items[i].stored);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
