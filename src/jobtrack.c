/*-------------------------------------------------------------------------
 *
 * jobtrack.c
 *		Entry point of the jobtrack extension.
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/jobtrack.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"

#include "launcher.h"
#include "settings.h"
#include "utility.h"
#include "wakeup.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/*
 * _PG_init defines the settings in every backend, and only when preloaded
 * sets up shared state and the launcher; without preloading everything but
 * the automatic checks works, and check_groups() can be scheduled instead.
 */
void
_PG_init(void)
{
	JobtrackDefineSettings();

	if (!process_shared_preload_libraries_in_progress || IsBinaryUpgrade)
		return;

	JobtrackRequestShmem();
	JobtrackInstallUtilityHook();
	JobtrackRegisterLauncher();
}
