/*-------------------------------------------------------------------------
 *
 * index_cache.c
 *		The descriptions of job_status's indexes, kept across direct writes.
 *
 * A direct write (direct_update.c) adds a row's index entries as the
 * executor does.  The executor describes every index anew for each
 * statement (BuildIndexInfo reads and copies its expressions and its
 * predicate), and plans a partial index's predicate again at the
 * statement's first row.  For a statement that writes one row, that is most
 * of the cost of opening the indexes: job_status has three partial indexes.
 * Here the descriptions, with their predicates and expressions planned, are
 * built once per backend and kept until job_status or one of its indexes is
 * invalidated.  They are as current as the executor's: the relation cache
 * itself keeps each index's predicate and expressions simplified (SQL
 * functions inlined, constants folded) until the index is invalidated, and
 * BuildIndexInfo copies them from there.
 *
 * Each write works on its own copy of each description, in its executor
 * state's memory: the executor and the index access methods keep state for
 * one statement in it (whether an update left the index's key unchanged;
 * GIN's per-statement state), and that state must go with the statement.
 * The compiled predicates and expressions are shared only where they are
 * made of built-in operators and functions, columns, constants, and
 * boolean and null tests, as job_status's own partial indexes are: other
 * nodes may keep what they learn in the memory of the statement that first
 * evaluates them (a whole-row reference keeps the row type there), and
 * each write compiles those itself.  A write that starts while another is
 * inside the cache (a function of an index that itself writes a job) does
 * not use the cache, so no two evaluations of one shared expression overlap.
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
#include "access/transam.h"
#include "catalog/index.h"
#include "executor/executor.h"
#include "nodes/nodeFuncs.h"
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
	IndexInfo **infos;			/* their descriptions, predicates and expressions planned */
	MemoryContext context;
} IndexCache;

static IndexCache index_cache;
static bool index_callbacks_registered = false;

/*
 * A fill of the cache is under way, and an invalidation that may concern
 * it came since it began.  The fill reads the catalogs, and opening a
 * catalog takes the invalidations queued: one may come while the indexes
 * it concerns are not in the cache yet, and any invalidation then keeps the
 * fill from being marked valid.
 */
static bool index_cache_filling = false;
static bool index_cache_forgotten = false;

/* writes adding index entries right now: a nested write must not use the cache, nor rebuild it */
static int	index_cache_users = 0;

/*
 * ForgetIndexes marks the cache stale when the table or one of its indexes
 * may have changed.  It only marks it, since the cache may be in use.
 */
static void
ForgetIndexes(Datum arg, Oid relid)
{
	bool		concerned = index_cache_filling || relid == InvalidOid ||
		relid == index_cache.relid;
	int			i;

	for (i = 0; i < index_cache.count; i++)
		if (index_cache.indexes[i] == relid)
			concerned = true;
	if (concerned)
	{
		index_cache.valid = false;
		index_cache_forgotten = true;
	}
}

/*
 * NotSharable says whether an expression has a node whose compiled steps
 * may keep something in the memory of the statement that first evaluates
 * them, or that calls what is not built in: a whole-row reference keeps
 * the row type there, a row type conversion its map, a domain check the
 * domain's constraints as they were then.  The partial indexes of
 * job_status as created (IS NOT NULL, and <> on jsonb) have none.
 */
static bool
NotSharable(Node *node, void *context)
{
	if (node == NULL)
		return false;
	switch (nodeTag(node))
	{
		case T_Var:
			if (((Var *) node)->varattno <= 0)
				return true;
			break;
		case T_OpExpr:
		case T_DistinctExpr:
		case T_NullIfExpr:
			if (((OpExpr *) node)->opfuncid >= FirstGenbkiObjectId)
				return true;
			break;
		case T_FuncExpr:
			if (((FuncExpr *) node)->funcid >= FirstGenbkiObjectId)
				return true;
			break;
		case T_Const:
		case T_BoolExpr:
		case T_NullTest:
		case T_BooleanTest:
		case T_RelabelType:
		case T_List:
			break;
		default:
			return true;
	}
	return expression_tree_walker(node, NotSharable, context);
}

/*
 * CompileIndexExpressions compiles, in the current memory context, the
 * planned predicate and expressions of a description that lacks them
 * compiled, without a parent plan (so without JIT), as ExecPrepareQual and
 * ExecPrepareExprList do after planning.
 */
static void
CompileIndexExpressions(IndexInfo *ii)
{
	ListCell   *lc;

	if (ii->ii_Predicate != NIL && ii->ii_PredicateState == NULL)
		ii->ii_PredicateState = ExecInitQual(ii->ii_Predicate, NULL);
	if (ii->ii_ExpressionsState == NIL)
		foreach(lc, ii->ii_Expressions)
			ii->ii_ExpressionsState = lappend(ii->ii_ExpressionsState,
											  ExecInitExpr((Expr *) lfirst(lc), NULL));
}

/*
 * DescribeIndex builds an index's description in the current memory
 * context, with its predicate and expressions planned as the executor
 * plans them at a statement's first row, and compiled too where they may
 * be shared by every statement.
 */
static IndexInfo *
DescribeIndex(Relation index)
{
	IndexInfo  *ii = BuildIndexInfo(index);
	List	   *planned = NIL;
	ListCell   *lc;

	if (ii->ii_Predicate != NIL)
		ii->ii_Predicate = (List *) expression_planner((Expr *) ii->ii_Predicate);
	foreach(lc, ii->ii_Expressions)
		planned = lappend(planned, expression_planner((Expr *) lfirst(lc)));
	ii->ii_Expressions = planned;
	if (!NotSharable((Node *) ii->ii_Predicate, NULL) &&
		!NotSharable((Node *) ii->ii_Expressions, NULL))
		CompileIndexExpressions(ii);
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

	if (!index_callbacks_registered)
	{
		CacheRegisterRelcacheCallback(ForgetIndexes, (Datum) 0);
		index_callbacks_registered = true;
	}
	if (index_cache.context == NULL)
		index_cache.context = AllocSetContextCreate(CacheMemoryContext,
													"jobtrack index descriptions",
													ALLOCSET_SMALL_SIZES);
	index_cache.valid = false;
	index_cache.count = 0;
	index_cache_filling = true;
	index_cache_forgotten = false;
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
	/*
	 * Set last: an error above leaves nothing that looks filled.  What an
	 * invalidation during the fill concerned may have been read before it
	 * came: this write uses the descriptions, as the executor uses those it
	 * built, and the next write describes the indexes again.
	 */
	index_cache.relid = relid;
	index_cache.count = count;
	index_cache.valid = !index_cache_forgotten;
	index_cache_filling = false;
}

/*
 * StatementCopy returns a copy of a cached description for one statement,
 * without the state a statement keeps in it, its predicate and expressions
 * compiled for this statement where they are not shared.
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
	CompileIndexExpressions(ii);
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
 * ExecInsertIndexTuples, ExecCloseIndices), the descriptions and what the
 * index access methods keep for the statement in estate's memory: unique
 * indexes are checked, and update says whether the row replaced an older
 * version.  A write nested inside another's use of the cache opens the
 * indexes as the executor does.
 *
 * The list of indexes whose check ExecInsertIndexTuples leaves for later
 * is always empty here: only a deferrable constraint leaves one, and its
 * recheck trigger makes the functions run their statement instead
 * (direct_update.c).
 */
void
InsertIndexEntries(ResultRelInfo *rri, TupleTableSlot *slot, EState *estate, bool update)
{
	MemoryContext old = MemoryContextSwitchTo(estate->es_query_cxt);
	bool		use_cache = index_cache_users == 0;

	index_cache_users++;
	PG_TRY();
	{
		if (!use_cache || !OpenCachedIndexes(rri))
			ExecOpenIndices(rri, false);
		(void) ExecInsertIndexTuples(rri, slot, estate, update, false, NULL, NIL);
		ExecCloseIndices(rri);
	}
	PG_FINALLY();
	{
		index_cache_users--;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(old);
}
