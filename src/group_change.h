/*-------------------------------------------------------------------------
 *
 * group_change.h
 *		Recording a change of a group's jobs for the evaluator.
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/group_change.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JOBTRACK_GROUP_CHANGE_H
#define JOBTRACK_GROUP_CHANGE_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "storage/block.h"
#include "utils/relcache.h"

/* group_id, job_id, old_status, new_status, created_at, restored */
#define GROUP_CHANGE_COLUMNS 6

/* a status argument of RecordGroupChange for "no row" */
#define NO_JOB_STATUS (-1)

extern BlockNumber InsertChangeRow(Relation rel, int64 group_id, int64 job_id, int old_status,
							int new_status, TimestampTz at);
extern void RecordGroupChange(int64 group_id, int64 job_id, int old_status, int new_status);
extern void GroupChangeRegisterCallbacks(void);

#endif							/* JOBTRACK_GROUP_CHANGE_H */
