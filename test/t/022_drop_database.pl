
# Copyright (c) 2026, jobtrack authors

# DROP DATABASE never waits for, or fails on, a jobtrack worker.
#
# PostgreSQL's DROP DATABASE waits five seconds for other sessions to leave
# and then fails ("is being accessed by other users"); WITH (FORCE)
# terminates them, but a database owner who is not a superuser may not
# terminate a worker (it runs as the bootstrap superuser).  Here four
# databases have the extension and busy workers:
#
# - plain: a client finished many groups and disconnected, so its worker is
#   busy raising their events when DROP DATABASE comes;
# - forced: a client keeps finishing groups, one transaction after another,
#   when DROP DATABASE ... WITH (FORCE) comes;
# - owned: owned by a role that is not a superuser, whose DROP DATABASE ...
#   WITH (FORCE) finds only the worker connected;
# - keep: groups finish there all along.
#
# Each drop succeeds within 10 s; keep's worker runs on and its events keep
# arriving; no worker is started again in a dropped database.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
use FindBin;
use lib "$FindBin::RealBin/../perl";
use JobtrackTest;

my $node = JobtrackTest::new_node('drop_database', no_extension => 1);
$node->safe_psql('postgres', 'CREATE ROLE dbowner LOGIN CREATEDB');
$node->safe_psql('postgres', "CREATE DATABASE $_") foreach qw(plain forced keep);
$node->safe_psql('postgres', 'CREATE DATABASE owned OWNER dbowner');
foreach my $db (qw(plain forced owned keep))
{
	$node->safe_psql($db, 'CREATE EXTENSION jobtrack');
}

# worker_in says whether a jobtrack worker is connected to $db.
sub worker_in
{
	my ($db) = @_;
	return $node->safe_psql('postgres',
		"SELECT count(*) > 0 FROM pg_stat_activity WHERE backend_type = 'jobtrack worker' AND datname = '$db'"
	) eq 't';
}

# drop runs a DROP DATABASE as $user; returns (exit code, stderr, seconds).
sub drop
{
	my ($sql, $user) = @_;
	my ($stdout, $stderr);
	my $started = time();
	my $ret = $node->psql(
		'postgres', $sql,
		stdout => \$stdout,
		stderr => \$stderr,
		timeout => 60,
		extra_params => [ '-U', $user ]);
	return ($ret, $stderr, time() - $started);
}

# keep_events returns the number of events in keep.
sub keep_events
{
	return $node->safe_psql('keep', 'SELECT count(*) FROM jobtrack.group_event');
}

foreach my $db (qw(plain forced owned keep))
{
	ok(defined JobtrackTest::wait_for(10, sub { worker_in($db) }), "a worker runs in $db");
}

# keep: groups finish all along, from a client of its own
my $keep_load = $node->background_psql('keep');
$keep_load->query_until(qr/started/, q{
\echo started
DO $$
DECLARE
	g bigint;
	j bigint;
BEGIN
	FOR i IN 1..400 LOOP
		g := jobtrack.create_group('keep-' || i);
		j := jobtrack.create_job('Import', group_id => g);
		PERFORM jobtrack.start_job(j);
		COMMIT;
		PERFORM jobtrack.succeed_job(j);
		COMMIT;
		PERFORM pg_sleep(0.02);
	END LOOP;
END $$;
});

# plain: many groups finished at once, then the client leaves
$node->safe_psql(
	'plain', q{
SELECT jobtrack.create_job('Import', group_id => jobtrack.create_group('plain-' || i))
  FROM generate_series(1, 2000) i;
UPDATE jobtrack.job_status SET status = 'started';
UPDATE jobtrack.job_status SET status = 'succeeded';
});
my ($ret, $stderr, $took) = drop('DROP DATABASE plain', 'postgres');
is($ret, 0, 'DROP DATABASE plain succeeds while its worker evaluates 2000 groups')
  or diag $stderr;
cmp_ok($took, '<', 10, 'within 10 s');
diag sprintf('DROP DATABASE plain took %.2f s', $took);

# forced: a client keeps finishing groups when WITH (FORCE) comes
my $forced_load = $node->background_psql('forced', on_error_stop => 0);
$forced_load->query_until(qr/started/, q{
\echo started
DO $$
DECLARE
	g bigint;
	j bigint;
BEGIN
	FOR i IN 1..100000 LOOP
		g := jobtrack.create_group('forced-' || i);
		j := jobtrack.create_job('Import', group_id => g);
		PERFORM jobtrack.start_job(j);
		COMMIT;
		PERFORM jobtrack.succeed_job(j);
		COMMIT;
	END LOOP;
END $$;
});
ok( JobtrackTest::poll_until(
		30,
		sub {
			$node->safe_psql('forced', 'SELECT count(*) FROM jobtrack.group_event') > 20;
		}),
	'the worker in forced raises events under load');
($ret, $stderr, $took) = drop('DROP DATABASE forced WITH (FORCE)', 'postgres');
is($ret, 0, 'DROP DATABASE forced WITH (FORCE) succeeds under load') or diag $stderr;
cmp_ok($took, '<', 10, 'within 10 s');
diag sprintf('DROP DATABASE forced WITH (FORCE) took %.2f s', $took);
eval { $forced_load->quit; };

# owned: its owner is not a superuser
ok(worker_in('owned'), 'the worker runs in owned');
($ret, $stderr, $took) = drop('DROP DATABASE owned WITH (FORCE)', 'dbowner');
is($ret, 0, 'DROP DATABASE owned WITH (FORCE) by its owner, not a superuser, succeeds')
  or diag $stderr;
cmp_ok($took, '<', 10, 'within 10 s');

is( $node->safe_psql(
		'postgres',
		"SELECT count(*) FROM pg_database WHERE datname IN ('plain', 'forced', 'owned')"),
	'0',
	'the three databases are gone');

# keep carries on
my $before = keep_events();
ok(JobtrackTest::poll_until(30, sub { keep_events() > $before }),
	'keep\'s worker still raises events after the drops');
ok(worker_in('keep'), 'keep\'s worker runs');
$keep_load->quit;
ok(JobtrackTest::wait_settled($node, db => 'keep'), 'keep settles');
is_deeply([ JobtrackTest::event_problems($node, 'keep') ], [], 'events exact in keep');
is( $node->safe_psql(
		'postgres',
		"SELECT string_agg(coalesce(datname, '?'), ',') FROM pg_stat_activity WHERE backend_type = 'jobtrack worker'"
	),
	'keep',
	'workers run only in keep');
my @lines = JobtrackTest::log_lines($node);
is_deeply([ grep { /is being accessed by other users|PANIC|terminated by signal|did not stop/ } @lines ],
	[], 'no drop waited for a worker, and no process crashed');

$node->stop;
done_testing();
