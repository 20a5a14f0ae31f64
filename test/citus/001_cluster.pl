
# Copyright (c) 2026, jobtrack authors

# jobtrack on a Citus cluster: a coordinator and two worker nodes, each a
# cluster of its own on its own port, with citus and jobtrack preloaded.
#
# An installed jobtrack with jobs in it is distributed with one call; then
# every function of the SQL API, a plain UPDATE and the scopes are used
# through the coordinator, and the group events must arrive exactly once,
# in order.  Four clients run group lifecycles while a worker node is
# restarted, and afterwards every acknowledged status is present and every
# group has exactly its events.  The coordinator is then crashed, and its
# evaluator must pick up where it stopped.  Finally jobtrack is brought back
# to one node, distributed again, dropped, and nothing of it may be left on
# any node.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use JobtrackTest;

# three ports in a row; the suite passes them, so several runs can share a machine
my $base = $ENV{JOBTRACK_CITUS_PORT} // 5721;

my @nodes;
foreach my $i (0 .. 2)
{
	my $node = PostgreSQL::Test::Cluster->new($i == 0 ? 'coordinator' : "worker$i",
		port => $base + $i);
	$node->init;
	$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'citus,jobtrack'
jobtrack.check_interval = '200ms'
listen_addresses = '127.0.0.1'
max_prepared_transactions = 100
citus.shard_count = 8
citus.recover_2pc_interval = '1s'
log_statement = none
});
	$node->append_conf('pg_hba.conf', "host all all 127.0.0.1/32 trust\n");
	$node->start;
	$node->safe_psql('postgres', 'CREATE EXTENSION citus');
	push @nodes, $node;
}
my ($coord, $w1, $w2) = @nodes;

$coord->safe_psql('postgres', qq{
	SELECT citus_set_coordinator_host('127.0.0.1', $base);
	SELECT citus_add_node('127.0.0.1', @{[ $base + 1 ]});
	SELECT citus_add_node('127.0.0.1', @{[ $base + 2 ]});
	CREATE EXTENSION jobtrack;
});
is($w2->safe_psql('postgres', "SELECT extversion FROM pg_extension WHERE extname = 'jobtrack'"),
	'2.0', 'CREATE EXTENSION on the coordinator reached the worker nodes');

# sql runs a statement on the coordinator and returns its output
sub sql { return $coord->safe_psql('postgres', $_[0]); }

# fails returns the SQLSTATE of a statement that must fail on a node, or 'no error'
sub fails
{
	my ($node, $statement) = @_;
	my ($ret, $out, $err) = $node->psql('postgres', "\\set VERBOSITY verbose\n$statement");
	return $ret == 0 ? 'no error' : ($err =~ /ERROR:\s+([0-9A-Z]{5}):/ ? $1 : $err);
}

# events returns a group's events as run:event, in id order
sub events
{
	my ($group) = @_;
	return sql("SELECT coalesce(string_agg(run || ':' || event, ',' ORDER BY id), '')"
		  . " FROM jobtrack.group_events(0) WHERE group_id = $group");
}

# wait_events waits until a group has exactly the events given
sub wait_events
{
	my ($group, $expected) = @_;
	JobtrackTest::poll_until(30, sub { events($group) eq $expected });
	return events($group);
}

# jobs and a group made before distributing, which distribute() must carry over
my $before = sql("SELECT jobtrack.create_group('before')");
my $b1 = sql("SELECT jobtrack.create_job('Early', group_id => $before, external_id => 'early-1')");
my $b2 = sql("SELECT jobtrack.create_job('Early', group_id => $before)");
sql("SELECT jobtrack.start_job($b1); SELECT jobtrack.add_message($b1, 'before')");
is(wait_events($before, '1:group.started'), '1:group.started',
	'on one node the group of the first started job started');

sql("SELECT jobtrack.set_progress($b1, 40)");
is(fails($coord, "SELECT jobtrack.distribute(0)"), '22023', 'distribute() refuses a shard count of 0');
sql("SELECT jobtrack.distribute(8)");
is(sql("SELECT percentage FROM jobtrack.job_status WHERE id = $b1"), '40',
	'the live progress of a started job is in its row once distributed');
is(sql("SELECT string_agg(logicalrelid::text, ',' ORDER BY logicalrelid::text),"
	  . " count(DISTINCT colocationid), bool_and(partmethod = 'h')"
	  . " FROM pg_dist_partition WHERE logicalrelid::text LIKE 'jobtrack.%'"),
	'jobtrack.group_change_outbox,jobtrack.job_message,jobtrack.job_signal,jobtrack.job_status|1|t',
	'distribute() shards the job tables by hash, all colocated with job_status');
is(sql("SELECT count(*) FROM pg_dist_shard WHERE logicalrelid = 'jobtrack.job_status'::regclass"),
	'8', 'job_status has the shard count asked for');
is(sql("SELECT string_agg(DISTINCT p.nodeport::text, ',' ORDER BY p.nodeport::text)"
	  . " FROM pg_dist_shard s JOIN pg_dist_shard_placement p ON p.shardid = s.shardid"
	  . " WHERE s.logicalrelid = 'jobtrack.job_status'::regclass"),
	join(',', $base + 1, $base + 2), 'the shards are on the two worker nodes');
is(fails($coord, "SELECT jobtrack.distribute()"), '55000', 'a second distribute() is refused');
is(fails($w1, "SELECT jobtrack.check_groups()"), '55000',
	'check_groups() on a worker node is refused: only the coordinator evaluates');
is(sql("SELECT count(*), count(*) FILTER (WHERE status = 'started') FROM jobtrack.job_status"
	  . " WHERE group_id = $before"), '2|1', 'the jobs made before are in the shards');
is(sql("SELECT count(*) FROM jobtrack.job_message WHERE job_id = $b1"), '1',
	'so is their message');

# the whole lifecycle API through the coordinator
my $g = sql("SELECT jobtrack.group_id('citus')");
my @j = map {
	sql("SELECT jobtrack.create_job('Import', group_id => $g, external_id => 'imp-$_',"
		  . " tags => '{\"n\": \"$_\", \"kind\": \"csv\"}')")
} 1 .. 3;
is(sql("SELECT jobtrack.create_job('Import', group_id => $g, external_id => 'imp-2')"), $j[1],
	'create_job with a known external id returns that job');
is(sql("SELECT jobtrack.job('imp-3')"), $j[2], 'job(external_id) finds the job');
# a new external id is written on the coordinator and its job on a worker
# node: Citus must commit the two in two phases, or a worker node lost at
# that commit leaves an acknowledged job unwritten
my (undef, undef, $remote) = $coord->psql('postgres',
	"SET citus.log_remote_commands = on; SELECT jobtrack.create_job('Tpc', external_id => 'tpc-1')");
like($remote, qr/PREPARE TRANSACTION/, 'create_job with a new external id commits both nodes in two phases');
is(sql("SELECT jobtrack.start_job($j[0])"), 'started', 'start_job');
is(wait_events($g, '1:group.started'), '1:group.started', 'group.started arrives once');
sql("SELECT jobtrack.set_progress($j[0], 3, 4)");
is(sql("SELECT jobtrack.percentage($j[0]) = 75") . '|'
	  . sql("SELECT progress_current || '/' || progress_total FROM jobtrack.job_status WHERE id = $j[0]"),
	't|3/4', 'set_progress and percentage');
sql("SELECT jobtrack.heartbeat($j[0])");
is(sql("SELECT jobtrack.add_message($j[0], 'half way', 'warning') > 0"), 't', 'add_message');
is(sql("SELECT jobtrack.request_cancel($j[1]) > 0"), 't', 'request_cancel');
is(sql("SELECT string_agg(signal || ':' || cancel_job, ',') FROM jobtrack.take_signals($j[1])"),
	'cancel:true', 'take_signals returns the signal');
is(sql("SELECT count(*) FROM jobtrack.take_signals($j[1])"), '0', 'and only once');
is(sql("SELECT jobtrack.pause_job($j[1])"), 'paused', 'pause_job');
is(sql("SELECT jobtrack.set_status($j[1], 'started')"), 'started', 'set_status');
is(sql("SELECT jobtrack.fail_job($j[1], 'disk full')"), 'failed', 'fail_job');
is(sql("SELECT jobtrack.retry_job($j[1])"), 'queued', 'retry_job');
is(sql("SELECT attempts FROM jobtrack.job_status WHERE id = $j[1]"), '2',
	'a retry after a failure is a new attempt');
is(fails($coord, "SELECT jobtrack.succeed_job($j[1])"), '55000',
	'the state machine refuses queued to succeeded');
is(fails($coord, "SELECT jobtrack.start_job(999999999)"), 'P0002', 'an unknown job is P0002');
is(sql("SELECT jobtrack.get_status($j[0]), jobtrack.is_running($j[0]), jobtrack.runtime($j[0]) IS NOT NULL"),
	'started|t|t', 'get_status, is_running and runtime');

# a role with the README's writer grants (Citus carries roles and grants to every node)
# Citus reaches the worker nodes as the caller: an application role logs in
sql(JobtrackTest::readme_sql('Roles') . '; ALTER ROLE app_writer LOGIN');
my $wg = sql("SET ROLE app_writer; SELECT jobtrack.group_id('writer')");
my $wj = sql("SET ROLE app_writer; SELECT jobtrack.create_job('Mine', group_id => $wg, external_id => 'mine-1')");
is(sql("SET ROLE app_writer; SELECT jobtrack.start_job($wj); SELECT jobtrack.set_progress($wj, 10);"
	  . " SELECT jobtrack.add_message($wj, 'mine') > 0;"
	  . " UPDATE jobtrack.job_status SET status = 'succeeded' WHERE id = $wj;"
	  . " SELECT jobtrack.get_status($wj)"),
	"started\n\nt\nsucceeded", 'a writer with the README\'s grants works through the coordinator');
is(wait_events($wg, '1:group.started,1:group.completed'), '1:group.started,1:group.completed',
	'and its group raises its events');
sql("SET ROLE app_writer; INSERT INTO jobtrack.job_message (job_id, message, owner) VALUES ($j[0], 'planted', 'app_writer')");
is(sql("SELECT owner FROM jobtrack.job_message WHERE job_id = $j[0] AND message = 'planted'"), 'postgres',
	'a message inserted by hand takes its job\'s owner, read on the job\'s node');

# scopes, planned by Citus with their arguments' values
is(sql("SELECT count(*) FROM jobtrack.for_job('Import')"), '3', 'for_job');
is(sql("SELECT string_agg(id::text, ',' ORDER BY id) FROM jobtrack.where_tag('n', '>=', '2')"),
	"$j[1],$j[2]", 'where_tag with a comparison');
is(sql("SELECT count(*) FROM jobtrack.where_tag('kind', 'csv')"), '3', 'where_tag by value');
is(sql("SELECT count(*) FROM jobtrack.where_status('queued') WHERE group_id = $g"), '2', 'where_status');
is(sql("SELECT count(*) FROM jobtrack.where_not_status('queued') WHERE group_id = $g"), '1',
	'where_not_status');
is(sql("SELECT count(*) FROM jobtrack.in_group($g)"), '3', 'in_group');
is(sql("PREPARE s(text) AS SELECT count(*) FROM jobtrack.for_job(\$1);"
	  . " EXECUTE s('Import'); EXECUTE s('Import'); EXECUTE s('Import'); EXECUTE s('Import');"
	  . " EXECUTE s('Import'); EXECUTE s('Import'); EXECUTE s('Early')"),
	join("\n", ('3') x 6, '2'), 'a prepared scope keeps its answers past the generic plan');
is(fails($coord, "SELECT * FROM jobtrack.for_job(NULL)"), '22004', 'a scope refuses NULL');

# aggregates: each worker node counts its shards, the coordinator adds up
is(sql("SELECT jobtrack.count_running(status), jobtrack.count_queued(status),"
	  . " jobtrack.count_not_finished(status) FROM jobtrack.job_status WHERE group_id = $g"),
	'1|2|3', 'the count aggregates');
my $plan = sql("EXPLAIN (VERBOSE, COSTS OFF) SELECT jobtrack.count_finished(status) FROM jobtrack.job_status");
like($plan, qr/Task Count: 8.*worker_partial_agg\('jobtrack\.count_finished\(jobtrack\.status\)'.*->\s+Aggregate.*Seq Scan on jobtrack\.job_status_\d+/s,
	'count_finished is computed on the worker nodes, shard by shard');

# a plain UPDATE goes through the same guard and records the change
is(fails($coord, "UPDATE jobtrack.job_status SET status = 'succeeded' WHERE id = $j[2]"), '55000',
	'a plain UPDATE is checked by the state machine on the worker node');
sql("UPDATE jobtrack.job_status SET status = 'started' WHERE id = $j[2]");
sql("UPDATE jobtrack.job_status SET status = 'succeeded' WHERE id = $j[2]");
sql("SELECT jobtrack.start_job($j[1]); SELECT jobtrack.succeed_job($j[1])");
is(sql("SELECT jobtrack.cancel_job($j[0])"), 'cancelled', 'cancel_job');
is(wait_events($g, '1:group.started,1:group.completed'), '1:group.started,1:group.completed',
	'the last job finishing completes the group, once');
my $last = sql("SELECT max(id) FROM jobtrack.group_events(0)");
is(sql("SELECT jobtrack.retry_job($j[0])"), 'queued', 'a retry reopens the completed group');
sql("SELECT jobtrack.start_job($j[0]); SELECT jobtrack.succeed_job($j[0])");
is(wait_events($g, '1:group.started,1:group.completed,2:group.started,2:group.completed'),
	'1:group.started,1:group.completed,2:group.started,2:group.completed',
	'the second run raises its own two events');
is(sql("SELECT string_agg(run || ':' || event, ',' ORDER BY id) FROM jobtrack.group_events($last)"
	  . " WHERE group_id = $g"), '2:group.started,2:group.completed',
	'group_events(after_id) returns what came after, in order');
is(sql("SELECT queued, started, succeeded, cancelled FROM jobtrack.group_count WHERE group_id = $g"),
	'0|0|3|0', 'group_count counts the jobs as they are');
is(sql("SELECT count(*) FROM jobtrack.group_overview WHERE id = $g"), '0',
	'group_overview lists open groups only');
is(sql("SELECT count(*) FROM jobtrack.running_jobs WHERE \"group\" = $before"), '1', 'running_jobs');

# housekeeping runs on the coordinator with multi-shard statements
my $delayed = sql("SELECT jobtrack.create_job('Later', delay => '1 second')");
ok(JobtrackTest::poll_until(30,
	sub { sql("SELECT jobtrack.get_status($delayed)") eq 'queued' }),
	'the coordinator\'s worker promotes a due delayed job');

# ids: rows inserted on a worker node take ids no other node hands out
sql("INSERT INTO jobtrack.job_status (job_type) VALUES ('coordinator')");
$w1->safe_psql('postgres', "INSERT INTO jobtrack.job_status (job_type) VALUES ('worker1')");
$w2->safe_psql('postgres', "INSERT INTO jobtrack.job_status (job_type) VALUES ('worker2')");
sql("SELECT jobtrack.create_job('coordinator')");
is(sql("SELECT count(*) = count(DISTINCT id) AND count(*) > 4 FROM jobtrack.job_status"), 't',
	'job ids never collide across nodes');
# splitting the ranges again, as after adding a node, moves no node back
# to the start of its range, where it would hand out its ids a second time
my $w1_last = $w1->safe_psql('postgres', "SELECT last_value || ':' || is_called FROM jobtrack.job_status_id_seq");
sql("SELECT jobtrack_internal.split_id_ranges()");
is($w1->safe_psql('postgres', "SELECT last_value || ':' || is_called FROM jobtrack.job_status_id_seq"), $w1_last,
	'split_id_ranges() again leaves a worker node where it was in its range');
$w1->safe_psql('postgres', "INSERT INTO jobtrack.job_status (job_type) VALUES ('worker1 again')");
is(sql("SELECT count(*) = count(DISTINCT id) FROM jobtrack.job_status"), 't',
	'and its next job takes a new id');

# deleting a job through the coordinator takes its messages and signals along
my $doomed = sql("SELECT jobtrack.create_job('Doomed')");
sql("SELECT jobtrack.add_message($doomed, 'bye'); SELECT jobtrack.send_signal($doomed, 'x');"
	  . " DELETE FROM jobtrack.job_status WHERE id = $doomed");
is(sql("SELECT (SELECT count(*) FROM jobtrack.job_message WHERE job_id = $doomed)"
	  . " + (SELECT count(*) FROM jobtrack.job_signal WHERE job_id = $doomed)"), '0',
	'a deleted job\'s messages and signals are deleted on its node');

# the coordinator's worker ran every pass and housekeeping round without an error while every node was up
is_deeply([ grep { /jobtrack worker|could not run distributed/ } JobtrackTest::log_problems($coord) ], [],
	'the coordinator\'s jobtrack worker never failed, all nodes up');

# load while a worker node restarts
my $clients = JobtrackTest::start_clients($coord, clients => 4);
ok(JobtrackTest::wait_for_progress($coord, 20, 120), 'the clients finish jobs through the coordinator');
$w1->stop('immediate');
$w1->start;
ok(JobtrackTest::wait_for_progress($coord, 20, 120),
	'the clients carry on after a worker node crashed and restarted');
$w2->restart;
ok(JobtrackTest::wait_for_progress($coord, 20, 120),
	'and after the other worker node restarted');
my $result = JobtrackTest::stop_clients($clients, timeout => 120);
# while a worker node is down the coordinator reports it; the clients retry.
# A job whose commit was acknowledged while its node went away is prepared
# there and becomes visible when Citus finishes the commit after the node is
# back (within citus.recover_2pc_interval, 1 s here): meanwhile a client may
# read that it does not exist.  The ledger check below shows that none is lost.
my @errors = grep { !/connection to the remote node|could not connect|could not establish any connections|the database system is|server closed the connection|terminating connection|remote node|connection not open|SSL|lost|job \d+ does not exist/ }
  @{ $result->{errors} };
is_deeply(\@errors, [], 'the clients saw no error but the worker node being away');
cmp_ok(scalar(keys %{ $result->{ledger} }), '>=', 40, 'the clients created jobs');
is_deeply([ JobtrackTest::ledger_problems($coord, $result->{ledger}) ],
	[], 'every acknowledged status survived the worker node restarts');

# settled: nothing left to move or evaluate, and every finished group completed
ok(JobtrackTest::poll_until(60, sub {
	sql("SELECT (SELECT count(*) FROM jobtrack.group_change_outbox)"
		  . " + (SELECT count(*) FROM jobtrack.group_change)") eq '0'
	  && sql("SELECT count(*) FROM jobtrack.job_group WHERE status <> 'completed' AND title LIKE 'c%'") eq '0'
}), 'the evaluator took every change and completed every group of the clients');
is_deeply([ JobtrackTest::event_problems($coord) ], [],
	'every group has exactly its events, and its counts match its jobs');

# a crash of the coordinator: its evaluator resumes where it stopped
my $g2 = sql("SELECT jobtrack.create_group('after crash')");
my $k = sql("SELECT jobtrack.create_job('Crash', group_id => $g2)");
sql("SELECT jobtrack.start_job($k)");
is(wait_events($g2, '1:group.started'), '1:group.started', 'a group started before the crash');
$coord->stop('immediate');
$coord->start;
is(sql("SELECT jobtrack.succeed_job($k)"), 'succeeded', 'the coordinator takes writes again');
is(wait_events($g2, '1:group.started,1:group.completed'), '1:group.started,1:group.completed',
	'the evaluator resumed after the crash and raised the next event once');
is(sql("SELECT count(*) FROM jobtrack.group_change_outbox"), '0', 'and moved every change');

# back to one node, then distributed again
my $jobs = sql("SELECT count(*) FROM jobtrack.job_status");
sql("SELECT jobtrack.undistribute()");
is(sql("SELECT count(*) FROM pg_dist_partition WHERE logicalrelid::text LIKE 'jobtrack.%'"), '0',
	'undistribute() leaves no distributed table');
is(sql("SELECT count(*) FROM jobtrack.job_status"), $jobs, 'and keeps every job');
is(sql("SELECT l.lanname FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang"
	  . " WHERE p.oid = 'jobtrack.for_job(text)'::regprocedure"), 'sql',
	'the scopes are inlinable SQL again');
my $g3 = sql("SELECT jobtrack.create_group('local again')");
my $m = sql("SELECT jobtrack.create_job('Local', group_id => $g3)");
sql("SELECT jobtrack.start_job($m); SELECT jobtrack.succeed_job($m)");
is(wait_events($g3, '1:group.started,1:group.completed'), '1:group.started,1:group.completed',
	'a group on one node raises its events');
sql("SELECT jobtrack.distribute()");
is(sql("SELECT count(*) FROM jobtrack.job_status"), $jobs + 1, 'distributing again keeps every job');
is_deeply([ JobtrackTest::event_problems($coord) ], [], 'and every group still has exactly its events');

# DROP EXTENSION by a role that does not own the extension fails at once,
# even while an application holds a job_status lock: it never holds the
# extension's lock (which the worker needs for its passes) while it waits
# Housekeeping on the coordinator: an old group without jobs goes; one a job
# was just added to stays, though the job's row and change are still on its
# node (here in the same transaction, before any pass could move the change)
my $empty = sql("SELECT jobtrack.create_group('old and empty')");
my $busy = sql("SELECT jobtrack.create_group('old, a job on its way')");
sql("UPDATE jobtrack.job_group SET created_at = now() - interval '3 days' WHERE id IN ($empty, $busy)");
sql("BEGIN; SELECT jobtrack.create_job('On its way', group_id => $busy); SELECT jobtrack.run_maintenance(); COMMIT");
is(sql("SELECT string_agg(title, ',' ORDER BY id) FROM jobtrack.job_group WHERE id IN ($empty, $busy)"),
	'old, a job on its way', 'housekeeping deleted the old empty group and kept the one a job was added to');

sql("CREATE ROLE jt_stranger LOGIN;"
	  . " GRANT USAGE ON SCHEMA jobtrack, jobtrack_internal TO jt_stranger;"
	  . " GRANT SELECT, INSERT, UPDATE ON jobtrack.job_status TO jt_stranger;"
	  . " GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA jobtrack, jobtrack_internal TO jt_stranger");
my $holder = $coord->background_psql('postgres');
$holder->query_safe('BEGIN; SELECT count(*) FROM jobtrack.job_status');
my ($drop_rc, $drop_out, $drop_err) = $coord->psql('postgres',
	"SET statement_timeout = '5s'; DROP EXTENSION jobtrack", extra_params => [ '-U', 'jt_stranger' ]);
like($drop_err, qr/must be owner of extension jobtrack/,
	'DROP EXTENSION by a non-owner fails on ownership, without waiting for an application');
$holder->query_safe('COMMIT');
$holder->quit;
sql("DROP OWNED BY jt_stranger; DROP ROLE jt_stranger");

# DROP EXTENSION leaves nothing behind on any node, and CREATE EXTENSION works again
sql("DROP EXTENSION jobtrack");
foreach my $node (@nodes)
{
	is($node->safe_psql('postgres',
		"SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
		  . "        WHERE n.nspname IN ('jobtrack', 'jobtrack_internal'))"
		  . " + (SELECT count(*) FROM pg_dist_partition WHERE logicalrelid::text LIKE 'jobtrack%')"
		  . " + (SELECT count(*) FROM pg_extension WHERE extname = 'jobtrack')"),
		'0', 'DROP EXTENSION left nothing on ' . $node->name);
}
sql("CREATE EXTENSION jobtrack; SELECT jobtrack.distribute()");
is(sql("SELECT jobtrack.create_job('Fresh') > 0"), 't', 'CREATE EXTENSION and distribute() work again');

$_->stop foreach reverse @nodes;
done_testing();
