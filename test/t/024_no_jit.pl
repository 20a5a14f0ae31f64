
# Copyright (c) 2026, jobtrack authors

# The evaluator and housekeeping never JIT-compile their statements.
#
# Their statements are short and run many times a second, but the estimate
# of the drain over a change log full of dead rows can cross
# jit_above_cost, and compiling then costs every pass tens of milliseconds.
# Here JIT is on for everything (jit_above_cost = 0) and pg_stat_statements
# counts the functions JIT made for each statement: a client's own query is
# compiled, which shows JIT works on this server; the statements the worker
# and check_groups(), recount_groups(), update_status_running() and
# run_maintenance() run on the group tables are not.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use JobtrackTest;

my $node = JobtrackTest::new_node('nojit',
	extra_conf => "shared_preload_libraries = 'jobtrack,pg_stat_statements'\n"
	  . "pg_stat_statements.track = 'all'\n"
	  . "jit = on\njit_above_cost = 0\njit_inline_above_cost = -1\njit_optimize_above_cost = -1\n"
	  . "jobtrack.check_interval = '1s'\n");
if (JobtrackTest::query($node, 'SELECT pg_jit_available()') ne 't')
{
	plan skip_all => 'this server was built without JIT';
}
ok(defined JobtrackTest::wait_for_worker($node), 'the worker runs');
$node->safe_psql('postgres', 'CREATE EXTENSION pg_stat_statements');

# a client's query is compiled: JIT works here, so the checks below can fail
$node->safe_psql('postgres', 'SELECT count(*) FROM jobtrack.job_status WHERE id > 0');
cmp_ok(JobtrackTest::query($node,
		"SELECT coalesce(sum(jit_functions), 0) FROM pg_stat_statements"
		  . " WHERE query LIKE 'SELECT count(*) FROM jobtrack.job_status WHERE id > \$1'"),
	'>', 0, 'a client query is JIT-compiled on this server');

# the worker evaluates a group through its whole life
my $group = $node->safe_psql('postgres', "SELECT jobtrack.create_group('no jit')");
my $job = $node->safe_psql('postgres', "SELECT jobtrack.create_job('Part', group_id => $group)");
$node->safe_psql('postgres', "SELECT jobtrack.start_job($job)");
$node->safe_psql('postgres', "SELECT jobtrack.succeed_job($job)");
ok(JobtrackTest::poll_until(30, sub {
		JobtrackTest::query($node,
			"SELECT count(*) FROM jobtrack.group_event WHERE group_id = $group AND event = 'group.completed'") eq '1' }),
	'the worker raised group.completed');

# the same statements, run by the SQL functions from sessions with JIT on,
# each function in a session of its own: a statement is planned once in a
# session, so a function called after another would reuse plans made under
# the other's settings
my $later = $node->safe_psql('postgres', "SELECT jobtrack.create_group('no jit, by hand')");
$node->safe_psql('postgres', "SELECT jobtrack.create_job('Part', group_id => $later)");
$node->safe_psql('postgres', $_)
  for ("SELECT jobtrack.check_groups()", "SELECT jobtrack.update_status_running($later)",
	"SELECT jobtrack.recount_groups($later)", "SELECT jobtrack.run_maintenance()");

# the drain, the counts, the groups' update and housekeeping's batches (the
# job and group functions' own statements are a client's, and may be
# compiled: create_group() writes a new group's counts)
my $evaluator = "(query LIKE '%jobtrack.group\\_change%' OR query LIKE '%jobtrack.group\\_count%'"
  . " OR query LIKE 'UPDATE jobtrack.job\\_group g SET%' OR query LIKE '%FOR UPDATE SKIP LOCKED%')"
  . " AND query NOT LIKE 'WITH g AS (INSERT INTO jobtrack.job\\_group %'";
cmp_ok(JobtrackTest::query($node, "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE $evaluator"),
	'>', 0, 'the evaluator\'s and housekeeping\'s statements ran');
is(JobtrackTest::query($node,
		"SELECT coalesce(string_agg(left(query, 60) || ': ' || jit_functions, '; '), 'none')"
		  . " FROM pg_stat_statements WHERE ($evaluator) AND jit_functions > 0"),
	'none', 'none of them was JIT-compiled');

$node->stop;
done_testing();
