/*-------------------------------------------------------------------------
 *
 * index_cache.h
 *		The descriptions of job_status's indexes, kept across direct writes.
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/index_cache.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JOBTRACK_INDEX_CACHE_H
#define JOBTRACK_INDEX_CACHE_H

#include "postgres.h"

#include "executor/tuptable.h"
#include "nodes/execnodes.h"

extern void InsertIndexEntries(ResultRelInfo *rri, TupleTableSlot *slot, EState *estate,
							   bool update);

#endif							/* JOBTRACK_INDEX_CACHE_H */
