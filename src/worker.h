/*-------------------------------------------------------------------------
 *
 * worker.h
 *		The launcher and the worker.
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/worker.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JOBTRACK_WORKER_H
#define JOBTRACK_WORKER_H

#include "postgres.h"

extern void JobtrackRegisterLauncher(void);
extern PGDLLEXPORT void JobtrackLauncherMain(Datum main_arg);
extern PGDLLEXPORT void JobtrackWorkerMain(Datum main_arg);

#endif							/* JOBTRACK_WORKER_H */
