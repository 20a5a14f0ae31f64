
# Copyright (c) 2026, jobtrack authors

# ALTER EXTENSION jobtrack UPDATE finishes within
# 10 s while clients run group lifecycles and the worker raises events, and
# afterwards the events are exact.  The oldest released version is
# installed first, so the update walks the real upgrade path.

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

my $node = JobtrackTest::new_node('main', no_extension => 1);
my $log_start = JobtrackTest::log_size($node);
my ($oldest) = split /\n/, $node->safe_psql('postgres',
	"SELECT version FROM pg_available_extension_versions WHERE name = 'jobtrack' ORDER BY string_to_array(version, '.')::int[] LIMIT 1");
my $current = $node->safe_psql('postgres',
	"SELECT default_version FROM pg_available_extensions WHERE name = 'jobtrack'");
isnt($oldest, $current, "an older version ($oldest) than the current ($current) is installable");

$node->safe_psql('postgres', "CREATE EXTENSION jobtrack VERSION '$oldest'");
ok(defined JobtrackTest::wait_for_worker($node), 'the jobtrack worker runs');

my $clients = JobtrackTest::start_clients($node, clients => 4, shared_groups => 2);
ok(JobtrackTest::wait_for_progress($node, 10, 60), 'the clients finish jobs on the old version');

my $start = time;
my ($rc, $stdout, $stderr) = $node->psql('postgres', 'ALTER EXTENSION jobtrack UPDATE',
	timeout => 60);
my $took = time - $start;
is($rc, 0, 'ALTER EXTENSION jobtrack UPDATE succeeds under load') or diag($stderr);
cmp_ok($took, '<', 10, 'and finishes within 10 s');
note(sprintf('the update took %.3f s', $took));
is($node->safe_psql('postgres', "SELECT extversion FROM pg_extension WHERE extname = 'jobtrack'"),
	$current, 'the extension is at the current version');

ok(JobtrackTest::wait_for_progress($node, 10, 60), 'the clients carry on after the update');
my $result = JobtrackTest::stop_clients($clients);
is_deeply($result->{errors}, [], 'the clients saw no error');

ok(JobtrackTest::wait_settled($node), 'the worker evaluated every change');
is_deeply([ JobtrackTest::event_problems($node) ], [], 'events exact');
is_deeply([ JobtrackTest::ledger_problems($node, $result->{ledger}) ],
	[], 'every acknowledged status is in the table');
is_deeply([ JobtrackTest::log_problems($node, $log_start) ],
	[], 'no error, deadlock or unexpected worker exit in the server log');

$node->stop;
done_testing();
