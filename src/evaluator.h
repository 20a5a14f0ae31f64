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

extern void LockEvaluatorTag(void);
extern int	CheckGroups(void);
extern TimestampTz NextGroupDue(void);
extern int	RecountGroups(int64 group_id);
extern bool StartGroup(int64 group_id, GroupStatus *status);
extern GroupStatus GroupStatusFromName(const char *name);
extern const char *GroupStatusName(GroupStatus status);

#endif							/* JOBTRACK_EVALUATOR_H */
