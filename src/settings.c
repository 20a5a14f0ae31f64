/*-------------------------------------------------------------------------
 *
 * settings.c
 *		Every jobtrack.* setting.
 *
 * All settings are defined in every backend, preloaded or not, so that SET,
 * SHOW and pg_cron-only installations see them.  All are reloadable: the
 * launcher notices a changed jobtrack.databases (or the older
 * jobtrack.database) and starts or stops workers to match.
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
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/varlena.h"

#include "settings.h"

char	   *jobtrack_database = NULL;
char	   *jobtrack_databases = NULL;
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

/* CheckDatabases accepts a comma-separated list of database names, or nothing. */
static bool
CheckDatabases(char **newval, void **extra, GucSource source)
{
	char	   *copy;
	List	   *names;
	bool		ok;

	if (*newval == NULL)
		return true;
	copy = pstrdup(*newval);
	ok = SplitGUCList(copy, ',', &names);
	if (!ok)
		GUC_check_errdetail("The list of databases is not a valid list of names.");
	list_free(names);
	pfree(copy);
	return ok;
}

/*
 * JobtrackServedDatabases returns the names of the databases the launcher
 * may serve, or NIL for every database: jobtrack.databases if set, else
 * the one database of the older jobtrack.database if set.  The names are
 * palloc'd in the current memory context.
 */
List *
JobtrackServedDatabases(void)
{
	const char *setting = jobtrack_databases;
	List	   *names = NIL;

	/* the older setting names one database, as written: never a list */
	if ((setting == NULL || setting[0] == '\0') &&
		jobtrack_database != NULL && jobtrack_database[0] != '\0')
		return list_make1(pstrdup(jobtrack_database));
	if (setting == NULL || setting[0] == '\0')
		return NIL;
	if (!SplitGUCList(pstrdup(setting), ',', &names))
		return NIL;				/* the check hook refused this already */
	return names;
}

/* JobtrackDefineSettings defines every jobtrack.* setting. */
void
JobtrackDefineSettings(void)
{
	DefineCustomStringVariable("jobtrack.databases",
							   "Sets the databases jobtrack workers run in (empty: every database with the extension).",
							   NULL, &jobtrack_databases, "",
							   PGC_SIGHUP, GUC_SUPERUSER_ONLY | GUC_LIST_INPUT,
							   CheckDatabases, NULL, NULL);
	DefineCustomStringVariable("jobtrack.database",
							   "Deprecated: sets the one database the jobtrack worker runs in, when jobtrack.databases is empty.",
							   NULL, &jobtrack_database, "",
							   PGC_SIGHUP, GUC_SUPERUSER_ONLY,
							   NULL, NULL, NULL);
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
