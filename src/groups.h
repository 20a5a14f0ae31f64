/*-------------------------------------------------------------------------
 *
 * groups.h
 *		Job groups as the SQL functions see them.
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/groups.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JOBTRACK_GROUPS_H
#define JOBTRACK_GROUPS_H

#include "postgres.h"

#include "utils/snapshot.h"

extern void ReportGroupNotFound(int64 group_id);
extern void CheckGroupExists(int64 group_id);
/* the sum of a group_count row's counts, its columns prefixed by p ("n." or "") */
#define GROUP_COUNT_TOTAL(p) \
	" " p "queued OPERATOR(pg_catalog.+) " p "delayed OPERATOR(pg_catalog.+) " p "started" \
	" OPERATOR(pg_catalog.+) " p "paused OPERATOR(pg_catalog.+) " p "stuck OPERATOR(pg_catalog.+) " p "succeeded" \
	" OPERATOR(pg_catalog.+) " p "failed OPERATOR(pg_catalog.+) " p "cancelled"

/* how many locks the groups share (groups.c) */
#define GROUP_LOCK_STRIPES 128

extern int	GroupLockStripe(int64 group_id);
extern bool LockGroupStripeForDeletion(int stripe);
extern bool ReadGroupStatus(int64 group_id, Snapshot snapshot, Oid *status);

#endif							/* JOBTRACK_GROUPS_H */
