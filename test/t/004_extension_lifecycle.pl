
# Copyright (c) 2026, jobtrack authors

# The worker across the extension's life in its database: before CREATE
# EXTENSION it says once that it waits and raises no error; after CREATE
# EXTENSION events flow; after DROP EXTENSION it raises no error and waits
# again; a second CREATE EXTENSION works again; DROP DATABASE ... WITH
# (FORCE) of its database succeeds within 10 s.
#
# (ALTER EXTENSION jobtrack UPDATE under load is 008_update_under_load.pl.)

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);

my $node = PostgreSQL::Test::Cluster->new('extension_lifecycle');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE DATABASE appdb');
$node->stop;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'jobtrack'
jobtrack.check_interval = '500ms'
jobtrack.database = 'appdb'
});
$node->start;

# wait_for returns how many seconds passed until $check->() was true, or
# undef when $timeout seconds passed first.
sub wait_for
{
	my ($timeout, $check) = @_;
	my $start = time();

	while (time() - $start < $timeout)
	{
		return time() - $start if $check->();
		usleep(100_000);
	}
	return undef;
}

# worker_pid returns the PID of the jobtrack worker in pg_stat_activity, or ''.
sub worker_pid
{
	return $node->safe_psql('postgres',
		"SELECT pid FROM pg_stat_activity WHERE backend_type = 'jobtrack worker'"
	);
}

# wait_for_passes waits until the worker has started a pass $seconds after
# now: every pass sets its pg_stat_activity.query_start.
sub wait_for_passes
{
	my ($seconds) = @_;
	my $from = $node->safe_psql('postgres', 'SELECT now()');
	return $node->poll_query_until(
		'postgres', qq{
SELECT query_start > '$from'::timestamptz + interval '$seconds s'
  FROM pg_stat_activity WHERE backend_type = 'jobtrack worker'});
}

# finished_group creates a group with one finished job in appdb, returns its id.
sub finished_group
{
	my ($title) = @_;
	return $node->safe_psql(
		'appdb', qq{
SELECT jobtrack.create_group('$title') AS g \\gset
SELECT jobtrack.create_job('Import', group_id => :g) AS j \\gset
SELECT jobtrack.start_job(:j) \\g /dev/null
SELECT jobtrack.succeed_job(:j) \\g /dev/null
SELECT :g});
}

# events_arrive waits up to 5 s for a group's two events in appdb.
sub events_arrive
{
	my ($group) = @_;
	return wait_for(
		5,
		sub {
			$node->safe_psql('appdb',
				"SELECT string_agg(event, ',' ORDER BY id) FROM jobtrack.group_events() WHERE group_id = $group"
			) eq 'group.started,group.completed';
		});
}

# log_since returns the log lines written since $offset.
sub log_since
{
	my ($offset) = @_;
	return split /\n/, slurp_file($node->logfile, $offset);
}

my $waits_re = qr/jobtrack worker waits for CREATE EXTENSION jobtrack in database "appdb"/;

# 1. no extension yet: one LOG line, no error
ok( $node->poll_query_until(
		'postgres',
		"SELECT datname FROM pg_stat_activity WHERE backend_type = 'jobtrack worker'",
		'appdb'),
	'the worker runs in appdb, which has no jobtrack extension');
my $first_pid = worker_pid();
ok(eval { $node->wait_for_log($waits_re); 1 },
	'the log says the worker waits for CREATE EXTENSION');
ok(wait_for_passes(3), 'the worker keeps running passes for 3 s');
my @lines = log_since(0);
is(scalar(grep { /$waits_re/ } @lines), 1, 'the log says so exactly once');
is(scalar(grep { /ERROR|FATAL|PANIC/ } @lines), 0, 'and has no error');
is(worker_pid(), $first_pid, 'the worker was not restarted');

# 2. CREATE EXTENSION: events flow
$node->safe_psql('appdb', 'CREATE EXTENSION jobtrack');
my $g1 = finished_group('first');
my $took = events_arrive($g1);
ok(defined $took, 'after CREATE EXTENSION the worker raises the events');
diag sprintf('events %.2f s after the last commit', $took // -1);
is($node->safe_psql('appdb', 'SELECT worker_state FROM jobtrack.stats'),
	'running', 'jobtrack.stats says the worker is running');

# 3. DROP EXTENSION: no error over the next 10 s, one more waiting line
my $offset = -s $node->logfile;
$node->safe_psql('appdb', 'DROP EXTENSION jobtrack');
ok(wait_for_passes(10), 'the worker keeps running passes for 10 s after DROP EXTENSION');
@lines = log_since($offset);
is(scalar(grep { /ERROR|FATAL|PANIC/ } @lines), 0,
	'no error in the log after DROP EXTENSION')
  or diag join("\n", grep { /ERROR|FATAL|PANIC/ } @lines);
is(scalar(grep { /$waits_re/ } @lines), 1,
	'the log says once that the worker waits for CREATE EXTENSION again');
is(worker_pid(), $first_pid, 'the worker was not restarted');

# 4. CREATE EXTENSION again: the worker works with the new tables
$node->safe_psql('appdb', 'CREATE EXTENSION jobtrack');
my $g2 = finished_group('second');
ok(defined events_arrive($g2),
	'after a second CREATE EXTENSION the worker raises events again');
is(worker_pid(), $first_pid, 'still the same worker');
@lines = log_since($offset);
is(scalar(grep { /ERROR|FATAL|PANIC/ } @lines), 0, 'and no error in the log');

# 5. DROP DATABASE ... WITH (FORCE) of the worker's database
$offset = -s $node->logfile;
my $started = time();
my ($ret, $stdout, $stderr) =
  $node->psql('postgres', 'DROP DATABASE appdb WITH (FORCE)', timeout => 60);
my $drop_took = time() - $started;
is($ret, 0, 'DROP DATABASE appdb WITH (FORCE) succeeds') or diag $stderr;
diag sprintf('DROP DATABASE took %.2f s', $drop_took);
cmp_ok($drop_took, '<', 10, 'within 10 s');
is($node->safe_psql('postgres', "SELECT count(*) FROM pg_database WHERE datname = 'appdb'"),
	'0', 'appdb is gone');
ok( eval {
		$node->wait_for_log(qr/jobtrack worker waits for database "appdb"/, $offset);
		1;
	},
	'the launcher then waits for database appdb');
is( $node->safe_psql(
		'postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'jobtrack launcher'"),
	'1',
	'the launcher still runs');
unlike(slurp_file($node->logfile), qr/terminated by signal|PANIC/,
	'no process of the server crashed');

$node->stop;

done_testing();
