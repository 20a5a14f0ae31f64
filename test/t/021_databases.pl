
# Copyright (c) 2026, jobtrack authors

# One worker per database, with no setting naming any database.
#
# Three databases are created on a running server.  Before the extension
# exists in them, no worker stays in any of them (a worker that finds no
# extension says so once and stops).  CREATE EXTENSION jobtrack in each
# brings its worker within seconds.  Groups then finish in all three at
# once, and each database's listener receives its own database's events,
# each exactly once, and none of the others'.  A commit in one database
# does not wake another database's worker.  DROP EXTENSION in one database,
# while groups keep finishing in the others, stops that database's worker
# for good (the launcher does not start it again), and the others carry on;
# a second CREATE EXTENSION there brings a worker back.

use strict;
use warnings;

use JSON::PP;
use POSIX ();
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use JobtrackTest;

my @dbs = qw(alpha beta gamma);
my $node = JobtrackTest::new_node('databases', no_extension => 1);
$node->safe_psql('postgres', "CREATE DATABASE $_") foreach @dbs;

# worker_pid_in returns the pid of the jobtrack worker connected to $db, or ''.
sub worker_pid_in
{
	my ($db) = @_;
	return $node->safe_psql('postgres',
		"SELECT coalesce(string_agg(pid::text, ','), '') FROM pg_stat_activity WHERE backend_type = 'jobtrack worker' AND datname = '$db'"
	);
}

# events_in returns the number of group_event rows in $db.
sub events_in
{
	my ($db) = @_;
	return $node->safe_psql($db, 'SELECT count(*) FROM jobtrack.group_event');
}

# finish_groups finishes $n groups titled "$db-$tag-<i>" in $db.
sub finish_groups
{
	my ($db, $tag, $n) = @_;
	JobtrackTest::finished_group($node, "$db-$tag-$_", $db) foreach 1 .. $n;
	return;
}

# 1. no extension anywhere: each database's worker says so and stops
foreach my $db (@dbs)
{
	ok( eval {
			$node->wait_for_log(
				qr/jobtrack worker stops: extension "jobtrack" does not exist in database "$db"/);
			1;
		},
		"the worker of database $db says there is no extension there");
}
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'jobtrack worker'", '0'),
	'no worker stays in a database without the extension');

# 2. CREATE EXTENSION brings each database's worker within seconds
foreach my $db (@dbs)
{
	$node->safe_psql($db, 'CREATE EXTENSION jobtrack');
	my $took = JobtrackTest::wait_for(10, sub { worker_pid_in($db) =~ /^\d+$/ });
	ok(defined $took, "after CREATE EXTENSION in $db its worker runs within 10 s");
	diag sprintf('worker in %s %.1f s after CREATE EXTENSION', $db, $took) if defined $took;
}
is( $node->safe_psql(
		'postgres',
		"SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_stat_activity WHERE backend_type = 'jobtrack worker'"
	),
	'alpha,beta,gamma',
	'one worker in each database with the extension, and none elsewhere');
foreach my $db (@dbs)
{
	my $pid = worker_pid_in($db);
	is( $node->safe_psql($db, 'SELECT worker_pid, worker_state FROM jobtrack.stats'),
		"$pid|running", "jobtrack.stats in $db shows ${db}'s own worker");
}

# 3. groups finish in all three at once; every listener gets its own
# database's events, each once
my %listener;
foreach my $db (@dbs)
{
	$listener{$db} = $node->background_psql($db);
	$listener{$db}->query_safe('LISTEN jobtrack_events');
}
my @writers;
foreach my $db (@dbs)
{
	my $pid = fork();
	die "fork failed: $!" unless defined $pid;
	if ($pid == 0)
	{
		finish_groups($db, 'first', 10);
		POSIX::_exit(0);		# never the test's END blocks, which stop the node
	}
	push @writers, $pid;
}
waitpid($_, 0) foreach @writers;

my %notified = map { $_ => [] } @dbs;
foreach my $db (@dbs)
{
	JobtrackTest::poll_until(
		30,
		sub {
			push @{ $notified{$db} },
			  JobtrackTest::notifications_in($listener{$db}->query_safe('SELECT 1'));
			return @{ $notified{$db} } >= 20;
		});
}
foreach my $db (@dbs)
{
	my @payloads = map { decode_json($_->{payload}) } @{ $notified{$db} };
	my %ids = map { $_->{event_id} => 1 } @payloads;
	is(scalar @payloads, 20, "the listener in $db received 20 notifications");
	is(scalar keys %ids, 20, "each of $db\'s events once");
	is(scalar(grep { $_->{title} !~ /^$db-first-/ } @payloads),
		0, "and only $db\'s groups");
	is(events_in($db), 20, "$db has its 20 events");
	is_deeply([ JobtrackTest::event_problems($node, $db) ], [], "events exact in $db");
}

# 4. a commit in alpha wakes alpha's worker, not beta's
my $beta_wakeups = $node->safe_psql('beta', 'SELECT wakeups FROM jobtrack.stats');
finish_groups('alpha', 'alone', 3);
ok(JobtrackTest::poll_until(10, sub { events_in('alpha') == 26 }),
	'alpha\'s worker raised the events of the groups finished in alpha');
is($node->safe_psql('beta', 'SELECT wakeups FROM jobtrack.stats'),
	$beta_wakeups, 'beta\'s worker was not woken by alpha\'s commits');

# 5. DROP EXTENSION in beta while groups finish in alpha and gamma
my $offset = JobtrackTest::log_size($node);
my @others;
foreach my $db (qw(alpha gamma))
{
	my $pid = fork();
	die "fork failed: $!" unless defined $pid;
	if ($pid == 0)
	{
		finish_groups($db, 'second', 10);
		POSIX::_exit(0);
	}
	push @others, $pid;
}
$node->safe_psql('beta', 'DROP EXTENSION jobtrack');
ok(defined JobtrackTest::wait_for(10, sub { worker_pid_in('beta') eq '' }),
	'after DROP EXTENSION the worker of beta stops within 10 s');
waitpid($_, 0) foreach @others;
ok(JobtrackTest::poll_until(30, sub { events_in('alpha') == 46 && events_in('gamma') == 40 }),
	'alpha and gamma raised the events of the groups finished meanwhile');
foreach my $db (qw(alpha gamma))
{
	my @got;
	JobtrackTest::poll_until(
		30,
		sub {
			push @got, JobtrackTest::notifications_in($listener{$db}->query_safe('SELECT 1'));
			return @got >= ($db eq 'alpha' ? 26 : 20);
		});
	my @payloads = map { decode_json($_->{payload}) } @got;
	my %ids = map { $_->{event_id} => 1 } @payloads;
	is(scalar @payloads, scalar keys %ids, "no event twice in $db");
	is(scalar @payloads, $db eq 'alpha' ? 26 : 20,
		"the listener in $db received every later event");
	is_deeply([ JobtrackTest::event_problems($node, $db) ], [], "events exact in $db");
}
is( $node->safe_psql('postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'jobtrack launcher'"),
	'1', 'the launcher still runs');
sleep 3;
is(worker_pid_in('beta'), '', 'three seconds later, the launcher has not started a worker in beta again');
my @lines = JobtrackTest::log_lines($node, $offset);
is(scalar(grep { /jobtrack worker stops: extension "jobtrack" does not exist in database "beta"/ } @lines),
	1, 'the log says once that beta\'s worker stops');
is_deeply([ grep { /ERROR|FATAL|PANIC/ } @lines ], [], 'no error in the log');

# 6. CREATE EXTENSION in beta again
$node->safe_psql('beta', 'CREATE EXTENSION jobtrack');
ok(defined JobtrackTest::wait_for(10, sub { worker_pid_in('beta') =~ /^\d+$/ }),
	'a second CREATE EXTENSION in beta brings its worker back within 10 s');
$listener{beta}->query_safe('SELECT 1');
finish_groups('beta', 'again', 2);
my @again;
JobtrackTest::poll_until(
	30,
	sub {
		push @again, JobtrackTest::notifications_in($listener{beta}->query_safe('SELECT 1'));
		return @again >= 4;
	});
is(scalar @again, 4, 'beta\'s listener receives the new groups\' events');

$_->quit foreach values %listener;
is_deeply([ JobtrackTest::log_problems($node) ], [], 'no error or unexpected worker exit in the log');
$node->stop;
done_testing();
