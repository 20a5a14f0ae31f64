/*-------------------------------------------------------------------------
 *
 * direct_update.h
 *		A job's row written without a statement: changed, or inserted.
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/direct_update.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JOBTRACK_DIRECT_UPDATE_H
#define JOBTRACK_DIRECT_UPDATE_H

#include "postgres.h"

#include "access/htup.h"
#include "executor/tuptable.h"
#include "nodes/execnodes.h"
#include "nodes/nodes.h"
#include "utils/relcache.h"

#include "status.h"

typedef enum DirectResult
{
	DIRECT_NOT_TAKEN,			/* the statement must run: nothing written */
	DIRECT_NOT_FOUND,			/* no such job (in the caller's snapshot) */
	DIRECT_UNCHANGED,			/* the job has the status set already */
	DIRECT_UPDATED				/* the row was changed */
} DirectResult;

/* the columns of job_status that a direct update may set */
typedef enum DirectColumn
{
	DIRECT_STATUS,
	DIRECT_FAILED_REASON,
	DIRECT_PERCENTAGE,
	DIRECT_PROGRESS_CURRENT,
	DIRECT_PROGRESS_TOTAL,
	DIRECT_HEARTBEAT_AT
} DirectColumn;

#define DIRECT_MAX_COLUMNS 3

/* what a direct update sets: the SET list of its statement */
typedef struct DirectSet
{
	int			count;
	DirectColumn columns[DIRECT_MAX_COLUMNS];
	Datum		values[DIRECT_MAX_COLUMNS];
	bool		nulls[DIRECT_MAX_COLUMNS];
	bool		skip_same_status;	/* a job with the status set already is left alone */
	bool		resume_stuck;	/* a stuck job is started again */
} DirectSet;

/*
 * What create_job gives a new job, in the order of its statement's
 * parameters.  A NULL id takes the next from the sequence; a delay, NULL
 * or greater than zero, makes the job delayed until now() plus the delay.
 */
typedef enum DirectNewJobField
{
	NEW_JOB_ID,
	NEW_JOB_TYPE,
	NEW_JOB_ALIAS,
	NEW_JOB_TAGS,
	NEW_JOB_GROUP_ID,
	NEW_JOB_DATA,
	NEW_JOB_EXTERNAL_ID,
	NEW_JOB_DELAY
} DirectNewJobField;

#define DIRECT_NEW_JOB_FIELDS 8
/* the columns those fields set: all but the delay, and status and available_at */
#define DIRECT_NEW_JOB_COLUMNS 9

typedef struct DirectNewJob
{
	Datum		values[DIRECT_NEW_JOB_FIELDS];
	bool		nulls[DIRECT_NEW_JOB_FIELDS];
} DirectNewJob;

extern bool DirectWriteAllowed(Relation rel, CmdType cmd);
extern bool TransactionAllowsDirectWrite(void);
extern ResultRelInfo *DirectResultRel(EState *estate, Relation rel, Bitmapset *updated,
										HeapTuple tuple, TupleTableSlot **slot);
extern void DirectIndexEntries(ResultRelInfo *rri, TupleTableSlot *slot, HeapTuple tuple,
							   EState *estate, bool update);
extern void DirectSetColumn(DirectSet *set, DirectColumn column, Datum value, bool isnull);
extern DirectResult DirectUpdateJob(int64 job_id, const DirectSet *set);
extern bool DirectInsertJob(const DirectNewJob *job, int64 *job_id);

#endif							/* JOBTRACK_DIRECT_UPDATE_H */
