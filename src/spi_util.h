/*-------------------------------------------------------------------------
 *
 * spi_util.h
 *		Prepared-once SPI statements.
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/spi_util.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JOBTRACK_SPI_UTIL_H
#define JOBTRACK_SPI_UTIL_H

#include "postgres.h"

#include "executor/spi.h"
#include "nodes/parsenodes.h"
#include "utils/snapshot.h"

#define SAVED_QUERY_MAX_ARGS 10

/*
 * One statement, planned on first use in a backend and kept for its life.
 * The plan cache re-plans it when the tables it names change.  With
 * generic_plan, it does not plan it for the values at hand (see
 * RunSavedQuery), unless plan_cache_mode forces custom plans.
 */
typedef struct SavedQuery
{
	const char *sql;
	int			nargs;
	Oid			argtypes[SAVED_QUERY_MAX_ARGS];
	bool		read_only;
	bool		generic_plan;
	SPIPlanPtr	plan;
} SavedQuery;

extern uint64 RunSavedQuery(SavedQuery *query, Datum *values, const char *nulls);
extern uint64 RunSavedQueryInSnapshot(SavedQuery *query, Datum *values, const char *nulls,
									  Snapshot snapshot);
extern Datum SpiResultDatum(uint64 row, int column, bool *isnull);
extern int64 SpiResultInt64(uint64 row, int column);
extern Oid	JobtrackOwner(void);
extern Oid	JobtrackRelationOid(const char *name);
extern Oid	JobtrackRelid(const char *name);
extern bool JobtrackSchemaIsCurrent(void);
extern bool JobtrackSchemaHasLive(void);
extern bool JobtrackTableHasColumn(const char *table, const char *column);
extern bool RunInSubTransaction(void (*fn) (void *), void *arg, ErrorData **edata);
extern bool IsDataError(const ErrorData *edata);
extern bool TableOpenToCaller(Oid relid, AclMode mode);
extern bool DirectReadAllowed(Oid relid);
extern bool FetchByPrimaryKey(Relation rel, int64 key, Snapshot snapshot, LOCKMODE lockmode,
							  TupleTableSlot *slot);
extern bool ReadByPrimaryKey(Oid relid, int64 key, const char *column, Snapshot snapshot,
							 Datum *value, bool *isnull);

#endif							/* JOBTRACK_SPI_UTIL_H */
