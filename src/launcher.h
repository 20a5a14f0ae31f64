/*-------------------------------------------------------------------------
 *
 * launcher.h
 *		The jobtrack launcher.
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/launcher.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JOBTRACK_LAUNCHER_H
#define JOBTRACK_LAUNCHER_H

#include "postgres.h"

extern void JobtrackRegisterLauncher(void);
extern PGDLLEXPORT void JobtrackLauncherMain(Datum main_arg);

#endif							/* JOBTRACK_LAUNCHER_H */
