/*-------------------------------------------------------------------------
 *
 * citus.h
 *		jobtrack on a Citus cluster.
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/citus.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JOBTRACK_CITUS_H
#define JOBTRACK_CITUS_H

#include "postgres.h"

#include "utils/relcache.h"

/* where this node stands */
typedef enum JobtrackRole
{
	JOBTRACK_LOCAL,				/* one server, or jobtrack not distributed */
	JOBTRACK_COORDINATOR,		/* the Citus coordinator: the evaluator runs here */
	JOBTRACK_WORKER				/* a Citus worker node: shards only */
} JobtrackRole;

extern bool IsJobStatusShard(Relation rel);
extern JobtrackRole JobtrackNodeRole(void);
extern void RecordShardGroupChange(Relation job_shard, int64 group_id, int64 job_id,
								   int old_status, int new_status);
extern uint64 MoveOutboxChanges(void);
extern void JobtrackReleaseShardsForDrop(void);
extern void WakeCoordinatorEvaluator(void);
extern void JobtrackCommitAcrossNodes(void);

#endif							/* JOBTRACK_CITUS_H */
