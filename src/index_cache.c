/*-------------------------------------------------------------------------
 *
 * index_cache.c
 *		The descriptions of job_status's indexes, kept across direct writes.
 *
 * A direct write (direct_update.c) adds a row's index entries as the
 * executor does.  The executor describes every index anew for each
 * statement (BuildIndexInfo reads and copies its expressions and its
 * predicate), and plans and compiles a partial index's predicate again at
 * the statement's first row.  For a statement that writes one row, that is
 * most of the cost of opening the indexes: job_status has three partial
 * indexes.  Here the descriptions, with their predicates and expressions
 * ready to evaluate, are built once per backend and kept until job_status
 * or one of its indexes is invalidated.
 *
 * Each write works on its own copy of each description: the executor and
 * the index access methods keep state for one statement in it (whether an
 * update left the index's key unchanged; GIN's per-statement state, in a
 * memory context the description names), and that state must go with the
 * statement.  The compiled predicates and expressions are shared; a write
 * that starts while another is inside the cache (a function of an index's
 * predicate or an operator class that itself writes a job) does not use the
 * cache, so no two evaluations of one of them overlap.
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/index_cache.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "catalog/index.h"
#include "executor/executor.h"
#include "optimizer/optimizer.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "index_cache.h"

typedef struct IndexCache
{
	bool		valid;			/* false: rebuild before use */
	Oid			relid;			/* the table described */
	int			count;
	Oid		   *indexes;		/* the indexes' oids, in the table's index list order */
	IndexInfo **infos;			/* their descriptions, predicates and expressions ready */
	MemoryContext context;
} IndexCache;

static IndexCache index_cache;
static bool index_callback_registered = false;

/* writes working inside the cache right now: a nested write must not rebuild it */
static int	index_cache_users = 0;

/*
 * ForgetIndexes marks the cache stale when the table or one of its indexes
 * may have changed.  It only marks it: an invalidation can arrive while a
 * write is reading the cache (when it locks an index), and the rebuild
 * waits for the next write.
 */
static void
ForgetIndexes(Datum arg, Oid relid)
{
	int			i;

	if (relid == InvalidOid || relid == index_cache.relid)
	{
		index_cache.valid = false;
		return;
	}
	for (i = 0; i < index_cache.count; i++)
		if (index_cache.indexes[i] == relid)
			index_cache.valid = false;
}

/*
 * DescribeIndex builds an index's description in the current memory
 * context, with its predicate and expressions planned and compiled as the
 * executor does at a statement's first row (ExecPrepareQual,
 * ExecPrepareExprList), without a parent plan, so without JIT.
 */
static IndexInfo *
DescribeIndex(Relation index)
{
	IndexInfo  *ii = BuildIndexInfo(index);
	ListCell   *lc;

	if (ii->ii_Predicate != NIL)
		ii->ii_PredicateState =
			ExecInitQual((List *) expression_planner((Expr *) ii->ii_Predicate), NULL);
	foreach(lc, ii->ii_Expressions)
		ii->ii_ExpressionsState =
			lappend(ii->ii_ExpressionsState,
					ExecInitExpr(expression_planner((Expr *) lfirst(lc)), NULL));
	return ii;
}

/* CacheMatches says whether the cache describes exactly these indexes of relid. */
static bool
CacheMatches(Oid relid, List *indexes)
{
	int			i = 0;
	ListCell   *lc;

	if (!index_cache.valid || index_cache.relid != relid ||
		index_cache.count != list_length(indexes))
		return false;
	foreach(lc, indexes)
		if (index_cache.indexes[i++] != lfirst_oid(lc))
			return false;
	return true;
}

/* FillIndexCache describes the opened indexes of relid. */
static void
FillIndexCache(Oid relid, Relation *descs, int count)
{
	MemoryContext old;
	int			i;

	if (!index_callback_registered)
	{
		CacheRegisterRelcacheCallback(ForgetIndexes, (Datum) 0);
		index_callback_registered = true;
	}
	if (index_cache.context == NULL)
		index_cache.context = AllocSetContextCreate(CacheMemoryContext,
													"jobtrack index descriptions",
													ALLOCSET_SMALL_SIZES);
	index_cache.valid = false;
	index_cache.count = 0;
	MemoryContextReset(index_cache.context);
	old = MemoryContextSwitchTo(index_cache.context);
	index_cache.indexes = palloc(sizeof(Oid) * count);
	index_cache.infos = palloc(sizeof(IndexInfo *) * count);
	for (i = 0; i < count; i++)
	{
		index_cache.indexes[i] = RelationGetRelid(descs[i]);
		index_cache.infos[i] = DescribeIndex(descs[i]);
	}
	MemoryContextSwitchTo(old);
	/* set last: an error above leaves nothing that looks filled */
	index_cache.relid = relid;
	index_cache.count = count;
	index_cache.valid = true;
}

/*
 * StatementCopy returns a copy of a cached description for one statement,
 * without the state a statement keeps in it.
 */
static IndexInfo *
StatementCopy(const IndexInfo *cached)
{
	IndexInfo  *ii = palloc(sizeof(IndexInfo));

	memcpy(ii, cached, sizeof(IndexInfo));
	ii->ii_CheckedUnchanged = false;
	ii->ii_IndexUnchanged = false;
	ii->ii_AmCache = NULL;
	ii->ii_Context = CurrentMemoryContext;
	return ii;
}

/*
 * OpenCachedIndexes opens the result relation's indexes as ExecOpenIndices
 * does, with descriptions from the cache, and returns true; false, with
 * nothing opened, when the table has no index.
 */
static bool
OpenCachedIndexes(ResultRelInfo *rri)
{
	Relation	rel = rri->ri_RelationDesc;
	List	   *indexes;
	Relation   *descs;
	IndexInfo **infos;
	int			count;
	int			i = 0;
	ListCell   *lc;

	if (!rel->rd_rel->relhasindex)
		return false;
	indexes = RelationGetIndexList(rel);
	count = list_length(indexes);
	if (count == 0)
	{
		list_free(indexes);
		return false;
	}
	descs = palloc(sizeof(Relation) * count);
	infos = palloc(sizeof(IndexInfo *) * count);
	/* lock first: taking a lock takes the invalidations that make the cache stale */
	foreach(lc, indexes)
		descs[i++] = index_open(lfirst_oid(lc), RowExclusiveLock);
	if (!CacheMatches(RelationGetRelid(rel), indexes))
		FillIndexCache(RelationGetRelid(rel), descs, count);
	for (i = 0; i < count; i++)
		infos[i] = StatementCopy(index_cache.infos[i]);
	list_free(indexes);
	rri->ri_NumIndices = count;
	rri->ri_IndexRelationDescs = descs;
	rri->ri_IndexRelationInfo = infos;
	return true;
}

/*
 * InsertIndexEntries adds the index entries of the row in slot, just
 * written to the heap, as the executor does (ExecOpenIndices,
 * ExecInsertIndexTuples, ExecCloseIndices): unique indexes are checked,
 * and update says whether the row replaced an older version.  A write
 * nested inside another's use of the cache opens the indexes as the
 * executor does.
 */
void
InsertIndexEntries(ResultRelInfo *rri, TupleTableSlot *slot, EState *estate, bool update)
{
	if (index_cache_users > 0)
	{
		ExecOpenIndices(rri, false);
		(void) ExecInsertIndexTuples(rri, slot, estate, update, false, NULL, NIL);
		ExecCloseIndices(rri);
		return;
	}
	index_cache_users++;
	PG_TRY();
	{
		if (!OpenCachedIndexes(rri))
			ExecOpenIndices(rri, false);
		(void) ExecInsertIndexTuples(rri, slot, estate, update, false, NULL, NIL);
		ExecCloseIndices(rri);
	}
	PG_FINALLY();
	{
		index_cache_users--;
	}
	PG_END_TRY();
}
