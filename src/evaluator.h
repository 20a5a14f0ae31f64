/*-------------------------------------------------------------------------
 *
 * evaluator.h
 *		The group evaluator.
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/evaluator.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JOBTRACK_EVALUATOR_H
#define JOBTRACK_EVALUATOR_H

#include "postgres.h"

#include "utils/timestamp.h"

/* the labels of jobtrack.group_status, in the enum's order */
typedef enum GroupStatus
{
	GROUP_PENDING,
	GROUP_RUNNING,
	GROUP_COMPLETED
} GroupStatus;

/*
 * The most groups one of the worker's passes (or update_status_running()'s)
 * checks on schedule.  A pass holds back every event whose change commits
 * while it runs, and a group checked on schedule costs about 20 us, so a
 * pass of 1,000 due groups (a burst after a long bulk statement, or after
 * the worker was down) took 20-30 ms.  With 200 a pass stays near 5 ms;
 * while groups are still due the worker runs the next pass at once, so a
 * burst is cleared in more, shorter passes, and the groups that changed
 * meanwhile are evaluated between them.  check_groups() called from SQL
 * checks every due group: run once a minute (by pg_cron), it must keep up
 * with every group that falls due meanwhile.
 */
#define WORKER_DUE_GROUPS 200

extern void LockEvaluatorTag(void);
extern bool TryLockEvaluator(void);
extern int	CheckGroups(int due_limit);
extern int	WorkerCheckGroups(int due_limit, TransactionId *drain_xmin);
extern TimestampTz NextGroupDue(void);
extern int	RecountGroups(int64 group_id);
extern bool StartGroup(int64 group_id, GroupStatus *status);
extern GroupStatus GroupStatusFromName(const char *name);
extern const char *GroupStatusName(GroupStatus status);

#endif							/* JOBTRACK_EVALUATOR_H */
