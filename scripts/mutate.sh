#!/usr/bin/env bash
#
# Proves that the test suites can fail: breaks the code on purpose, one
# mutation at a time, and runs the test that guards it.  Each mutation must
# turn its test red; a mutation whose test stays green is reported as
# SURVIVED and makes the script exit non-zero.
#
# Run as root after scripts/test.sh has installed the packages (it builds
# and installs mutated copies of the extension, so do not run it beside
# another test run).  It works in a copy of the repository, restarts a
# throwaway cluster for each mutation (the worker's library is loaded at
# server start), and reinstalls the unmutated build at the end.
#
#   bash scripts/mutate.sh            # every mutation
#   bash scripts/mutate.sh due lock   # only those whose name contains a word
#   bash scripts/mutate.sh --check    # only whether each still applies to the code
#   bash scripts/mutate.sh --guards   # only whether each guard passes unmutated
#
# --check builds nothing: it applies each mutation to a copy of its file and
# reports those that no longer match the code they were written for (the
# test suites run it, so a mutation cannot go stale unnoticed).  Before it
# mutates anything, a run checks that every guard it will use passes on the
# code as it is: a guard that is red anyway would count every mutation it
# guards as killed.
#
set -u
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

# shellcheck source=scripts/mutations.sh
. scripts/mutations.sh

SRC=$(pwd)
WORK=$(mktemp -d /tmp/jobtrack-mutate.XXXXXX)
PORT=${JOBTRACK_MUTATE_PORT:-5487}
CFLAGS="-Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers"
chown postgres "$WORK" 2>/dev/null
trap 'rm -rf "$WORK"' EXIT

cleanup() {
	stop_cluster "$WORK/pg"
	(cd "$SRC" && make -s clean >/dev/null 2>&1; make -s PG_CFLAGS="$CFLAGS" >/dev/null && install_atomically) \
		|| echo "could not reinstall the unmutated build" >&2
	rm -rf "$WORK"
}

# Each mutation: name @@ file @@ perl substitution (must change the file) @@ guarding test.
# A test is "regress:NAME", "isolation:NAME", "isolation-live:NAME", "pgtap:FILE", "tap:FILE" or
# "citus:FILE" (test/citus, which needs Citus installed: scripts/test.sh builds it).
MUTATIONS=$(cat <<'EOF'
transition-allowed @@ src/status.c @@ s/\[JOB_QUEUED\] = BIT\(JOB_STARTED\)/[JOB_QUEUED] = BIT(JOB_SUCCEEDED) | BIT(JOB_STARTED)/ @@ pgtap:02_transitions.sql
started-skipped @@ src/evaluator.c @@ s/\t\tRaiseEvent\(w, "group.started", now\);\n\t\tevents\+\+;/\t\tif (!AllFinished(w->counts))\n\t\t{\n\t\t\tRaiseEvent(w, "group.started", now);\n\t\t\tevents++;\n\t\t}/ @@ regress:groups
counts-swapped @@ src/events.c @@ s/c\[JOB_STUCK\], not_finished, finished, c\[JOB_SUCCEEDED\],\n\t\t\t\t\t c\[JOB_FAILED\]/c[JOB_STUCK], not_finished, finished, c[JOB_FAILED],\n\t\t\t\t\t c[JOB_SUCCEEDED]/ @@ tap:001_worker_events.pl
lock-removed @@ src/evaluator.c @@ s/\t\(void\) LockAcquire\(&tag, ExclusiveLock, false, false\);/\t(void) tag;/ @@ isolation:evaluator_lock
lock-advisory @@ src/evaluator.c @@ s/tag->locktag_type = LOCKTAG_USERLOCK;\n\ttag->locktag_lockmethodid = USER_LOCKMETHOD;/tag->locktag_type = LOCKTAG_ADVISORY;\n\ttag->locktag_lockmethodid = USER_LOCKMETHOD;\n\ttag->locktag_field1 = MyDatabaseId;\n\ttag->locktag_field2 = 0;\n\ttag->locktag_field3 = 0;\n\ttag->locktag_field4 = 1;/ @@ isolation:evaluator_lock
due-not-rescheduled @@ src/evaluator.c @@ s/\t\tw->due = true;\n/\t\tw->due = w < work + drained;\n/ @@ regress:groups
restored-restamped @@ src/job_guard.c @@ s/status != JOB_PAUSED && status != JOB_CANCELLED/status != JOB_CANCELLED/ @@ tap:013_dump_restore.pl
restored-counted @@ src/evaluator.c @@ s/FILTER \(WHERE NOT restored AND new_status/FILTER (WHERE new_status/ @@ tap:013_dump_restore.pl
retention-takes-uncounted @@ src/maintenance.c @@ s/"   AND EXISTS \(SELECT 1 FROM jobtrack.group_count n WHERE n.group_id OPERATOR\(pg_catalog.=\) g.id" \\\n\t"    AND" COUNTS_ZERO/"   AND NOT EXISTS (SELECT 1 FROM jobtrack.group_count n WHERE n.group_id OPERATOR(pg_catalog.=) g.id" \\\n\t"    AND NOT" COUNTS_ZERO/ @@ tap:013_dump_restore.pl
new-group-uncounted @@ src/groups.c @@ s/SELECT id FROM g ON CONFLICT \(group_id\) DO NOTHING\)/SELECT id FROM g WHERE false)/ @@ regress:retention
truncate-drops-counts @@ src/job_record.c @@ s/\{"UPDATE jobtrack.group_count SET queued = 0, delayed = 0, started = 0, paused = 0,"\n\t " stuck = 0, succeeded = 0, failed = 0, cancelled = 0"\n\t " WHERE" GROUP_COUNT_TOTAL\(""\) " OPERATOR\(pg_catalog.<>\) 0",/{"DELETE FROM jobtrack.group_count",/ @@ regress:retention
recount-leaves-uncounted @@ src/evaluator.c @@ s/\(work\[i\].has_counts \|\| !work\[i\].recount \|\| !work\[i\].exists\)/true/ @@ regress:retention
retention-waits-for-child @@ src/maintenance.c @@ s/ANY \(ARRAY\(SELECT id FROM doomed\)\) FOR UPDATE SKIP LOCKED\)"/ANY (ARRAY(SELECT id FROM doomed)) FOR UPDATE)"/ @@ isolation:retention_locked_child
retention-ignores-locked-child @@ src/maintenance.c @@ s/"   AND NOT EXISTS \(SELECT 1 FROM " table " c WHERE/"   AND true OR EXISTS (SELECT 1 FROM " table " c WHERE/ @@ isolation:retention_locked_child
running-jobs-as-owner @@ jobtrack.sql @@ s/CREATE VIEW jobtrack.running_jobs WITH \(security_invoker = true\) AS/CREATE VIEW jobtrack.running_jobs AS/ @@ regress:row_security
group-lock-not-taken @@ src/groups.c @@ s/\t\(void\) LockGroupForJobs\(group_id, false\);\n\tCheckGroupStillThere/\tCheckGroupStillThere/ @@ isolation:group_retention_race
retention-ignores-group-lock @@ src/groups.c @@ s/return LockAcquire\(&tag, ExclusiveLock, false, true\) != LOCKACQUIRE_NOT_AVAIL;/return true;/ @@ isolation:group_retention_race
orphan-counts-kept @@ src/maintenance.c @@ s/\t\t\t\t\(void\) RunSavedQuery\(&orphan_counts_query, NULL, NULL\);\n\t\t\t\t\(void\) DeleteGroups\(&group_candidates_query/\t\t\t\t(void) DeleteGroups(&group_candidates_query/ @@ regress:retention
future-id-allowed @@ src/job_guard.c @@ s/\tif \(RelationGetRelid\(rel\) != JobtrackRelid\("job_status"\) \|\|/\tif (true ||/ @@ pgtap:06_privileges.sql
external-id-of-other-role-returned @@ src/jobs.c @@ s/\tif \(!JobVisible\(job_id\)\)/\tif (false)/ @@ pgtap:07_row_security.sql
job-names-invisible-job @@ src/jobref.c @@ s/if \(!LookUpExternalId\(external_id, &job.id\) \|\| !JobVisible\(job.id\)\)/if (!LookUpExternalId(external_id, &job.id))/ @@ pgtap:07_row_security.sql
worker-waits-for-evaluator @@ src/worker.c @@ s/\tif \(!TryLockEvaluator\(\)\)/\tif (false)/ @@ tap:025_worker_not_stalled.pl
group-lock-per-group @@ src/groups.c @@ s/\tSetStripeLockTag\(&tag, GroupLockStripe\(group_id\)\);\n/\tSetStripeLockTag(&tag, GroupLockStripe(group_id));\n\ttag.locktag_field2 = (uint32) group_id;\n\ttag.locktag_field3 = (uint32) ((uint64) group_id >> 32);\n/ @@ regress:retention
repeatable-read-unchecked @@ src/groups.c @@ s/\tif \(!IsolationUsesXactSnapshot\(\) \|\|\n\t\tReadGroupStatus/\tif (true ||\n\t\tReadGroupStatus/ @@ isolation:group_retention_race
citus-retention-ignores-nodes @@ src/maintenance.c @@ s/&citus_group_delete_query, event_retention, true\);/&citus_group_delete_query, event_retention, false);/ @@ citus:001_cluster.pl
no-set-aside @@ src/evaluator.c @@ s/if \(!IsDataError\(edata\) \|\| !req->current \|\| req->recount\)/if (true)/ @@ regress:set_aside
empty-run-raises @@ src/evaluator.c @@ s/\(\(w->reopened && w->active\) \|\|/(w->reopened ||/ @@ regress:groups
huge-tag-numeric @@ src/scopes.c @@ s/\tif \(strlen\(s\) > TAG_NUMBER_MAX_CHARS\)\n\t\treturn false;\n// @@ regress:scopes
silent-gap @@ jobtrack.sql @@ s/IF after_id OPERATOR\(pg_catalog.<\) horizon THEN/IF false THEN/ @@ regress:retention
truncate-unlocked @@ src/job_record.c @@ s/\tLockEvaluatorTag\(\);\n// @@ isolation:evaluator_lock
commit-prepared-quiet @@ src/utility.c @@ s/TRANS_STMT_COMMIT_PREPARED\)\n\t\tWakeWorkerAtCommit\(true\);/TRANS_STMT_COMMIT_PREPARED)\n\t\t(void) 0;/ @@ tap:015_commit_prepared.pl
ids-not-caught-up @@ src/events.c @@ s/\tif \(!ids_caught_up\)\n/\tif (false)\n/ @@ tap:013_dump_restore.pl
live-fold-skipped @@ src/job_guard.c @@ s/\tFoldLiveValues\(&changes, oldtuple, newtuple, desc, job_id, from\);/\t(void) FoldLiveValues;/ @@ tap:017_live_progress.pl
live-rls-ignored @@ src/live.c @@ s/return LiveCallerSeesAllJobs\(ACL_UPDATE\);/return true;/ @@ tap:017_live_progress.pl
live-stuck-stored @@ src/maintenance.c @@ s/JobtrackSchemaHasLive\(\) \? &mark_stuck_query/false ? &mark_stuck_query/ @@ tap:017_live_progress.pl
live-no-shutdown-flush @@ src/worker.c @@ s/\t\t\t\(void\) WorkerFlush\(\);\n\t\t\tproc_exit\(0\);/\t\t\tproc_exit(0);/ @@ tap:017_live_progress.pl
live-flush-waits @@ src/live.c @@ s/FOR UPDATE OF j SKIP LOCKED/FOR UPDATE OF j/ @@ isolation-live:live_progress
dropdb-not-paused @@ src/utility.c @@ s/\tPauseIfOwner\(parsetree\);/\t(void) PauseIfOwner;/ @@ tap:022_drop_database.pl
recount-misses-rerun @@ src/evaluator.c @@ s/\t\tw->reopened = true;\n\t\tif \(k == JOB_STARTED/\t\tif (k == JOB_STARTED/ @@ regress:recount
shrink-waits @@ src/evaluator.c @@ s/!ConditionalLockRelationOid\(relid, AccessExclusiveLock\)/(LockRelationOid(relid, AccessExclusiveLock), false)/ @@ isolation:shrink_concurrent
shrink-ignores-rows @@ src/evaluator.c @@ s/if \(RunSavedQuery\(&any_change_query, NULL, NULL\) == 0\)/if ((void) any_change_query, true)/ @@ regress:shrink
second-sigterm-dies @@ src/worker.c @@ s/if \(worker_sleeping \|\| worker_stop\)/if (worker_sleeping)/ @@ tap:017_live_progress.pl
create-extension-unnoticed @@ src/utility.c @@ s/\t\tJobtrackPokeLauncherAtCommit\(\);/\t\t(void) 0;/ @@ tap:021_databases.pl
outbox-not-moved @@ src/evaluator.c @@ s/\t\t\t\(void\) MoveOutboxChanges\(\);/\t\t\t(void) MoveOutboxChanges;/ @@ citus:001_cluster.pl
shard-change-dropped @@ src/job_record.c @@ s/\telse\n\t\tRecordShardGroupChange\(rel, group_id, job_id, old_status, new_status\);/\telse\n\t\t(void) RecordShardGroupChange;/ @@ citus:001_cluster.pl
ids-shared @@ jobtrack.sql @@ s/\tPERFORM jobtrack_internal.split_id_ranges\(\);\n// @@ citus:001_cluster.pl
drop-leaves-shards @@ src/utility.c @@ s/\t\tJobtrackReleaseShardsForDrop\(\);/\t\t(void) JobtrackReleaseShardsForDrop;/ @@ citus:001_cluster.pl
forged-trigger-runs @@ jobtrack.sql @@ s/\tIF TG_TABLE_SCHEMA OPERATOR\(pg_catalog.<>\) 'jobtrack' THEN/\tIF false THEN/g @@ pgtap:06_privileges.sql
stranger-drop-locks @@ src/citus.c @@ s/ \|\| !pg_extension_ownercheck\(extension, GetUserId\(\)\)// @@ citus:001_cluster.pl
worker-jit @@ src/worker.c @@ s/\tSetConfigOption\("jit", "off", PGC_SUSET, PGC_S_OVERRIDE\);\n// @@ tap:024_no_jit.pl
check-groups-jit @@ jobtrack.sql @@ s/('jobtrack_check_groups' LANGUAGE C VOLATILE\n\tSECURITY DEFINER SET search_path = pg_catalog, pg_temp) SET jit = off\n/$1\n/ @@ tap:024_no_jit.pl
split-restarts @@ jobtrack.sql @@ s/\t\tCONTINUE WHEN last OPERATOR/\t\tCONTINUE WHEN false AND last OPERATOR/ @@ citus:001_cluster.pl
live-read-under-rls @@ src/live_readers.c @@ s/return LiveLookup\(PG_GETARG_INT64\(0\), live\) && LiveReadAllowed\(\);/return LiveLookup(PG_GETARG_INT64(0), live);/ @@ tap:017_live_progress.pl
flush-under-rls @@ src/live_readers.c @@ s/\tif \(!LiveCallerSeesAllJobs\(ACL_UPDATE\)\)\n/\tif (false)\n/ @@ pgtap:07_row_security.sql
live-in-read-only @@ src/live.c @@ s/\t\tXactReadOnly \|\| /\t\t/ @@ tap:017_live_progress.pl
prepare-keeps-slot @@ src/live.c @@ s/\tif \(event == XACT_EVENT_PREPARE\)\n/\tif (false)\n/ @@ tap:017_live_progress.pl
truncate-keeps-slots @@ src/job_record.c @@ s/\tLiveForgetDatabaseAtCommit\(MyDatabaseId\);\n// @@ tap:017_live_progress.pl
schedule-in-past @@ src/evaluator.c @@ s/next_check_at = GREATEST\(\$5 OPERATOR\(pg_catalog.\+\) g.time_to_check,"\n\t"   \$5 OPERATOR\(pg_catalog.\+\) '1 second'::pg_catalog.interval\)"/next_check_at = \$5 OPERATOR(pg_catalog.+) g.time_to_check"/ @@ tap:025_worker_not_stalled.pl
next-due-counts-set-aside @@ src/evaluator.c @@ s/RunSavedQuery\(JobtrackSchemaIsCurrent\(\) \? &next_due_query/RunSavedQuery(false ? &next_due_query/ @@ tap:025_worker_not_stalled.pl
housekeeping-waits @@ src/worker.c @@ s/(StartTransactionCommand\(\);\n)\tLimitLockWaits\(\);\n(\tSPI_connect\(\);\n\tPushActiveSnapshot\(GetTransactionSnapshot\(\)\);\n\tif \(ExtensionReady\(\) && !RunInSubTransaction\(Maintenance)/$1$2/ @@ tap:025_worker_not_stalled.pl
old-setting-as-list @@ src/settings.c @@ s/\t\treturn list_make1\(pstrdup\(jobtrack_database\)\);/\t\tsetting = jobtrack_database;/ @@ tap:003_database_missing.pl
launcher-polls-paused @@ src/launcher.c @@ s/\(db->state == DB_WAITING \|\| db->state == DB_NO_WORKER\) &&\n\t\t\t!JobtrackDatabasePaused\(db->oid\)\)\n\t\t\ttimeout/(db->state == DB_WAITING || db->state == DB_NO_WORKER))\n\t\t\ttimeout/ @@ tap:025_worker_not_stalled.pl
relid-cache-stale @@ src/spi_util.c @@ s/\t\tCacheRegisterSyscacheCallback\(RELNAMENSP, ForgetRelationOids, \(Datum\) 0\);\n\t\tCacheRegisterSyscacheCallback\(NAMESPACENAME, ForgetRelationOids, \(Datum\) 0\);\n/\t\t(void) ForgetRelationOids;\n/ @@ regress:reinstall
progress-recorded @@ src/job_record.c @@ s/if \(from != to && group_id != 0\)/if (group_id != 0)/ @@ regress:groups
upgrade-resets-trigger-mode @@ jobtrack--1.2--2.0.sql @@ s/IF mode OPERATOR\(pg_catalog.<>\) 'O' THEN/IF false THEN/ @@ regress:upgrade
tag-scope-misses-index @@ jobtrack.sql @@ s/\t   AND j.tags OPERATOR\(pg_catalog.<>\) '\{\}'::pg_catalog.jsonb\n//g @@ pgtap:03_functions.sql
tag-index-keeps-empty @@ jobtrack.sql @@ s/ WHERE tags OPERATOR\(pg_catalog.<>\) '\{\}'::pg_catalog.jsonb;/;/ @@ pgtap:03_functions.sql
due-cap-raised @@ src/evaluator.h @@ s/#define WORKER_DUE_GROUPS 200/#define WORKER_DUE_GROUPS 1000/ @@ tap:001_worker_events.pl
sql-check-capped @@ src/groups.c @@ s/CheckGroups\(0\)/CheckGroups(WORKER_DUE_GROUPS)/ @@ regress:groups
negative-time-to-check @@ src/groups.c @@ s/parts->month < 0 \|\| parts->day < 0 \|\| parts->time < 0 \|\|/parts == NULL ||/ @@ regress:groups
plans-for-values @@ src/spi_util.c @@ s/query->generic_plan \? CURSOR_OPT_GENERIC_PLAN : 0/0/ @@ tap:026_pass_plans.pl
check-groups-custom-plans @@ jobtrack.sql @@ s/('jobtrack_check_groups' LANGUAGE C VOLATILE\n\tSECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off)\n\tSET plan_cache_mode = auto;/$1;/ @@ tap:026_pass_plans.pl
has-counts-never @@ src/evaluator.c @@ s/work\[i\].has_counts = !isnull;/work[i].has_counts = false;/ @@ tap:026_pass_plans.pl
has-counts-always @@ src/evaluator.c @@ s/work\[i\].has_counts = !isnull;/work[i].has_counts = true;/ @@ regress:groups
set-aside-filter-always @@ src/evaluator.c @@ s/\tif \(req->set_aside\)\n\t\treturn &drain_changes_query;/\tif (true)\n\t\treturn \&drain_changes_query;/ @@ tap:026_pass_plans.pl
drain-marks-ignored @@ src/wakeup.c @@ s/\t\tfrom = Min\(from, drain_marks\[i\].block\);/\t\t(void) drain_marks[i];/ @@ tap:015_commit_prepared.pl
drain-marks-forgotten @@ src/wakeup.c @@ s/if \(!TransactionIdPrecedesOrEquals\(drain_marks\[i\].horizon, xmin\)\)/if ((void) xmin, false)/ @@ tap:015_commit_prepared.pl
drain-mark-not-noted @@ src/group_change.c @@ s/\tNoteChangeBlock\(InsertChangeRow\(/\t(void) (InsertChangeRow(/ @@ tap:015_commit_prepared.pl
restored-skips-jobs @@ src/evaluator.c @@ s/AND \(c.new_status IS NULL"/AND (true OR c.new_status IS NULL"/ @@ tap:013_dump_restore.pl
set-aside-ignored @@ src/evaluator.c @@ s/req->set_aside = AnyGroupSetAside\(req->current\);/req->set_aside = false && AnyGroupSetAside(req->current);/ @@ regress:set_aside
group-probe-misses-own-call @@ src/groups.c @@ s/\tCommandCounterIncrement\(\);\n\tPushActiveSnapshot/\tPushActiveSnapshot/ @@ regress:groups
group-probe-skips-privilege @@ src/groups.c @@ s/if \(!DirectReadAllowed\(relid\)\)/if ((void) relid, false)/ @@ regress:groups
open-table-skips-policies @@ src/spi_util.c @@ s/\t\tcheck_enable_rls\(relid, InvalidOid, true\) != RLS_ENABLED;/\t\ttrue;/ @@ regress:groups
open-table-skips-privilege @@ src/spi_util.c @@ s/pg_class_aclcheck\(relid, GetUserId\(\), mode\) == ACLCHECK_OK &&/true \&\&/ @@ tap:017_live_progress.pl
job-probe-skips-privilege @@ src/progress.c @@ s/ActiveSnapshotSet\(\) && DirectReadAllowed\(relid\)/ActiveSnapshotSet()/ @@ tap:017_live_progress.pl
job-probe-latest-snapshot @@ src/progress.c @@ s/"status", GetActiveSnapshot\(\)/"status", GetLatestSnapshot()/ @@ tap:017_live_progress.pl
live-write-needs-select-only @@ src/live.c @@ s/return LiveCallerSeesAllJobs\(ACL_UPDATE\);/return LiveCallerSeesAllJobs(ACL_SELECT);/ @@ tap:017_live_progress.pl
direct-user-triggers-ignored @@ src/direct_update.c @@ s/\t\telse\n\t\t\treturn false;\n\t\}\n\treturn guards/\t\telse\n\t\t\tcontinue;\n\t}\n\treturn guards/ @@ regress:direct_update
direct-disabled-guard-applied @@ src/direct_update.c @@ s/if \(trigger->tgenabled != TRIGGER_FIRES_ON_ORIGIN \|\|/if (/ @@ regress:direct_update
direct-rules-ignored @@ src/direct_update.c @@ s/rel->rd_rules == NULL &&/true \&\&/ @@ regress:direct_update
direct-in-read-only @@ src/direct_update.c @@ s/return !XactReadOnly &&/return/ @@ regress:direct_update
direct-never-taken @@ src/jobs.c @@ s/\tdirect = DirectUpdateJob\(job.id, /\tdirect = DIRECT_NOT_TAKEN;\n\tif (false)\n\t\tdirect = DirectUpdateJob(job.id, / @@ regress:direct_update
direct-no-index-entries @@ src/direct_update.c @@ s/if \(result == TM_Ok && !HeapTupleIsHeapOnly\(newtuple\)\)/if (false)/ @@ regress:direct_update
direct-change-unrecorded @@ src/direct_update.c @@ s/\t\t\tRecordJobUpdate\(rel, oldtuple, newtuple\);\n// @@ regress:direct_update
direct-misses-own-call @@ src/direct_update.c @@ s/\tCommandCounterIncrement\(\);\n\tPushActiveSnapshot/\tPushActiveSnapshot/ @@ regress:direct_update
direct-skips-update-privilege @@ src/direct_update.c @@ s/cmd == CMD_INSERT \? ACL_INSERT : ACL_UPDATE/cmd == CMD_INSERT ? ACL_INSERT : ACL_SELECT/ @@ pgtap:06_privileges.sql
direct-skips-insert-privilege @@ src/direct_update.c @@ s/cmd == CMD_INSERT \? ACL_INSERT : ACL_UPDATE/cmd == CMD_INSERT ? ACL_SELECT : ACL_UPDATE/ @@ pgtap:06_privileges.sql
direct-skips-policies @@ src/direct_update.c @@ s/\t\tDirectReadAllowed\(relid\) && OnlyJobtrackTriggers/\t\tOnlyJobtrackTriggers/ @@ pgtap:07_row_security.sql
direct-stuck-left-stuck @@ src/direct_update.c @@ s/if \(set->resume_stuck && status == JOB_STUCK\)/if (false \&\& set->resume_stuck \&\& status == JOB_STUCK)/ @@ regress:direct_update
direct-progress-by-statement @@ src/progress.c @@ s/\tswitch \(DirectUpdateJob\(job->id, set\)\)/\tswitch (DIRECT_NOT_TAKEN)/ @@ regress:direct_update
direct-in-replica-role @@ src/direct_update.c @@ s/ \|\| SessionReplicationRole != SESSION_REPLICATION_ROLE_ORIGIN\)/)/ @@ regress:direct_update
direct-ignores-replica-identity @@ src/direct_update.c @@ s/\tCheckCmdReplicaIdentity\(rel, CMD_UPDATE\);\n// @@ regress:direct_update
direct-constraints-skipped @@ src/direct_update.c @@ s/\tExecConstraints\(rri, \*slot, estate\);\n// @@ regress:direct_update
direct-own-foreign-key-skipped @@ src/direct_update.c @@ s/\tif \(RI_FKey_trigger_type\(trigger->tgfoid\) != RI_TRIGGER_PK\)\n\t\treturn false;/\tif (RI_FKey_trigger_type(trigger->tgfoid) != RI_TRIGGER_PK)\n\t\treturn RI_FKey_trigger_type(trigger->tgfoid) == RI_TRIGGER_FK;/ @@ regress:direct_update
direct-referenced-key-falls-back @@ src/direct_update.c @@ s/\tresult = con->conindid == RelationGetPrimaryKeyIndex\(rel\);/\tresult = con->conindid == InvalidOid;/ @@ regress:direct_update
direct-generated-ignored @@ src/direct_update.c @@ s/\t\t!\(constr && constr->has_generated_stored\) &&/\t\t(constr || true) \&\&/ @@ regress:direct_update
direct-children-ignored @@ src/direct_update.c @@ s/ && !rel->rd_rel->relhassubclass &&/ \&\&/ @@ regress:direct_update
direct-refusal-not-left @@ src/direct_update.c @@ s/else if \(!Refused\(to, status\)\)/else if (true || !Refused(to, status))/ @@ regress:direct_update
direct-conflict-taken-as-written @@ src/direct_update.c @@ s/\treturn result == TM_Ok;/\treturn result == TM_Ok || result == TM_Updated;/ @@ isolation:status_race
direct-insert-never-taken @@ src/direct_insert.c @@ s/\tif \(!TransactionAllowsDirectWrite\(\)\)\n\t\treturn false;/\tif (true)\n\t\treturn false;/ @@ regress:direct_update
direct-insert-user-triggers-ignored @@ src/direct_update.c @@ s/if \(cmd == CMD_INSERT \? !TRIGGER_FOR_INSERT\(type\) :/if (cmd == CMD_INSERT ? (!TRIGGER_FOR_INSERT(type) || !TRIGGER_FOR_BEFORE(type)) :/ @@ regress:direct_update
direct-insert-defaults-kept @@ src/direct_insert.c @@ s/\t\tdefault_cache.relid = InvalidOid;\n\t\tdefault_cache_forgotten = true;\n\t\}/\t\t(void) 0;\n\t}/ @@ regress:direct_update
direct-insert-domain-ignored @@ src/direct_insert.c @@ s/else if \(get_typtype\(att->atttypid\) == TYPTYPE_DOMAIN\)/else if (false)/ @@ regress:direct_update
direct-insert-type-ignored @@ src/direct_insert.c @@ s/if \(att->atttypid != types\[i\] \|\| att->atttypmod != -1 \|\|/if ((false \&\& (att->atttypid != types[i] || att->atttypmod != -1)) ||/ @@ regress:direct_update
direct-insert-no-index-entries @@ src/direct_insert.c @@ s/\tDirectIndexEntries\(rri, slot, tuple, estate, false\);\n/\t(void) rri;\n/ @@ regress:direct_update
direct-insert-unrecorded @@ src/direct_insert.c @@ s/\tRecordJobInsert\(rel, tuple\);\n// @@ regress:direct_update
direct-insert-unguarded @@ src/direct_insert.c @@ s/\ttuple = GuardJobInsert\(rel, tuple\);\n// @@ regress:direct_update
wake-witness-trusted @@ src/group_change.c @@ s/\t\tIsUnfinishedJobOf\(rel, slot, witness->job_id, group_id\);/\t\t(IsUnfinishedJobOf(rel, slot, witness->job_id, group_id) || true);/ @@ tap:027_wake_at_once.pl
wake-last-finish-lazy @@ src/group_change.c @@ s/return finishes && !OtherUnfinishedJob\(group_id, job_id\);/return finishes \&\& !(OtherUnfinishedJob(group_id, job_id) || true);/ @@ tap:027_wake_at_once.pl
wake-every-finish-urgent @@ src/group_change.c @@ s/return finishes && !OtherUnfinishedJob\(group_id, job_id\);/return finishes \&\& (OtherUnfinishedJob(group_id, job_id) || true);/ @@ tap:027_wake_at_once.pl
wake-first-start-lazy @@ src/group_change.c @@ s/\t\treturn !GroupIsRunning\(group_id\);/\t\treturn false \&\& !GroupIsRunning(group_id);/ @@ tap:027_wake_at_once.pl
wake-replaced-job-counted @@ src/group_change.c @@ s/\t\tif \(RowBeingFinished\(rel, slot\)\)\n\t\t\tskipped\+\+;\n\t\telse\n\t\t\tfound = id;/\t\tfound = id;/ @@ tap:027_wake_at_once.pl
wake-replaced-witness-counted @@ src/group_change.c @@ s/\t\t!RowBeingFinished\(rel, slot\);/\t\ttrue;/ @@ tap:027_wake_at_once.pl
wake-no-recheck-at-commit @@ src/group_change.c @@ s/\t\tRecheckLazyFinishes\(\);/\t\t(void) RecheckLazyFinishes;/ @@ tap:027_wake_at_once.pl
wake-recheck-ignores-change @@ src/group_change.c @@ s/\treturn !JobBeingFinished\(rel, \(ItemPointer\) &note->tid, note->xmin\);/\treturn true;/ @@ tap:027_wake_at_once.pl
wake-any-update-finishes @@ src/group_change.c @@ s/\t\t\t\tat = header->t_ctid;\n\t\t\t\txmin = updater;/\t\t\t\tverdict = 1;/ @@ tap:027_wake_at_once.pl
wake-recheck-reads-old-file @@ src/group_change.c @@ s/\t\t!RelFileNodeEquals\(rel->rd_node, note->node\) \|\|\n\t\trel->rd_createSubid != InvalidSubTransactionId \|\|\n\t\trel->rd_firstRelfilenodeSubid != InvalidSubTransactionId \|\|\n// @@ tap:027_wake_at_once.pl
direct-insert-functions-kept @@ src/direct_insert.c @@ s/\t\tCacheRegisterSyscacheCallback\(PROCOID, ForgetDefaultsOfObjects, \(Datum\) 0\);\n// @@ regress:direct_update
direct-insert-identity-ignored @@ src/direct_insert.c @@ s/ \|\|\n\t\t\tatt->attidentity == ATTRIBUTE_IDENTITY_ALWAYS\)/)/ @@ regress:direct_update
direct-insert-tableoid-unset @@ src/direct_update.c @@ s/\ttuple->t_tableOid = RelationGetRelid\(rel\);\n// @@ regress:direct_update
direct-any-access-method @@ src/direct_update.c @@ s/ && rel->rd_rel->relam == HEAP_TABLE_AM_OID &&/ \&\&/ @@ regress:direct_update
index-cache-never-stale @@ src/index_cache.c @@ s/\tif \(concerned\)\n/\tif (concerned && false)\n/ @@ isolation:index_built_concurrently
index-cache-predicate-lost @@ src/index_cache.c @@ s/\tii->ii_Context = CurrentMemoryContext;\n/\tii->ii_Context = CurrentMemoryContext;\n\tii->ii_Predicate = NIL;\n/ @@ regress:direct_update
index-cache-shares-all @@ src/index_cache.c @@ s/\tif \(!NotSharable\(\(Node \*\) ii->ii_Predicate, NULL\) &&\n\t\t!NotSharable\(\(Node \*\) ii->ii_Expressions, NULL\)\)/\tif (true || !NotSharable((Node *) ii->ii_Predicate, NULL))/ @@ regress:direct_update
direct-on-citus @@ src/direct_update.c @@ s/&& JobtrackNodeRole\(\) == JOBTRACK_LOCAL;/;/ @@ citus:001_cluster.pl
EOF
)

# regress_prefix NAME prints the Makefile's regression schedule up to and including NAME.
regress_prefix() {
	local test prefix=""
	for test in $(sed -n 's/^REGRESS *= *//p' Makefile); do
		prefix="$prefix $test"
		if [ "$test" = "$1" ]; then
			echo "$prefix"
			return 0
		fi
	done
	echo "mutate.sh: no regression test $1 in the Makefile's REGRESS" >&2
	return 1
}

# run_guard TEST LOG runs one guarding test in a fresh cluster, its output in LOG; 0 if it passed.
run_guard() {
	fresh_cluster
	guard_in_cluster "$1" >"$2" 2>&1
}

# guard_in_cluster TEST runs one guarding test against the running cluster; 0 if it passed.
guard_in_cluster() {
	local kind=${1%%:*} name=${1#*:}
	local env=(env PGHOST="$WORK/pg" PGPORT="$PORT" PGUSER=postgres PATH="$PGBIN:$PATH")
	case $kind in
	regress)
		# the schedule up to the named test: later tests read ids and rows
		# that the earlier ones made, so a test run on its own fails anyway
		local schedule
		schedule=$(regress_prefix "$name") || return 1
		(cd "$WORK/repo" && runuser -u postgres -- "${env[@]}" make -s installcheck \
			REGRESS="$schedule" ISOLATION= TAP_TESTS=) ;;
	isolation)
		(cd "$WORK/repo" && runuser -u postgres -- "${env[@]}" make -s installcheck \
			REGRESS= ISOLATION="$name" TAP_TESTS=) ;;
	isolation-live)
		# the specs that need a worker in their database (the cluster serves it)
		(cd "$WORK/repo" && runuser -u postgres -- "${env[@]}" make -s installcheck-live \
			ISOLATION_LIVE="$name") ;;
	pgtap)
		runuser -u postgres -- "${env[@]}" psql -qX -d postgres \
			-c "DROP DATABASE IF EXISTS jt_mutate" -c "CREATE DATABASE jt_mutate" >/dev/null &&
		runuser -u postgres -- "${env[@]}" psql -qX -d jt_mutate \
			-c "CREATE EXTENSION pgtap" -c "CREATE EXTENSION jobtrack" >/dev/null &&
		(cd "$WORK/repo" && runuser -u postgres -- "${env[@]}" pg_prove -d jt_mutate "test/pgtap/$name") ;;
	tap)
		(cd "$WORK/repo" && runuser -u postgres -- "${env[@]}" make -s installcheck \
			REGRESS= ISOLATION= PROVE_TESTS="test/t/$name") ;;
	citus)
		# the Citus test starts its own coordinator and worker nodes, on the next ports
		(cd "$WORK/repo" && runuser -u postgres -- "${env[@]}" JOBTRACK_CITUS_PORT=$((PORT + 1)) make -s installcheck \
			REGRESS= ISOLATION= PROVE_TESTS="test/citus/$name") ;;
	esac
}

# mutate NAME FILE SUBST builds and installs the repository with one change
# applied; with no arguments, the repository as it is.
mutate() {
	rm -rf "$WORK/repo"
	mkdir -p "$WORK/repo"
	tar --exclude=.git --exclude=tmp_check --exclude=results --exclude=output_iso --exclude=clients \
		-cf - . | tar -C "$WORK/repo" -xf -
	if [ $# -gt 0 ]; then
		apply_mutation "$1" "$2" "$3" "$WORK/repo/$2" || return 1
	fi
	chown -R postgres "$WORK/repo"
	(cd "$WORK/repo" && make -s clean >/dev/null 2>&1; make -s PG_CFLAGS="$CFLAGS" >/dev/null && install_atomically)
}

# fresh_cluster starts a new throwaway cluster for one guard's run.
fresh_cluster() {
	stop_cluster "$WORK/pg"
	rm -rf "$WORK/pg"
	start_cluster "$WORK/pg" "$PORT" "jobtrack.check_interval = '1s'" "fsync = off" \
		"jobtrack.databases = 'jobtrack_live_iso'" "jobtrack.live_flush_interval = '1h'" || exit 1
}

# mutation_setup: the unmutated build installed (the guards' check runs it),
# and the unmutated build reinstalled whatever happens next
mutation_setup() {
	trap cleanup EXIT
	mutate >"$WORK/unmutated.build.log" 2>&1 || { cat "$WORK/unmutated.build.log"; return 1; }
}

# mutation_apply: the repository built and installed with the mutation just parsed
mutation_apply() {
	mutate "$name" "$file" "$subst" >"$WORK/$name.build.log" 2>&1 && return 0
	cat "$WORK/$name.build.log"
	return 1
}

# mutation_restore: nothing; the next build starts from the repository again
mutation_restore() { :; }

mutations_main "$@"
