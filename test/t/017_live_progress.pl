
# Copyright (c) 2026, jobtrack authors

# Live progress: set_progress() and heartbeat() of a started job go to
# shared memory, are read live by every session, reach the job's row at
# the worker's flush or at the next status change, survive a clean
# shutdown, lose at most one flush interval in a crash, and fall back to
# the row when the slots are full, when row-level security applies and
# when jobtrack is not preloaded, with the same results.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use JobtrackTest;

# a long flush interval: anything the rows show early came another way
my $node = JobtrackTest::new_node('live',
	extra_conf => "jobtrack.live_slots = 4\njobtrack.live_flush_interval = '1h'\njobtrack.check_interval = '1h'\n"
	  . "max_prepared_transactions = 2\n");
ok(defined JobtrackTest::wait_for_worker($node), 'the worker runs');

sub sql { return $node->safe_psql('postgres', $_[0]); }

sub started_job
{
	my $id = sql("SELECT jobtrack.create_job('live', group_id => jobtrack.group_id('live'))");
	sql("SELECT jobtrack.start_job($id)");
	return $id;
}

# --- live reads, the row untouched until a flush
my $a = started_job();
sql("SELECT jobtrack.set_progress($a, 3, 8)");
is(sql("SELECT jobtrack.percentage($a)"), '37.50', 'percentage() reads the live value at once');
is(sql("SELECT percentage || ' ' || coalesce(progress_current::text, '-') FROM jobtrack.job_status WHERE id = $a"),
	'0 -', 'the row still has the stored values: the write took no transaction');
is(sql("SELECT percentage || ' ' || progress_current || '/' || progress_total FROM jobtrack.in_group(jobtrack.group_id('live')) WHERE id = $a"),
	'37.50 3/8', 'a scope returns the live columns');
is(sql("SELECT stored FROM jobtrack.live_progress WHERE job_id = $a"), 'f',
	'live_progress lists the slot as not stored yet');
is(sql("SELECT jobtrack.flush_progress()"), '1', 'flush_progress() writes one row');
is(sql("SELECT percentage || ' ' || progress_current || '/' || progress_total FROM jobtrack.job_status WHERE id = $a"),
	'37.50 3/8', 'after the flush the row holds the values');
is(sql("SELECT stored FROM jobtrack.live_progress WHERE job_id = $a"), 't',
	'and the slot is marked stored');
is(sql("SELECT jobtrack.flush_progress()"), '0', 'a second flush has nothing to write');

# --- a status change carries the live values and frees the slot
sql("SELECT jobtrack.set_progress($a, 6, 8)");
sql("SELECT jobtrack.heartbeat($a)");
my $beat = sql("SELECT heartbeat_at FROM jobtrack.live_progress WHERE job_id = $a");
sql("SELECT jobtrack.pause_job($a)");
is(sql("SELECT status || ' ' || percentage || ' ' || progress_current || ' ' || (heartbeat_at = '$beat')::text FROM jobtrack.job_status WHERE id = $a"),
	'paused 75.00 6 true', 'pausing wrote the live progress and heartbeat into the row');
is(sql("SELECT count(*) FROM jobtrack.live_progress WHERE job_id = $a"), '0',
	'the slot is free once the status change committed');

# a status change that rolls back keeps the slot
my $b = started_job();
sql("SELECT jobtrack.set_progress($b, 40)");
sql("BEGIN; SELECT jobtrack.succeed_job($b); ROLLBACK;");
is(sql("SELECT jobtrack.percentage($b) || ' ' || (SELECT count(*) FROM jobtrack.live_progress WHERE job_id = $b)"),
	'40 1', 'a rolled-back status change leaves the slot and its value');
sql("SELECT jobtrack.fail_job($b, 'x')");
is(sql("SELECT percentage FROM jobtrack.job_status WHERE id = $b"), '40',
	'failing the job wrote the live percentage');

# --- a plain UPDATE by hand carries the live values too
my $c = started_job();
sql("SELECT jobtrack.set_progress($c, 55)");
sql("UPDATE jobtrack.job_status SET data = '{\"k\": 1}' WHERE id = $c");
is(sql("SELECT percentage FROM jobtrack.job_status WHERE id = $c"), '55',
	'an UPDATE of another column writes the live percentage as well');
sql("SELECT jobtrack.set_progress($c, 60)");
sql("UPDATE jobtrack.job_status SET percentage = 10 WHERE id = $c");
is(sql("SELECT jobtrack.percentage($c) || ' ' || percentage FROM jobtrack.job_status WHERE id = $c"),
	'10 10', 'an UPDATE that sets the percentage itself wins over the older live value');

# --- bad values are refused as on the row, and change nothing
my ($rc, $out, $err) = $node->psql('postgres', "SELECT jobtrack.set_progress($c, 101)");
like($err, qr/percentage of job $c must be between 0 and 100/, 'a percentage over 100 is refused');
($rc, $out, $err) = $node->psql('postgres', "SELECT jobtrack.set_progress($c, 5, 2)");
like($err, qr/progress total of job $c is below its current value/, 'a total below current is refused');
is(sql("SELECT jobtrack.percentage($c)"), '10', 'the refused writes changed nothing');
($rc, $out, $err) = $node->psql('postgres', "SELECT jobtrack.set_progress(999999, 5)");
like($err, qr/job 999999 does not exist/, 'an unknown job is reported as before');

# --- slots full: the table path, with the same result
sql("SELECT jobtrack.flush_progress()");
my @jobs = map { started_job() } 1 .. 5;
my $full_before = sql("SELECT live_slots_full FROM jobtrack.stats");
sql("SELECT jobtrack.set_progress($_, 20)") foreach @jobs;
is(sql("SELECT live_slots_used FROM jobtrack.stats"), '4', 'four slots are taken');
my $stored = sql("SELECT string_agg(percentage::text, ',' ORDER BY id) FROM jobtrack.job_status WHERE id IN (" . join(',', @jobs) . ")");
like($stored, qr/20$/, 'the job that found no free slot has its percentage in the row at once');
is(sql("SELECT string_agg(jobtrack.percentage(id)::text, ',' ORDER BY id) FROM jobtrack.job_status WHERE id IN (" . join(',', @jobs) . ")"),
	'20,20,20,20,20', 'every job reads 20, live or stored');
cmp_ok(sql("SELECT live_slots_full FROM jobtrack.stats"), '>', $full_before,
	'jobtrack.stats counts the write that found every slot taken');
sql("SELECT jobtrack.succeed_job($_)") foreach @jobs;
is(sql("SELECT live_slots_used FROM jobtrack.stats"), '0', 'finished jobs free their slots');

# --- the setting turns the live path off for a session
my $d = started_job();
sql("SET jobtrack.live_progress = off; SELECT jobtrack.set_progress($d, 33)");
is(sql("SELECT percentage || ' ' || (SELECT count(*) FROM jobtrack.live_progress WHERE job_id = $d) FROM jobtrack.job_status WHERE id = $d"),
	'33 0', 'with live_progress off the write goes to the row');

# --- row-level security: the live path is closed, the policy holds
sql(q{
	CREATE ROLE live_writer;
	GRANT USAGE ON SCHEMA jobtrack, jobtrack_internal TO live_writer;
	GRANT SELECT, INSERT, UPDATE ON jobtrack.job_status TO live_writer;
	GRANT SELECT ON jobtrack.job_external_id, jobtrack.job_group, jobtrack.live_progress TO live_writer;
	GRANT USAGE ON ALL SEQUENCES IN SCHEMA jobtrack TO live_writer;
	GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA jobtrack, jobtrack_internal TO live_writer;
});
my $own = $node->safe_psql('postgres',
	"SET ROLE live_writer; SELECT jobtrack.create_job('rls'); ");
$node->safe_psql('postgres', "SET ROLE live_writer; SELECT jobtrack.start_job($own)");
sql("ALTER TABLE jobtrack.job_status ENABLE ROW LEVEL SECURITY");
$node->safe_psql('postgres', "SET ROLE live_writer; SELECT jobtrack.set_progress($own, 12)");
is(sql("SELECT percentage || ' ' || (SELECT count(*) FROM jobtrack.live_progress WHERE job_id = $own) FROM jobtrack.job_status WHERE id = $own"),
	'12 0', 'under row-level security the write goes to the row');
($rc, $out, $err) = $node->psql('postgres', "SET ROLE live_writer; SELECT jobtrack.set_progress($d, 90)");
like($err, qr/job $d does not exist/, 'and a role cannot set progress on a job its policy hides');
# slots do not know whose job they hold: such a role reads none of them
my $x = started_job();
sql("SELECT jobtrack.set_progress($x, 37)");
is($node->safe_psql('postgres', "SET ROLE live_writer; SELECT count(*) FROM jobtrack_internal.live_slots()"), '0',
	'under row-level security live_slots() lists no slot, not even through the internal function');
is($node->safe_psql('postgres',
		"SET ROLE live_writer; SELECT coalesce(jobtrack_internal.live_percentage($x, 'started', NULL)::text, 'stored')"),
	'stored', 'and live_percentage() of a job its policy hides gives back the stored value');
($rc, $out, $err) = $node->psql('postgres', "SET ROLE live_writer; SELECT jobtrack.flush_progress()");
like($err, qr/permission denied to flush live progress/,
	'nor may it flush, which would lock rows its policy hides until its transaction ends');
is(sql("SELECT jobtrack.percentage($x) || ' ' || percentage FROM jobtrack.job_status WHERE id = $x"), '37 0',
	'the slot is untouched and unflushed');
sql("ALTER TABLE jobtrack.job_status DISABLE ROW LEVEL SECURITY");

# --- the started check reads the row as the caller's own statement would
# A role that may update job_status but not read it gets the statement's
# error, from the live path as from the row's, and no slot takes its value.
sql(q{
	CREATE ROLE blind_writer;
	GRANT USAGE ON SCHEMA jobtrack, jobtrack_internal TO blind_writer;
	GRANT UPDATE ON jobtrack.job_status TO blind_writer;
	GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA jobtrack, jobtrack_internal TO blind_writer;
});
my $blind = started_job();
($rc, $out, $err) = $node->psql('postgres', "SET ROLE blind_writer; SELECT jobtrack.set_progress($blind, 44)");
like($err, qr/permission denied for table job_status/,
	'a role that may not read job_status cannot write progress, live or not');
($rc, $out, $err) = $node->psql('postgres', "SET ROLE blind_writer; SELECT jobtrack.heartbeat($blind)");
like($err, qr/permission denied for table job_status/, 'nor a heartbeat');
is(sql("SELECT count(*) FROM jobtrack.live_progress WHERE job_id = $blind"), '0', 'and no slot took a value');
# a role that may read job_status but not update it writes no progress either
sql(q{
	CREATE ROLE peek_reader;
	GRANT USAGE ON SCHEMA jobtrack, jobtrack_internal TO peek_reader;
	GRANT SELECT ON jobtrack.job_status TO peek_reader;
	GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA jobtrack, jobtrack_internal TO peek_reader;
});
($rc, $out, $err) = $node->psql('postgres', "SET ROLE peek_reader; SELECT jobtrack.set_progress($blind, 45)");
like($err, qr/permission denied for table job_status/, 'a role that may only read job_status cannot write progress');
is(sql("SELECT count(*) FROM jobtrack.live_progress WHERE job_id = $blind"), '0', 'and no slot took that value');
# a job started by the same statement is not seen started (the statement's
# snapshot is older): its progress goes to the row, as it always did
my $same_stmt = sql("SELECT jobtrack.create_job('live')");
sql("SELECT jobtrack.start_job($same_stmt), jobtrack.set_progress($same_stmt, 5)");
is(sql("SELECT percentage || ' ' || (SELECT count(*) FROM jobtrack.live_progress WHERE job_id = $same_stmt) FROM jobtrack.job_status WHERE id = $same_stmt"),
	'5 0', 'progress set in the statement that started the job goes to the row');
# a job started earlier in the caller's own transaction is seen started
my $own_tx = sql("SELECT jobtrack.create_job('live')");
sql("BEGIN; SELECT jobtrack.start_job($own_tx); SELECT jobtrack.set_progress($own_tx, 45); COMMIT;");
is(sql("SELECT jobtrack.percentage($own_tx) || ' ' || percentage FROM jobtrack.job_status WHERE id = $own_tx"),
	'45 0', 'a job started earlier in the same transaction takes progress live');
sql("SELECT jobtrack.succeed_job($_)") foreach ($blind, $own_tx, $same_stmt);

# --- a read-only transaction writes no progress, live or not
($rc, $out, $err) = $node->psql('postgres', "BEGIN READ ONLY; SELECT jobtrack.set_progress($x, 55); COMMIT;");
like($err, qr/read-only transaction/, 'set_progress() in a read-only transaction fails as the row would');
is(sql("SELECT jobtrack.percentage($x)"), '37', 'and changed nothing');

# --- a prepared transaction's write is not undone by the slot it replaced
sql("BEGIN; SET LOCAL jobtrack.live_progress = off; SELECT jobtrack.set_progress($x, 60); PREPARE TRANSACTION 'jt_live';");
sql("COMMIT PREPARED 'jt_live'");
is(sql("SELECT jobtrack.percentage($x) || ' ' || percentage FROM jobtrack.job_status WHERE id = $x"), '60 60',
	'after COMMIT PREPARED readers see the prepared write');
sql("SELECT jobtrack.flush_progress()");
is(sql("SELECT percentage FROM jobtrack.job_status WHERE id = $x"), '60', 'and a flush does not undo it');
sql("SELECT jobtrack.succeed_job($x)");

# --- stuck detection reads the live heartbeat (the rows are flushed hourly)
my $e = started_job();
sql("UPDATE jobtrack.job_status SET started_at = now() - interval '1 hour', heartbeat_at = now() - interval '1 hour' WHERE id = $e");
sql("SELECT jobtrack.heartbeat($e)");
# the worker's own maintenance leaves stuck jobs alone (stuck_after is off there)
sql("SET jobtrack.stuck_after = '2s'; SELECT jobtrack.run_maintenance()");
is(sql("SELECT jobtrack.get_status($e)"), 'started', 'a job with a fresh live heartbeat is not marked stuck');
sleep 3;
sql("SET jobtrack.stuck_after = '2s'; SELECT jobtrack.run_maintenance()");
is(sql("SELECT jobtrack.get_status($e)"), 'stuck', 'once the live heartbeat is older than stuck_after, it is');
sql("SELECT jobtrack.heartbeat($e)");
is(sql("SELECT jobtrack.get_status($e)"), 'started', 'a heartbeat starts a stuck job again, through the row');

# --- a clean shutdown flushes; a crash loses at most the last interval
# a worker in the middle of a pass dies at once (it may wait on a lock), so
# the test lets it finish its pass first: the start below woke it
my $f = started_job();
sql("SELECT jobtrack.set_progress($f, 70)");
ok(JobtrackTest::poll_until(30, sub {
	sql("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'jobtrack worker' AND state = 'idle'") eq '1' }),
	'the worker sleeps');
$node->restart;
is(sql("SELECT percentage FROM jobtrack.job_status WHERE id = $f"), '70',
	'the worker flushed live progress when the server shut down');

# The postmaster sends SIGTERM twice (to the pid and to its process group),
# and the second may arrive while the stopping worker flushes: it must not
# cut the flush short.  A held table lock keeps the flush waiting while the
# second signal comes.
my $g = started_job();
sql("SELECT jobtrack.set_progress($g, 33)");
my $wpid = JobtrackTest::wait_for_worker($node);
ok(JobtrackTest::poll_until(30, sub {
	sql("SELECT count(*) FROM pg_stat_activity WHERE pid = $wpid AND state = 'idle'") eq '1' }),
	'the worker sleeps again');
my $locker = $node->background_psql('postgres');
$locker->query_safe('BEGIN; LOCK TABLE jobtrack.job_status IN SHARE MODE');
kill 'TERM', $wpid;
ok(JobtrackTest::poll_until(30, sub {
	sql("SELECT count(*) FROM pg_stat_activity WHERE pid = $wpid AND wait_event_type = 'Lock'") eq '1' }),
	'the stopping worker flushes, and waits for the table lock');
kill 'TERM', $wpid;
sleep 1;
$locker->query_safe('COMMIT');
$locker->quit;
ok(JobtrackTest::poll_until(30, sub {
	sql("SELECT count(*) FROM pg_stat_activity WHERE pid = $wpid") eq '0' }),
	'then it exits');
is(sql("SELECT percentage FROM jobtrack.job_status WHERE id = $g"), '33',
	'a second SIGTERM during the flush does not cut it short');

$node->append_conf('postgresql.conf', "jobtrack.live_flush_interval = '1s'\n");
$node->restart;
ok(defined JobtrackTest::wait_for_worker($node), 'the worker runs again');
$g = started_job();
my $h = started_job();
sql("SELECT jobtrack.set_progress($g, 10)");
ok(JobtrackTest::poll_until(30, sub { sql("SELECT percentage FROM jobtrack.job_status WHERE id = $g") eq '10' }),
	'the worker flushes within its interval');
sql("SELECT jobtrack.set_progress($g, 20)");
sql("SELECT jobtrack.succeed_job($h)");
ok(JobtrackTest::kill9_and_restart($node), 'the server restarts after SIGKILL of the postmaster');
is(sql("SELECT status FROM jobtrack.job_status WHERE id IN ($g, $h) ORDER BY id"), "started\nsucceeded",
	'every committed status survived the crash');
like(sql("SELECT percentage FROM jobtrack.job_status WHERE id = $g"), qr/^(10|20)$/,
	'the progress is the last flushed value or newer: at most one interval lost');

# --- jobs that go all at once take their slots with them
sub slots_used { return sql("SELECT live_slots_used FROM jobtrack.stats"); }
my $before = slots_used();
my $t = started_job();
sql("SELECT jobtrack.set_progress($t, 21)");
is(slots_used(), $before + 1, 'a slot is taken');
sql("BEGIN; TRUNCATE jobtrack.job_status CASCADE; ROLLBACK;");
is(slots_used(), $before + 1, 'a TRUNCATE that rolls back keeps it');
sql("TRUNCATE jobtrack.job_status RESTART IDENTITY CASCADE");
is(slots_used(), '0', 'TRUNCATE frees every slot of the database');
$t = started_job();
sql("SELECT jobtrack.set_progress($t, 22)");
sql("DROP EXTENSION jobtrack; CREATE EXTENSION jobtrack;");
is(slots_used(), '0', 'DROP EXTENSION frees them too');
sql("CREATE DATABASE live_other");
$node->safe_psql('live_other', 'CREATE EXTENSION jobtrack');
ok(JobtrackTest::poll_until(30, sub {
	sql("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'jobtrack worker' AND datname = 'live_other'") eq '1' }),
	'a second database gets its worker');
my $o = $node->safe_psql('live_other', "SELECT jobtrack.create_job('other')");
$node->safe_psql('live_other', "SELECT jobtrack.start_job($o); SELECT jobtrack.set_progress($o, 5);");
is(slots_used(), '1', 'its job takes a slot');
sql("DROP DATABASE live_other WITH (FORCE)");
is(slots_used(), '0', 'DROP DATABASE frees the slots of the database it drops');

# --- without preloading: the same calls, the same results, through the rows
my $plain = JobtrackTest::new_node('plain', no_start => 1);
$plain->adjust_conf('postgresql.conf', 'shared_preload_libraries', "''");
$plain->start;
$plain->safe_psql('postgres', 'CREATE EXTENSION jobtrack');
my $script = q{
	SELECT jobtrack.create_job('same') AS id \gset
	SELECT jobtrack.start_job(:id);
	SELECT jobtrack.set_progress(:id, 1, 3);
	SELECT jobtrack.percentage(:id), progress_current, progress_total FROM jobtrack.for_job('same');
	SELECT jobtrack.set_progress(:id, 42.5);
	SELECT percentage FROM jobtrack.where_status('started') WHERE job_type = 'same';
	SELECT jobtrack.succeed_job(:id);
	SELECT percentage, progress_current, progress_total FROM jobtrack.job_status WHERE id = :id;
};
my ($live_out, $plain_out);
$node->psql('postgres', $script, stdout => \$live_out, on_error_die => 1);
$plain->psql('postgres', $script, stdout => \$plain_out, on_error_die => 1);
s/^\d+$//mg foreach ($live_out, $plain_out);
is($live_out, $plain_out, 'the same calls give the same results with and without preloading');
is($plain->safe_psql('postgres', "SELECT live_slots FROM jobtrack.stats"), '0',
	'without preloading there are no slots');
$plain->stop;

done_testing();
