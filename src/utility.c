/*-------------------------------------------------------------------------
 *
 * utility.c
 *		The utility commands jobtrack's launcher and workers must hear of.
 *
 * A ProcessUtility hook, installed when jobtrack is preloaded, notes:
 *
 * - COMMIT PREPARED: it runs in a backend that does not know what the
 *   prepared transaction changed, so it always asks for an urgent wake-up
 *   of this database's worker.
 * - CREATE EXTENSION jobtrack: at commit the launcher is told to start the
 *   worker in this database, so it runs within moments.
 * - DROP EXTENSION jobtrack: on the coordinator of a Citus cluster the
 *   shards are dropped first (citus.c); at commit the worker is woken,
 *   finds the extension gone, and stops until it is created again.
 * - DROP DATABASE (plain or WITH (FORCE)), ALTER DATABASE ... RENAME TO and
 *   SET TABLESPACE, and CREATE DATABASE ... TEMPLATE: each needs a database
 *   nobody is connected to, so the database's worker is stopped first and
 *   kept out until the command's transaction ends (wakeup.c).  This happens
 *   only for a caller who owns the database (or is a superuser), so nobody
 *   else can stop a worker by issuing a command bound to fail.
 *
 * The idea follows TimescaleDB's loader, which stops a database's scheduler
 * when it sees DROP DATABASE.
 *
 * Copyright (c) 2026, jobtrack authors
 *
 * IDENTIFICATION
 *		src/utility.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/dbcommands.h"
#include "commands/defrem.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "tcop/utility.h"
#include "utils/acl.h"

#include "citus.h"
#include "live.h"
#include "utility.h"
#include "wakeup.h"

static ProcessUtility_hook_type prev_process_utility_hook = NULL;

/* IsJobtrackName says whether a String node names the jobtrack extension. */
static bool
IsJobtrackName(Node *name)
{
	return IsA(name, String) && strcmp(strVal(name), "jobtrack") == 0;
}

/* DropsJobtrack says whether a DROP statement drops the jobtrack extension. */
static bool
DropsJobtrack(DropStmt *stmt)
{
	ListCell   *cell;

	if (stmt->removeType != OBJECT_EXTENSION)
		return false;
	foreach(cell, stmt->objects)
		if (IsJobtrackName(lfirst(cell)))
			return true;
	return false;
}

/* TemplateOption returns the TEMPLATE of a CREATE DATABASE, or NULL. */
static char *
TemplateOption(CreatedbStmt *stmt)
{
	ListCell   *cell;

	foreach(cell, stmt->options)
	{
		DefElem    *option = lfirst(cell);

		if (strcmp(option->defname, "template") == 0 && option->arg != NULL)
			return defGetString(option);
	}
	return NULL;
}

/* MovesTablespace says whether an ALTER DATABASE sets its tablespace. */
static bool
MovesTablespace(AlterDatabaseStmt *stmt)
{
	ListCell   *cell;

	foreach(cell, stmt->options)
		if (strcmp(((DefElem *) lfirst(cell))->defname, "tablespace") == 0)
			return true;
	return false;
}

/*
 * DatabaseNeededAlone returns the name of the database the statement needs
 * with nobody connected, or NULL.
 */
static const char *
DatabaseNeededAlone(Node *parsetree)
{
	switch (nodeTag(parsetree))
	{
		case T_DropdbStmt:
			return ((DropdbStmt *) parsetree)->dbname;
		case T_RenameStmt:
			if (((RenameStmt *) parsetree)->renameType == OBJECT_DATABASE)
				return ((RenameStmt *) parsetree)->subname;
			return NULL;
		case T_CreatedbStmt:
			return TemplateOption((CreatedbStmt *) parsetree);
		case T_AlterDatabaseStmt:
			if (MovesTablespace((AlterDatabaseStmt *) parsetree))
				return ((AlterDatabaseStmt *) parsetree)->dbname;
			return NULL;
		default:
			return NULL;
	}
}

/*
 * PauseIfOwner stops the worker of a database the statement needs alone,
 * if the caller owns that database; the command checks the rest itself.
 */
static void
PauseIfOwner(Node *parsetree)
{
	const char *name = DatabaseNeededAlone(parsetree);
	Oid			dbid;

	if (name == NULL)
		return;
	dbid = get_database_oid(name, true);
	if (OidIsValid(dbid) && dbid != MyDatabaseId &&
		pg_database_ownercheck(dbid, GetUserId()))
		JobtrackPauseDatabase(dbid);
}

/*
 * NoteAfter records what a utility statement that just succeeded asks of
 * the worker or the launcher when its transaction commits.
 */
static void
NoteAfter(Node *parsetree)
{
	if (IsA(parsetree, TransactionStmt) &&
		((TransactionStmt *) parsetree)->kind == TRANS_STMT_COMMIT_PREPARED)
		WakeWorkerAtCommit(true);
	else if (IsA(parsetree, CreateExtensionStmt) &&
			 strcmp(((CreateExtensionStmt *) parsetree)->extname, "jobtrack") == 0)
		JobtrackPokeLauncherAtCommit();
	else if (IsA(parsetree, DropStmt) && DropsJobtrack((DropStmt *) parsetree))
	{
		WakeWorkerAtCommit(true);
		/* a new CREATE EXTENSION hands out the same job ids again */
		LiveForgetDatabaseAtCommit(MyDatabaseId);
	}
}

/* JobtrackProcessUtility is the hook: note, run the statement, note. */
static void
JobtrackProcessUtility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
					   ProcessUtilityContext context, ParamListInfo params,
					   QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *parsetree = pstmt->utilityStmt;
	Oid			dropped = InvalidOid;

	PauseIfOwner(parsetree);
	if (IsA(parsetree, DropdbStmt))
		dropped = get_database_oid(((DropdbStmt *) parsetree)->dbname, true);
	if (IsA(parsetree, DropStmt) && DropsJobtrack((DropStmt *) parsetree))
		JobtrackReleaseShardsForDrop();
	if (prev_process_utility_hook)
		prev_process_utility_hook(pstmt, queryString, readOnlyTree, context, params,
								  queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params,
								queryEnv, dest, qc);
	NoteAfter(parsetree);
	/* the live slots of a dropped database would hold their places for good */
	if (OidIsValid(dropped))
		LiveForgetDatabaseAtCommit(dropped);
}

/* JobtrackInstallUtilityHook installs the hook; called from _PG_init while preloading. */
void
JobtrackInstallUtilityHook(void)
{
	prev_process_utility_hook = ProcessUtility_hook;
	ProcessUtility_hook = JobtrackProcessUtility;
}
