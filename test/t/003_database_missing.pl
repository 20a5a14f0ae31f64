
# Copyright (c) 2026, jobtrack authors

# jobtrack.database names a database that does not exist.  The server
# starts, the launcher says once that it waits and does not retry in a loop
# (no FATAL per second, as pg_cron does), and once the database and the
# extension are created the worker starts there and events flow, without a
# restart of the server.
#
# The log is watched for 20 s, to keep CI short: the launcher looks for the
# database every 5 s, so 20 s cover four of its attempts.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
# test/perl, also when prove is not given -I ./test/perl
use FindBin;
use lib "$FindBin::RealBin/../perl";
use JobtrackTest;

my $observe_seconds = 20;

my $node = JobtrackTest::new_node('database_missing',
	extra_conf => "jobtrack.database = 'nosuchdb'\n",
	no_extension => 1);
# the server is up and takes queries, jobtrack is loaded (its setting is
# defined: pg_settings lists no placeholder) and the database it names
# does not exist
is( $node->safe_psql(
		'postgres', q{
SELECT (SELECT setting FROM pg_settings WHERE name = 'jobtrack.database')
	   || ',' || (SELECT count(*) FROM pg_database WHERE datname = 'nosuchdb')}),
	'nosuchdb,0',
	'the server starts with jobtrack loaded and jobtrack.database = nosuchdb, a database that does not exist');

ok( eval {
		$node->wait_for_log(qr/jobtrack worker waits for database "nosuchdb"/);
		1;
	},
	'the log says the worker waits for database nosuchdb');
is( $node->safe_psql(
		'postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'jobtrack launcher'"),
	'1',
	'the launcher runs');

# observe the log until the server has been up for $observe_seconds
ok( $node->poll_query_until(
		'postgres',
		"SELECT now() - pg_postmaster_start_time() > interval '$observe_seconds s'"),
	"the server ran $observe_seconds s");
my $log = slurp_file($node->logfile);
my @jobtrack_lines = grep { /jobtrack/ && /nosuchdb/ } split /\n/, $log;
cmp_ok(scalar @jobtrack_lines, '<=', 2,
	"at most 2 jobtrack log lines about nosuchdb in $observe_seconds s");
note join("\n", @jobtrack_lines);
my @fatal = grep { /FATAL|PANIC/ } split /\n/, $log;
is(scalar @fatal, 0, 'no FATAL in the log')
  or diag join("\n", @fatal);
is( $node->safe_psql(
		'postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'jobtrack worker'"),
	'0',
	'no worker runs while the database is missing');
my $launcher_pid = $node->safe_psql('postgres',
	"SELECT pid FROM pg_stat_activity WHERE backend_type = 'jobtrack launcher'");
like($log, qr/\[$launcher_pid\] LOG:  jobtrack worker waits for database "nosuchdb"/,
	'the waiting line comes from the launcher');
unlike($log, qr/background worker "jobtrack launcher" \(PID \d+\) exited/,
	'the launcher never exited');

# create the database and the extension: the worker starts and events flow
my $created_at = time();
$node->safe_psql('postgres', 'CREATE DATABASE nosuchdb');
$node->safe_psql('nosuchdb', 'CREATE EXTENSION jobtrack');
my $group = JobtrackTest::finished_group($node, 'arrives late', 'nosuchdb');
my $took = JobtrackTest::wait_for(
	30,
	sub {
		$node->safe_psql('nosuchdb',
			"SELECT string_agg(event, ',' ORDER BY id) FROM jobtrack.group_events() WHERE group_id = $group"
		) eq 'group.started,group.completed';
	});
ok(defined $took, 'group.started and group.completed are raised in nosuchdb');
diag sprintf('events %.1f s after CREATE DATABASE', time() - $created_at)
  if defined $took;
# the launcher looks for the database every 5 s; then the first pass runs at once
cmp_ok($took // 99, '<', 10, 'within 10 s of CREATE DATABASE, without a restart');
is( $node->safe_psql(
		'postgres',
		"SELECT datname FROM pg_stat_activity WHERE backend_type = 'jobtrack worker'"),
	'nosuchdb',
	'the worker runs in nosuchdb');
is( $node->safe_psql(
		'postgres',
		"SELECT pid FROM pg_stat_activity WHERE backend_type = 'jobtrack launcher'"),
	$launcher_pid,
	'started by the same launcher');
is($node->safe_psql('postgres', 'SELECT pg_postmaster_start_time() < now() - interval \'20 s\''),
	't', 'the server was not restarted');
is($node->safe_psql('nosuchdb', 'SELECT worker_state FROM jobtrack.stats'),
	'running', 'jobtrack.stats in nosuchdb says the worker is running');

# later changes wake the worker at once
my $group2 = JobtrackTest::finished_group($node, 'second', 'nosuchdb');
ok( JobtrackTest::wait_for(
		5,
		sub {
			$node->safe_psql('nosuchdb',
				"SELECT count(*) FROM jobtrack.group_events() WHERE group_id = $group2"
			) == 2;
		}),
	'a later group\'s events follow within 5 s');
unlike(slurp_file($node->logfile), qr/FATAL|PANIC|terminated by signal/,
	'still no FATAL in the log');

# The older setting names one database, as written.  A name that is not a
# valid list (here, with a space) is that one database, never "every
# database": with the extension in postgres too, no worker starts there.
$node->safe_psql('postgres', 'CREATE DATABASE "my db"');
$node->safe_psql('postgres', 'CREATE EXTENSION jobtrack');
$node->append_conf('postgresql.conf', "jobtrack.database = 'my db'\n");
$node->reload;
$node->safe_psql('my db', 'CREATE EXTENSION jobtrack');
ok( JobtrackTest::wait_for(
		30,
		sub {
			$node->safe_psql('postgres',
				"SELECT string_agg(datname, ',') FROM pg_stat_activity WHERE backend_type = 'jobtrack worker'"
			) eq 'my db';
		}),
	'jobtrack.database = \'my db\' serves that database alone');
sleep 6;    # more than the launcher's 5 s look for new databases
is( $node->safe_psql('postgres',
		"SELECT string_agg(datname, ',') FROM pg_stat_activity WHERE backend_type = 'jobtrack worker'"),
	'my db',
	'and no worker starts in postgres, which has the extension but is not named');

$node->stop;

done_testing();
