/*-------------------------------------------------------------------------
 *
 * spi_util.c
 *		Prepared-once SPI statements and result accessors.
 *
 * Every jobtrack function that touches a table does so through a
 * SavedQuery: parsed and planned once per backend, then executed with
 * parameters, never with values spliced into SQL text.  The few reads on
 * the hottest paths, one row by its primary key, skip the executor
 * (ReadByPrimaryKey) when the caller may read the whole table
 * (DirectReadAllowed).
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/spi_util.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_namespace.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "catalog/namespace.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/resowner.h"
#include "utils/rls.h"
#include "utils/syscache.h"

#include "spi_util.h"

/*
 * StripStatementContext removes the "SQL statement" line that names one of
 * our own statements from an error's context: it tells the user nothing
 * and would leak internals into their logs.  Other context lines stay.
 */
static void
StripStatementContext(ErrorData *edata, const char *sql)
{
	char	   *line;
	char	   *found;
	size_t		len;

	if (edata->context == NULL)
		return;
	line = psprintf("SQL statement \"%s\"", sql);
	found = strstr(edata->context, line);
	if (found == NULL)
		return;
	len = strlen(line);
	if (found[len] == '\n')
		len++;
	memmove(found, found + len, strlen(found + len) + 1);
	if (found > edata->context && found[0] == '\0' && found[-1] == '\n')
		found[-1] = '\0';
	if (edata->context[0] == '\0')
		edata->context = NULL;
}

/* ExecuteSavedQuery runs a prepared statement, re-raising errors without our SQL. */
static int
ExecuteSavedQuery(SavedQuery *query, Datum *values, const char *nulls, Snapshot snapshot)
{
	MemoryContext caller = CurrentMemoryContext;
	int			rc = 0;

	PG_TRY();
	{
		if (snapshot == InvalidSnapshot)
			rc = SPI_execute_plan(query->plan, values, nulls, query->read_only, 0);
		else
			rc = SPI_execute_snapshot(query->plan, values, nulls, snapshot, InvalidSnapshot,
									  query->read_only, true, 0);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(caller);
		edata = CopyErrorData();
		FlushErrorState();
		StripStatementContext(edata, query->sql);
		ReThrowError(edata);
	}
	PG_END_TRY();
	return rc;
}

/*
 * RunSavedQuery executes a statement (preparing it on first use) and returns
 * the number of rows it processed.  The caller must be connected to SPI.
 *
 * A statement marked generic_plan is planned once, for any values; the
 * evaluator's statements that read and write a pass's groups are.  Left to
 * choose, the plan cache plans each of the first five executions for the
 * values at hand, and goes on doing so when those plans looked cheap, as
 * they do for the short arrays of passes in a quiet database: every pass
 * then plans its statements again.  And a plan made for the values can be
 * far worse.  For an array of a few hundred groups the planner picks a join
 * that reads every group; for the due groups it estimates from
 * next_check_at's statistics, which lag behind as every check moves the
 * column forward, so it can expect every group to be due and read and sort
 * them all.  The generic plans look each group up by its key and read the
 * due groups from their index.  plan_cache_mode overrules the choice, so
 * the worker and the evaluator's SQL functions set it to auto.
 */
uint64
RunSavedQuery(SavedQuery *query, Datum *values, const char *nulls)
{
	return RunSavedQueryInSnapshot(query, values, nulls, InvalidSnapshot);
}

/*
 * RunSavedQueryInSnapshot is RunSavedQuery with the snapshot the statement
 * reads (its command id advanced, as for any statement that writes), or
 * with a snapshot of its own for InvalidSnapshot.
 */
uint64
RunSavedQueryInSnapshot(SavedQuery *query, Datum *values, const char *nulls, Snapshot snapshot)
{
	int			rc;

	if (query->plan == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare_cursor(query->sql, query->nargs, query->argtypes,
											  query->generic_plan ? CURSOR_OPT_GENERIC_PLAN : 0);

		if (plan == NULL)
			elog(ERROR, "could not prepare \"%s\": %s",
				 query->sql, SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "could not keep plan of \"%s\"", query->sql);
		query->plan = plan;
	}

	rc = ExecuteSavedQuery(query, values, nulls, snapshot);
	if (rc < 0)
		elog(ERROR, "could not run \"%s\": %s", query->sql, SPI_result_code_string(rc));
	return SPI_processed;
}

/* SpiResultDatum returns one column (1-based) of one row of the last result. */
Datum
SpiResultDatum(uint64 row, int column, bool *isnull)
{
	if (SPI_tuptable == NULL || row >= SPI_processed)
		elog(ERROR, "statement returned no row " UINT64_FORMAT, row);
	return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, column, isnull);
}

/* SpiResultInt64 returns a bigint column of the last result; NULL is an error. */
int64
SpiResultInt64(uint64 row, int column)
{
	bool		isnull;
	Datum		value = SpiResultDatum(row, column, &isnull);

	if (isnull)
		elog(ERROR, "unexpected NULL in column %d", column);
	return DatumGetInt64(value);
}

/* JobtrackOwner returns the owner of schema jobtrack, the extension's owner. */
Oid
JobtrackOwner(void)
{
	HeapTuple	tuple = SearchSysCache1(NAMESPACENAME, CStringGetDatum("jobtrack"));
	Oid			owner;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "schema jobtrack does not exist");
	owner = ((Form_pg_namespace) GETSTRUCT(tuple))->nspowner;
	ReleaseSysCache(tuple);
	return owner;
}

/*
 * Relation OIDs looked up by name, kept for the backend's next calls: each
 * job write asks for several, and two catalog lookups per name were about 4%
 * of a durable lifecycle's instructions.  Any change to pg_class or
 * pg_namespace (a DROP or CREATE EXTENSION, an ALTER EXTENSION UPDATE, also
 * one rolled back) forgets them all, and a missing relation is looked up
 * again until it exists.
 */
#define RELATION_CACHE_SIZE 24

typedef struct CachedRelation
{
	char		name[NAMEDATALEN];
	Oid			relid;
} CachedRelation;

static CachedRelation relation_cache[RELATION_CACHE_SIZE];
static int	relation_cache_used = 0;
static bool relation_callback_registered = false;

/* ForgetRelationOids empties the cache when pg_class or pg_namespace changes. */
static void
ForgetRelationOids(Datum arg, int cacheid, uint32 hashvalue)
{
	relation_cache_used = 0;
}

/* JobtrackRelationOid returns the OID of a relation of schema jobtrack, or InvalidOid. */
Oid
JobtrackRelationOid(const char *name)
{
	Oid			relid;
	int			i;

	for (i = 0; i < relation_cache_used; i++)
		if (strcmp(relation_cache[i].name, name) == 0)
			return relation_cache[i].relid;
	if (!relation_callback_registered)
	{
		CacheRegisterSyscacheCallback(RELNAMENSP, ForgetRelationOids, (Datum) 0);
		CacheRegisterSyscacheCallback(NAMESPACENAME, ForgetRelationOids, (Datum) 0);
		relation_callback_registered = true;
	}
	relid = get_relname_relid(name, get_namespace_oid("jobtrack", false));
	if (OidIsValid(relid) && relation_cache_used < RELATION_CACHE_SIZE)
	{
		strlcpy(relation_cache[relation_cache_used].name, name, NAMEDATALEN);
		relation_cache[relation_cache_used].relid = relid;
		relation_cache_used++;
	}
	return relid;
}

/* JobtrackRelid returns the OID of a relation of schema jobtrack. */
Oid
JobtrackRelid(const char *name)
{
	Oid			relid = JobtrackRelationOid(name);

	if (!OidIsValid(relid))
		elog(ERROR, "table jobtrack.%s does not exist", name);
	return relid;
}

/*
 * JobtrackSchemaIsCurrent says whether the installed schema has the tables
 * of version 1.2 (group_failure, event_horizon).  After a package upgrade
 * the new library runs the old schema until ALTER EXTENSION jobtrack
 * UPDATE, and must keep working there.
 */
bool
JobtrackSchemaIsCurrent(void)
{
	return OidIsValid(JobtrackRelationOid("group_failure"));
}

/*
 * JobtrackSchemaHasLive says whether the installed schema is 2.0 or later,
 * with the live progress readers (its view jobtrack.live_progress stands
 * for them all).
 */
bool
JobtrackSchemaHasLive(void)
{
	return OidIsValid(JobtrackRelationOid("live_progress"));
}

/*
 * RunInSubTransaction runs fn(arg) in a subtransaction of its own.  It
 * returns true if fn returned; otherwise the subtransaction is rolled back
 * and *edata says why.  The caller may be connected to SPI.
 */
bool
RunInSubTransaction(void (*fn) (void *), void *arg, ErrorData **edata)
{
	MemoryContext caller = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	volatile bool ok = true;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(caller);
	PG_TRY();
	{
		fn(arg);
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(caller);
		*edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		ok = false;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(caller);
	CurrentResourceOwner = owner;
	return ok;
}

/*
 * IsDataError says whether an error comes from the data a statement worked
 * on, so that the same statement would fail again on the same rows; not a
 * cancel, a shutdown, a lock or serialization conflict or a lack of
 * resources, which say nothing about the rows.  An internal error counts as
 * a data error: a too large allocation for one group's values raises one.
 */
bool
IsDataError(const ErrorData *edata)
{
	int			class = ERRCODE_TO_CATEGORY(edata->sqlerrcode);

	if (edata->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE)
		return false;
	return class != ERRCODE_TRANSACTION_ROLLBACK &&
		class != ERRCODE_INSUFFICIENT_RESOURCES &&
		class != ERRCODE_OPERATOR_INTERVENTION &&
		class != ERRCODE_SYSTEM_ERROR;
}

/*
 * JobtrackTableHasColumn says whether a table of schema jobtrack has a
 * column: the new library runs an older schema until ALTER EXTENSION
 * jobtrack UPDATE.
 */
bool
JobtrackTableHasColumn(const char *table, const char *column)
{
	return get_attnum(JobtrackRelid(table), column) != InvalidAttrNumber;
}

/*
 * TableOpenToCaller locks a table as a statement using it would, and says
 * whether the current user holds privilege mode on the whole of it: the
 * privilege on the table, and no row-level security applying to the user.
 * Where it does not, a caller that reads or writes without a statement
 * runs the statement instead, which applies column privileges and policies
 * and raises what a statement raises.  The lock comes first, so the checks
 * see grants and policies committed before it.
 */
bool
TableOpenToCaller(Oid relid, AclMode mode)
{
	LockRelationOid(relid, AccessShareLock);
	return pg_class_aclcheck(relid, GetUserId(), mode) == ACLCHECK_OK &&
		check_enable_rls(relid, InvalidOid, true) != RLS_ENABLED;
}

/*
 * DirectReadAllowed says whether a read of a table may skip its statement:
 * TableOpenToCaller for SELECT, the USAGE privilege on the table's schema,
 * which the statement's parse checks, and no executor permission hook
 * (sepgsql, an audit extension), which must see the read.
 */
bool
DirectReadAllowed(Oid relid)
{
	return TableOpenToCaller(relid, ACL_SELECT) && ExecutorCheckPerms_hook == NULL &&
		pg_namespace_aclcheck(get_rel_namespace(relid), GetUserId(), ACL_USAGE) == ACLCHECK_OK;
}

/*
 * FetchByPrimaryKey stores in slot the row of an open table whose primary
 * key is the bigint key, as visible in snapshot; false when there is none.
 * The index is locked in lockmode and kept to the end of the transaction,
 * as a statement's locks are: taken again cheaply.
 */
bool
FetchByPrimaryKey(Relation rel, int64 key, Snapshot snapshot, LOCKMODE lockmode,
				  TupleTableSlot *slot)
{
	Relation	index = index_open(RelationGetPrimaryKeyIndex(rel), lockmode);
	IndexScanDesc scan;
	ScanKeyData scankey;
	bool		found;

	ScanKeyInit(&scankey, 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(key));
	scan = index_beginscan(rel, index, snapshot, 1, 0);
	index_rescan(scan, &scankey, 1, NULL, 0);
	/* the slot keeps its own pin on the row's buffer past the scan's end */
	found = index_getnext_slot(scan, ForwardScanDirection, slot);
	index_endscan(scan);
	index_close(index, NoLock);
	return found;
}

/*
 * ReadByPrimaryKey reads a column of the row of a table whose primary key
 * is the bigint key, as visible in snapshot, with no privilege check; false
 * when there is none.  The column must be of a type passed by value: the
 * row is released before the value is returned.
 */
bool
ReadByPrimaryKey(Oid relid, int64 key, const char *column, Snapshot snapshot,
				 Datum *value, bool *isnull)
{
	Relation	rel = table_open(relid, AccessShareLock);
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	AttrNumber	attno = SPI_fnumber(RelationGetDescr(rel), column);
	bool		found;

	if (attno <= 0 || !TupleDescAttr(RelationGetDescr(rel), attno - 1)->attbyval)
		elog(ERROR, "column %s of %s cannot be read by its primary key",
			 column, RelationGetRelationName(rel));
	found = FetchByPrimaryKey(rel, key, snapshot, AccessShareLock, slot);
	if (found)
		*value = slot_getattr(slot, attno, isnull);
	ExecDropSingleTupleTableSlot(slot);
	table_close(rel, NoLock);
	return found;
}
