/*-------------------------------------------------------------------------
 *
 * direct_insert.c
 *		A new job's row written without a statement.
 *
 * create_job inserts one row.  Run as a prepared statement, that INSERT
 * costs a second executor inside the caller's and a pass through the
 * AFTER trigger queue; together about a quarter of the instructions of a
 * job's durable life.
 * Where nothing but jobtrack's own triggers would run, and the statement
 * would store its values as they are, the row is written here instead: the
 * columns create_job names take its values, every other column its
 * default, evaluated as the statement evaluates it; the guard's checks and
 * stamps (job_guard.c) and the table's constraints are applied, the row
 * and its index entries are inserted (the unique ones checked), and the
 * row is recorded for the group evaluator and the external ids
 * (job_record.c).  Everywhere direct_update.c runs the statement, this
 * does too (direct_update.c says where); and also where a column that
 * create_job names has another type than jobtrack's or refuses values (an
 * identity column GENERATED ALWAYS), or a column left to its default is
 * of a domain type, whose constraints the statement checks.  The defaults
 * are planned once and kept until the table, or any function or type,
 * changes.
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/direct_insert.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/sequence.h"
#include "executor/executor.h"
#include "optimizer/optimizer.h"
#include "rewrite/rewriteHandler.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "direct_update.h"
#include "job_guard.h"
#include "job_record.h"
#include "spi_util.h"
#include "status.h"

/*
 * The defaults of the columns create_job leaves out, planned as the
 * statement's plan holds them, for the table and layout they were read
 * from; forgotten when the table's definition changes.
 */
typedef struct DefaultCache
{
	Oid			relid;			/* InvalidOid: nothing cached */
	int			natts;
	bool		usable;			/* false: the statement must run */
	MemoryContext context;
	Expr	  **defaults;		/* per attribute: planned default, or NULL */
} DefaultCache;

static DefaultCache default_cache;
static bool default_callbacks_registered = false;

/*
 * Calls evaluating the cached defaults right now.  A default's function may
 * itself call create_job after an invalidation: that inner call must not
 * refill the cache the outer one is reading, and takes the statement.
 */
static int	default_cache_users = 0;

/*
 * A fill of the cache is under way.  The fill reads the catalogs, and
 * opening a catalog takes the invalidations queued: one that comes during
 * the fill may concern what was read before it, so any invalidation then
 * keeps the fill from being kept.
 */
static bool default_cache_filling = false;
static bool default_cache_forgotten = false;

/* ForgetDefaults drops the cache when job_status's definition may have changed. */
static void
ForgetDefaults(Datum arg, Oid relid)
{
	if (default_cache_filling || relid == InvalidOid || relid == default_cache.relid)
	{
		default_cache.relid = InvalidOid;
		default_cache_forgotten = true;
	}
}

/*
 * ForgetDefaultsOfObjects drops the cache when a function or a type
 * changes: planning inlines SQL functions and folds immutable ones into
 * the defaults, and a domain's own default stands for a column's, so a
 * redefined function or domain changes what the statement would store.
 */
static void
ForgetDefaultsOfObjects(Datum arg, int cacheid, uint32 hashvalue)
{
	default_cache.relid = InvalidOid;
	default_cache_forgotten = true;
}

/*
 * NamedColumns marks in named the attributes create_job's statement names,
 * and says whether each has the type of the value the statement gives it,
 * without a type modifier: then the statement stores the value as it is.
 */
static bool
NamedColumns(Relation rel, bool *named)
{
	const JobColumns *cols = JobStatusColumns(rel);
	TupleDesc	desc = RelationGetDescr(rel);
	const AttrNumber attnos[DIRECT_NEW_JOB_COLUMNS] = {
		cols->id, cols->job_type, cols->alias, cols->tags, cols->group_id,
		cols->data, cols->external_id, cols->status, cols->available_at
	};
	const Oid	types[DIRECT_NEW_JOB_COLUMNS] = {
		INT8OID, TEXTOID, TEXTOID, JSONBOID, INT8OID,
		JSONBOID, TEXTOID, JobStatusTypeOid(), TIMESTAMPTZOID
	};
	int			i;

	for (i = 0; i < DIRECT_NEW_JOB_COLUMNS; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, attnos[i] - 1);

		/* an identity column that refuses values: the statement raises */
		if (att->atttypid != types[i] || att->atttypmod != -1 ||
			att->attidentity == ATTRIBUTE_IDENTITY_ALWAYS)
			return false;
		named[attnos[i] - 1] = true;
	}
	return true;
}

/*
 * FillDefaultCache plans the defaults of the columns create_job leaves
 * out (an identity column's is its sequence's next value), or marks the
 * cache unusable where the statement would do more than store a value: a
 * column of a domain type without a default (the statement checks the
 * domain's constraints on its NULL), or a named column of another type or
 * that refuses values.
 */
static void
FillDefaultCache(Relation rel)
{
	TupleDesc	desc = RelationGetDescr(rel);
	bool	   *named;
	MemoryContext old;
	int			i;

	if (!default_callbacks_registered)
	{
		CacheRegisterRelcacheCallback(ForgetDefaults, (Datum) 0);
		CacheRegisterSyscacheCallback(PROCOID, ForgetDefaultsOfObjects, (Datum) 0);
		CacheRegisterSyscacheCallback(TYPEOID, ForgetDefaultsOfObjects, (Datum) 0);
		default_callbacks_registered = true;
	}
	if (default_cache.context == NULL)
		default_cache.context = AllocSetContextCreate(CacheMemoryContext,
													  "jobtrack column defaults",
													  ALLOCSET_SMALL_SIZES);
	default_cache_filling = true;
	default_cache_forgotten = false;
	MemoryContextReset(default_cache.context);
	old = MemoryContextSwitchTo(default_cache.context);
	default_cache.defaults = palloc0(sizeof(Expr *) * desc->natts);
	named = palloc0(sizeof(bool) * desc->natts);
	default_cache.usable = NamedColumns(rel, named);
	for (i = 0; i < desc->natts && default_cache.usable; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		Node	   *expr;

		if (named[i] || att->attisdropped)
			continue;
		expr = build_column_default(rel, i + 1);
		if (expr != NULL)
			default_cache.defaults[i] = expression_planner((Expr *) expr);
		else if (get_typtype(att->atttypid) == TYPTYPE_DOMAIN)
			default_cache.usable = false;
	}
	MemoryContextSwitchTo(old);
	/*
	 * Set last: an error above leaves nothing that looks filled.  After an
	 * invalidation during the fill, this call uses the defaults, as a
	 * statement planned then would, and the next one plans them again.
	 */
	default_cache.relid = default_cache_forgotten ? InvalidOid : RelationGetRelid(rel);
	default_cache.natts = desc->natts;
	default_cache_filling = false;
}

/* DefaultsUsable fills the cache for the table if needed and says whether it may be used. */
static bool
DefaultsUsable(Relation rel)
{
	if (default_cache.relid != RelationGetRelid(rel) ||
		default_cache.natts != RelationGetDescr(rel)->natts)
	{
		if (default_cache_users > 0)
			return false;
		default_cache.relid = InvalidOid;
		FillDefaultCache(rel);
	}
	return default_cache.usable;
}

/* EvaluateDefaults fills values and nulls with every cached default, NULL elsewhere. */
static void
EvaluateDefaults(int natts, Datum *values, bool *nulls, ExprContext *econtext)
{
	int			i;

	default_cache_users++;
	PG_TRY();
	{
		for (i = 0; i < natts; i++)
		{
			nulls[i] = true;
			if (default_cache.defaults[i] != NULL)
			{
				ExprState  *state = ExecInitExpr(default_cache.defaults[i], NULL);

				values[i] = ExecEvalExprSwitchContext(state, econtext, &nulls[i]);
			}
		}
	}
	PG_FINALLY();
	{
		default_cache_users--;
	}
	PG_END_TRY();
}

/*
 * NewJobTuple forms the new row: the fields create_job gives, in the
 * statement's terms (a NULL id takes the next from the sequence, a delay
 * makes the job delayed until now() plus the delay), and every other
 * column's default, evaluated in estate.
 */
static HeapTuple
NewJobTuple(Relation rel, const DirectNewJob *job, EState *estate)
{
	const JobColumns *cols = JobStatusColumns(rel);
	TupleDesc	desc = RelationGetDescr(rel);
	Datum	   *values = palloc0(sizeof(Datum) * desc->natts);
	bool	   *nulls = palloc(sizeof(bool) * desc->natts);
	ExprContext *econtext = GetPerTupleExprContext(estate);
	bool		delayed = !job->nulls[NEW_JOB_DELAY];

	EvaluateDefaults(desc->natts, values, nulls, econtext);
#define SET_COLUMN(attno, value, isnull) \
	(values[(attno) - 1] = (value), nulls[(attno) - 1] = (isnull))
	SET_COLUMN(cols->id, job->nulls[NEW_JOB_ID] ?
			   Int64GetDatum(nextval_internal(JobtrackRelid("job_status_id_seq"), true)) :
			   job->values[NEW_JOB_ID], false);
	SET_COLUMN(cols->job_type, job->values[NEW_JOB_TYPE], job->nulls[NEW_JOB_TYPE]);
	SET_COLUMN(cols->alias, job->values[NEW_JOB_ALIAS], job->nulls[NEW_JOB_ALIAS]);
	SET_COLUMN(cols->tags, job->values[NEW_JOB_TAGS], job->nulls[NEW_JOB_TAGS]);
	SET_COLUMN(cols->group_id, job->values[NEW_JOB_GROUP_ID], job->nulls[NEW_JOB_GROUP_ID]);
	SET_COLUMN(cols->data, job->values[NEW_JOB_DATA], job->nulls[NEW_JOB_DATA]);
	SET_COLUMN(cols->external_id, job->values[NEW_JOB_EXTERNAL_ID], job->nulls[NEW_JOB_EXTERNAL_ID]);
	SET_COLUMN(cols->status, JobStatusGetDatum(delayed ? JOB_DELAYED : JOB_QUEUED), false);
	SET_COLUMN(cols->available_at, delayed ?
			   DirectFunctionCall2(timestamptz_pl_interval,
								   TimestampTzGetDatum(GetCurrentTransactionStartTimestamp()),
								   job->values[NEW_JOB_DELAY]) : (Datum) 0,
			   !delayed);
#undef SET_COLUMN
	return heap_form_tuple(desc, values, nulls);
}

/*
 * WriteNewJob inserts the row into the heap and its index entries, after
 * the table's NOT NULL and CHECK constraints; a unique index raises as the
 * statement would.
 */
static void
WriteNewJob(Relation rel, HeapTuple tuple, EState *estate)
{
	TupleTableSlot *slot;
	ResultRelInfo *rri = DirectResultRel(estate, rel, NULL, tuple, &slot);

	heap_insert(rel, tuple, estate->es_output_cid, 0, NULL);
	DirectIndexEntries(rri, slot, tuple, estate, false);
	ExecResetTupleTable(estate->es_tupleTable, false);
}

/*
 * DirectInsertJob inserts a job as create_job's statement and its triggers
 * would, and returns true with the new job's id in *job_id; false when the
 * statement must run instead: then nothing was written and no id taken.
 */
bool
DirectInsertJob(const DirectNewJob *job, int64 *job_id)
{
	Relation	rel;
	EState	   *estate;
	MemoryContext old;
	HeapTuple	tuple;
	bool		isnull;

	if (!TransactionAllowsDirectWrite())
		return false;
	rel = table_open(JobtrackRelid("job_status"), RowExclusiveLock);
	if (!DirectWriteAllowed(rel, CMD_INSERT) || !DefaultsUsable(rel))
	{
		table_close(rel, NoLock);
		return false;
	}

	/* as a statement of its own: it sees what this transaction did before */
	CommandCounterIncrement();
	PushActiveSnapshot(GetTransactionSnapshot());
	estate = CreateExecutorState();
	estate->es_output_cid = GetCurrentCommandId(true);
	old = MemoryContextSwitchTo(estate->es_query_cxt);
	tuple = NewJobTuple(rel, job, estate);
	tuple = GuardJobInsert(rel, tuple);
	WriteNewJob(rel, tuple, estate);
	*job_id = DatumGetInt64(heap_getattr(tuple, JobStatusColumns(rel)->id,
										 RelationGetDescr(rel), &isnull));
	RecordJobInsert(rel, tuple);
	MemoryContextSwitchTo(old);
	FreeExecutorState(estate);
	/* and, as SPI does after a statement, what it wrote is seen by what follows */
	CommandCounterIncrement();
	PopActiveSnapshot();
	table_close(rel, NoLock);
	return true;
}
