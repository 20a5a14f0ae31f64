/*-------------------------------------------------------------------------
 *
 * settings.h
 *		The jobtrack.* settings.
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/settings.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JOBTRACK_SETTINGS_H
#define JOBTRACK_SETTINGS_H

#include "nodes/pg_list.h"

extern char *jobtrack_database;
extern char *jobtrack_databases;
extern int	jobtrack_check_interval;
extern char *jobtrack_notify_channel;
extern bool jobtrack_instant_events;
extern int	jobtrack_stuck_after;
extern int	jobtrack_retention;
extern int	jobtrack_event_retention;
extern int	jobtrack_notify_payload;
extern bool jobtrack_live_progress;
extern int	jobtrack_live_slots;
extern int	jobtrack_live_flush_interval;

/* the values of jobtrack.notify_payload */
typedef enum NotifyPayload
{
	NOTIFY_PAYLOAD_FULL,
	NOTIFY_PAYLOAD_IDS
} NotifyPayload;

extern void JobtrackDefineSettings(void);
extern List *JobtrackServedDatabases(void);

#endif							/* JOBTRACK_SETTINGS_H */
