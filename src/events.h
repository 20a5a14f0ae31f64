/*-------------------------------------------------------------------------
 *
 * events.h
 *		Raising a group event: its row, its payload and its NOTIFY.
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/events.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JOBTRACK_EVENTS_H
#define JOBTRACK_EVENTS_H

#include "postgres.h"

#include "status.h"
#include "utils/timestamp.h"

/* a group as the evaluator sees it */
typedef struct GroupSnapshot
{
	int64		id;
	int32		run;
	char	   *title;
	int64		counts[JOB_STATUS_COUNT];
} GroupSnapshot;

extern void EventsBeginPass(void);
extern void RaiseGroupEvent(const GroupSnapshot *group, const char *event,
							TimestampTz at, TimestampTz changed_at);

#endif							/* JOBTRACK_EVENTS_H */
