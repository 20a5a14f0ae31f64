
# Copyright (c) 2026, jobtrack authors

# Too few background workers for every database.
#
# max_worker_processes = 5 leaves room for the logical replication
# launcher, jobtrack's launcher and three workers; five databases have the
# extension.  The launcher says once, in one log
# line, which two databases it cannot serve, shows them in jobtrack.stats
# (databases_not_served, and the worker_state of such a database), and
# keeps retrying with a backoff without a line per retry and without
# spinning.  When DROP EXTENSION frees two workers, the two databases are
# served without a restart, the log says so once, and the stats row is
# empty again.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use JobtrackTest;

my @dbs = qw(db1 db2 db3 db4 db5);
my $node = JobtrackTest::new_node('worker_slots',
	no_extension => 1,
	extra_conf => "max_worker_processes = 5\nmax_parallel_workers = 0\n");
$node->safe_psql('postgres', "CREATE DATABASE $_") foreach @dbs;
# each worker checks its database and stops before the next one is created
foreach my $db (@dbs)
{
	$node->safe_psql($db, 'CREATE EXTENSION jobtrack');
	$node->poll_query_until('postgres',
		"SELECT count(*) > 0 FROM pg_stat_activity WHERE backend_type = 'jobtrack worker' AND datname = '$db'")
	  if $db ne 'db4' && $db ne 'db5';
}

my $not_served_re = qr/jobtrack launcher found no free background worker for databases "db4", "db5"/;
ok(eval { $node->wait_for_log($not_served_re); 1 },
	'the log names the two databases no worker was free for');
is( $node->safe_psql(
		'postgres',
		"SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_stat_activity WHERE backend_type = 'jobtrack worker'"
	),
	'db1,db2,db3',
	'three workers run, in the first three databases');
is($node->safe_psql('db1', 'SELECT databases_not_served FROM jobtrack.stats'),
	'{db4,db5}', 'jobtrack.stats shows the databases not served');
like($node->safe_psql('db5', 'SELECT worker_state FROM jobtrack.stats'),
	qr/^not served: no free background worker/,
	'jobtrack.stats in a database not served says why');

# the launcher retries (after 5 s, then 10 s) quietly and without spinning
my $launcher = $node->safe_psql('postgres',
	"SELECT pid FROM pg_stat_activity WHERE backend_type = 'jobtrack launcher'");

# cpu_ticks returns the launcher's user and system CPU time, in clock ticks.
sub cpu_ticks
{
	my @stat = split / /, (slurp_file("/proc/$launcher/stat") =~ s/^.*\) //r);
	return $stat[11] + $stat[12];
}
my $ticks = cpu_ticks();
my $start = $node->safe_psql('postgres', 'SELECT now()');
ok( $node->poll_query_until('postgres',
		"SELECT now() > '$start'::timestamptz + interval '16 s'"),
	'16 s pass');
cmp_ok(cpu_ticks() - $ticks, '<', 100, 'the launcher used less than a second of CPU meanwhile');
my @lines = grep { /$not_served_re/ } JobtrackTest::log_lines($node);
is(scalar @lines, 1, 'the log names them once, not at every retry');

# DROP EXTENSION in two databases frees two workers for db4 and db5
$node->safe_psql($_, 'DROP EXTENSION jobtrack') foreach qw(db1 db2);
ok( $node->poll_query_until(
		'postgres',
		"SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_stat_activity WHERE backend_type = 'jobtrack worker'",
		'db3,db4,db5'),
	'db4 and db5 get their workers once db1 and db2 need none');
ok(eval { $node->wait_for_log(qr/jobtrack launcher now serves every database/); 1 },
	'the log says every database is served');
is($node->safe_psql('db4', 'SELECT worker_state, databases_not_served FROM jobtrack.stats'),
	'running|{}', 'jobtrack.stats in db4 shows its worker running and no database left out');
my $group = JobtrackTest::finished_group($node, 'late', 'db5');
ok( JobtrackTest::poll_until(
		10,
		sub {
			$node->safe_psql('db5', "SELECT count(*) FROM jobtrack.group_event WHERE group_id = $group") == 2;
		}),
	'events flow in db5');
is_deeply([ grep { /ERROR|FATAL|PANIC/ } JobtrackTest::log_lines($node) ], [], 'no error in the log');

$node->stop;
done_testing();
