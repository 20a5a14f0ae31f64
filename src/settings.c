/*-------------------------------------------------------------------------
 *
 * settings.c
 *		Every jobtrack.* setting.
 *
 * All settings are defined in every backend, preloaded or not, so that SET,
 * SHOW and pg_cron-only installations see them.  All are reloadable: the
 * launcher notices a changed jobtrack.database and moves the worker to it.
 * stuck_after and retention may also be SET by a superuser, for a
 * run_maintenance() by hand or from pg_cron with other ages.
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/settings.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "miscadmin.h"
#include "utils/guc.h"

#include "settings.h"

char	   *jobtrack_database = NULL;
int			jobtrack_check_interval = 60000;
char	   *jobtrack_notify_channel = NULL;
bool		jobtrack_instant_events = true;
int			jobtrack_stuck_after = 0;
int			jobtrack_retention = 0;
int			jobtrack_event_retention = 2 * 24 * 3600;
int			jobtrack_notify_payload = NOTIFY_PAYLOAD_FULL;
bool		jobtrack_live_progress = true;
int			jobtrack_live_slots = 10000;
int			jobtrack_live_flush_interval = 1000;

static const struct config_enum_entry notify_payload_options[] = {
	{"full", NOTIFY_PAYLOAD_FULL, false},
	{"ids", NOTIFY_PAYLOAD_IDS, false},
	{NULL, 0, false}
};

/* CheckNotifyChannel accepts a non-empty channel name shorter than NAMEDATALEN. */
static bool
CheckNotifyChannel(char **newval, void **extra, GucSource source)
{
	if (*newval == NULL || (*newval)[0] == '\0')
	{
		GUC_check_errdetail("The notification channel must not be empty.");
		return false;
	}
	if (strlen(*newval) >= NAMEDATALEN)
	{
		GUC_check_errdetail("The notification channel must be shorter than %d bytes.",
							NAMEDATALEN);
		return false;
	}
	return true;
}

/* CheckDatabase accepts a non-empty database name. */
static bool
CheckDatabase(char **newval, void **extra, GucSource source)
{
	if (*newval == NULL || (*newval)[0] == '\0')
	{
		GUC_check_errdetail("The worker's database must not be empty.");
		return false;
	}
	return true;
}

/* JobtrackDefineSettings defines every jobtrack.* setting. */
void
JobtrackDefineSettings(void)
{
	DefineCustomStringVariable("jobtrack.database",
							   "Sets the database the jobtrack worker runs in.",
							   NULL, &jobtrack_database, "postgres",
							   PGC_SIGHUP, GUC_SUPERUSER_ONLY,
							   CheckDatabase, NULL, NULL);
	DefineCustomIntVariable("jobtrack.check_interval",
							"Sets how often the worker looks at due groups, delayed and stuck jobs.",
							NULL, &jobtrack_check_interval,
							60000, 10, INT_MAX, PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomStringVariable("jobtrack.notify_channel",
							   "Sets the NOTIFY channel of group events.",
							   NULL, &jobtrack_notify_channel, "jobtrack_events",
							   PGC_SIGHUP, 0, CheckNotifyChannel, NULL, NULL);
	DefineCustomBoolVariable("jobtrack.instant_events",
							 "Wakes the worker when a transaction that changed a group's jobs commits.",
							 NULL, &jobtrack_instant_events, true,
							 PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("jobtrack.stuck_after",
							"Sets the heartbeat age after which a started job is marked stuck (0 turns this off).",
							NULL, &jobtrack_stuck_after,
							0, 0, INT_MAX, PGC_SUSET, GUC_UNIT_S,
							NULL, NULL, NULL);
	DefineCustomIntVariable("jobtrack.retention",
							"Sets the age after which finished jobs are deleted (0 turns this off).",
							NULL, &jobtrack_retention,
							0, 0, INT_MAX, PGC_SUSET, GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomIntVariable("jobtrack.event_retention",
							"Sets the age after which group events, and groups without jobs, are deleted (0 keeps them).",
							NULL, &jobtrack_event_retention,
							2 * 24 * 3600, 0, INT_MAX, PGC_SUSET, GUC_UNIT_S,
							NULL, NULL, NULL);
	DefineCustomEnumVariable("jobtrack.notify_payload",
							 "Sets what a group event's notification carries: the full payload, or only its ids.",
							 "Any role that can connect may LISTEN; with ids, listeners read the rest through group_events() under their own privileges.",
							 &jobtrack_notify_payload, NOTIFY_PAYLOAD_FULL, notify_payload_options,
							 PGC_SIGHUP, 0, NULL, NULL, NULL);

	DefineCustomBoolVariable("jobtrack.live_progress",
							 "Keeps the progress and heartbeats of started jobs in shared memory, flushed by the worker.",
							 "Off, every set_progress() and heartbeat() is a durable write of the job's row.",
							 &jobtrack_live_progress, true,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	/* a postmaster setting can only be defined while preloading */
	if (process_shared_preload_libraries_in_progress)
		DefineCustomIntVariable("jobtrack.live_slots",
								"Sets how many started jobs can have live progress at once.",
								"Each slot takes about 120 bytes of shared memory; when all are taken, writes take the table path.",
								&jobtrack_live_slots,
								10000, 0, 10000000, PGC_POSTMASTER, 0,
								NULL, NULL, NULL);
	DefineCustomIntVariable("jobtrack.live_flush_interval",
							"Sets how often the worker writes live progress to the job rows.",
							"A crash loses at most the progress of one interval.",
							&jobtrack_live_flush_interval,
							1000, 10, 3600 * 1000, PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);

	MarkGUCPrefixReserved("jobtrack");
}
