
# Copyright (c) 2026, jobtrack authors

# SIGKILL the postmaster during the load of 010_kill_worker.pl.
#
# Four clients run group lifecycles and keep a ledger: a job's status is
# recorded only after the statement that set it returned success.  The
# postmaster is killed with SIGKILL (then started again, so crash recovery
# runs) twice: once while the clients carry on afterwards, and once as
# they are told to stop at their first failed statement, so their ledgers
# describe the moment of the crash.  Every acknowledged job is present with
# its last acknowledged status, or with the status of the one statement
# that was sent but not acknowledged (its commit may have happened before
# the crash), and the event invariant holds.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
# test/perl, also when prove is not given -I ./test/perl
use FindBin;
use lib "$FindBin::RealBin/../perl";
use JobtrackTest;

my $node = JobtrackTest::new_node('main', extra_conf => "log_statement = none\n");
my $log_start = JobtrackTest::log_size($node);

ok(defined JobtrackTest::wait_for_worker($node), 'the jobtrack worker runs');

my $clients = JobtrackTest::start_clients($node, clients => 4);
ok(JobtrackTest::wait_for_progress($node, 15, 60), 'the clients finish jobs');

# first crash: the clients reconnect and carry on
ok(JobtrackTest::kill9_and_restart($node),
	'the server starts again after SIGKILL of the postmaster');
ok(defined JobtrackTest::wait_for_worker($node, timeout => 60),
	'the worker runs again after crash recovery');
ok(JobtrackTest::wait_for_progress($node, 15, 60),
	'the clients carry on after the crash');

# second crash: the clients stop at the statement the crash interrupts
JobtrackTest::tell_clients($clients, 'abort');
ok(JobtrackTest::kill9_and_restart($node),
	'the server starts again after the second SIGKILL');
my $result = JobtrackTest::stop_clients($clients);
is_deeply($result->{errors}, [], 'the clients saw no error but lost connections');
my $ledger = $result->{ledger};
my $unacknowledged = grep { defined $_->[2] } values %$ledger;
note(scalar(keys %$ledger)
	  . " jobs in the ledger, $unacknowledged with a statement not acknowledged, "
	  . "$result->{lifecycles} whole lifecycles");
cmp_ok(scalar(keys %$ledger), '>=', 30, 'the clients created jobs');

is_deeply([ JobtrackTest::ledger_problems($node, $ledger) ],
	[], 'every acknowledged status survived the crash');

ok(JobtrackTest::wait_settled($node), 'the worker evaluated every change');
note(JobtrackTest::summary($node));
is_deeply([ JobtrackTest::event_problems($node) ], [], 'events exact');
is_deeply([ JobtrackTest::payload_problems($node) ], [],
	'event payloads consistent');
is_deeply([ JobtrackTest::log_problems($node, $log_start) ],
	[], 'no error, deadlock or unexpected worker exit in the server log');

$node->stop;
done_testing();
