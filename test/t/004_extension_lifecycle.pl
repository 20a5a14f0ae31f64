
# Copyright (c) 2026, jobtrack authors

# The worker across the extension's life in its database, here named by the
# older setting jobtrack.database: before CREATE EXTENSION the worker says
# once that the extension does not exist there and stops, raising no error,
# and the launcher does not start it again in a loop; after CREATE
# EXTENSION a worker runs within seconds and events flow; after DROP
# EXTENSION it stops the same way; a second CREATE EXTENSION works again;
# DROP DATABASE ... WITH (FORCE) of its database succeeds within 10 s.
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

my $stops_re = qr/jobtrack worker stops: extension "jobtrack" does not exist in database "appdb"/;

# no_worker_for waits $seconds and says whether no worker ran meanwhile.
sub no_worker_for
{
	my ($seconds) = @_;
	my $seen = 0;
	wait_for($seconds, sub { $seen ||= worker_pid() ne ''; 0 });
	return !$seen;
}

# 1. no extension yet: one LOG line, no error, no restart loop
ok(eval { $node->wait_for_log($stops_re); 1 },
	'the worker in appdb says the extension does not exist there');
ok(no_worker_for(6), 'no worker runs in appdb for the next 6 s');
my @lines = log_since(0);
is(scalar(grep { /$stops_re/ } @lines), 1, 'the log says so exactly once');
is(scalar(grep { /ERROR|FATAL|PANIC/ } @lines), 0, 'and has no error');

# 2. CREATE EXTENSION: a worker within seconds, and events flow
$node->safe_psql('appdb', 'CREATE EXTENSION jobtrack');
ok(defined wait_for(10, sub { worker_pid() ne '' }), 'after CREATE EXTENSION a worker runs within 10 s');
my $first_pid = worker_pid();
my $g1 = finished_group('first');
my $took = events_arrive($g1);
ok(defined $took, 'after CREATE EXTENSION the worker raises the events');
diag sprintf('events %.2f s after the last commit', $took // -1);
is($node->safe_psql('appdb', 'SELECT worker_state FROM jobtrack.stats'),
	'running', 'jobtrack.stats says the worker is running');

# 3. DROP EXTENSION: the worker stops, once, with no error, and stays away
my $offset = -s $node->logfile;
$node->safe_psql('appdb', 'DROP EXTENSION jobtrack');
ok(defined wait_for(10, sub { worker_pid() eq '' }), 'after DROP EXTENSION the worker stops within 10 s');
ok(no_worker_for(6), 'and the launcher does not start it again');
@lines = log_since($offset);
is(scalar(grep { /ERROR|FATAL|PANIC/ } @lines), 0,
	'no error in the log after DROP EXTENSION')
  or diag join("\n", grep { /ERROR|FATAL|PANIC/ } @lines);
is(scalar(grep { /$stops_re/ } @lines), 1,
	'the log says once that the worker stops');

# 4. CREATE EXTENSION again: the worker works with the new tables
$node->safe_psql('appdb', 'CREATE EXTENSION jobtrack');
my $g2 = finished_group('second');
ok(defined events_arrive($g2),
	'after a second CREATE EXTENSION the worker raises events again');
isnt(worker_pid(), $first_pid, 'a new worker');
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
