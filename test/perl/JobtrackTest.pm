
# Copyright (c) 2026, jobtrack authors

=pod

=head1 NAME

JobtrackTest - shared helpers of jobtrack's crash, standby, dump and load TAP tests

=head1 SYNOPSIS

  use JobtrackTest;

  my $node = JobtrackTest::new_node('main', extra_conf => 'restart_after_crash = on');
  my $clients = JobtrackTest::start_clients($node, clients => 4);
  ...
  my $ledger = JobtrackTest::stop_clients($clients);
  JobtrackTest::wait_settled($node);
  my @problems = JobtrackTest::event_problems($node);
  is_deeply(\@problems, [], 'events exact');

=head1 DESCRIPTION

Every test that crashes, promotes, restores or loads a server ends with the
same check, "events exact" (event_problems): for every group, its
group_event rows are exactly started, completed for each earlier run and,
for the current run, started then completed if the group is completed,
started only if it is running and nothing if it is pending; group_count
equals the group's jobs counted by status; every group whose jobs are all
finished is completed; and a unique index on (group_id, run, event) exists.

The load clients are forked Perl processes, each driving one long-lived
psql through pipes.  A client records a job's status in its ledger only
after the statement returned success, retries a step until it is
acknowledged (each step is idempotent: group_id() is first-or-create,
create_job() takes an external id, and a status set to itself is a no-op),
and reconnects whenever its connection is lost, so it survives a backend
being terminated, a crash restart or a killed postmaster.

=cut

package JobtrackTest;

use strict;
use warnings FATAL => 'all';

use File::Basename ();
use File::Spec;
use IPC::Run;
use POSIX ();
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time sleep);

# the check_interval every test uses, and the same in seconds
our $CHECK_INTERVAL = '500ms';
our $CHECK_INTERVAL_S = 0.5;

# status columns of group_count, in jobtrack.status order
our @STATUSES =
  qw(queued delayed started paused stuck succeeded failed cancelled);

=pod

=head1 FUNCTIONS

=over

=item new_node($name, %params)

Creates, configures and starts a node with jobtrack preloaded and a
check_interval of 500ms, and creates the extension in database postgres.
Parameters: allows_streaming, extra_conf (appended to postgresql.conf),
no_extension (skip CREATE EXTENSION), no_start.

=cut

sub new_node
{
	my ($name, %params) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);

	$node->init(allows_streaming => $params{allows_streaming} // 0);
	$node->append_conf('postgresql.conf',
		"shared_preload_libraries = 'jobtrack'\n"
		  . "jobtrack.check_interval = '$CHECK_INTERVAL'\n"
		  . ($params{extra_conf} // ''));
	return $node if $params{no_start};
	$node->start;
	$node->safe_psql('postgres', 'CREATE EXTENSION jobtrack')
	  unless $params{no_extension};
	return $node;
}

=pod

=item readme_sql($heading)

The first ```sql block after the README.md heading "### $heading", so a
test runs the README's own statements (the roles' grants) and cannot drift
from them.

=cut

sub readme_sql
{
	my ($heading) = @_;
	my $readme = File::Spec->catfile(File::Basename::dirname(__FILE__), '..', '..', 'README.md');
	my $text = slurp_file($readme);
	$text =~ /^### \Q$heading\E\n.*?^```sql\n(.*?)^```/ms
	  or die "README.md has no sql block under \"### $heading\"";
	return $1;
}

=pod

=item poll_until($timeout_s, $sub)

Calls $sub every 100 ms until it returns true or $timeout_s passed; returns
its last result.

=cut

sub poll_until
{
	my ($timeout, $sub) = @_;
	my $deadline = time + $timeout;

	while (1)
	{
		my $r = $sub->();
		return $r if $r;
		return $r if time > $deadline;
		sleep 0.1;
	}
}

=pod

=item query($node, $sql [, $db])

Runs $sql and returns its output, or undef when it failed (for instance
while the server restarts).  Never dies.

=cut

sub query
{
	my ($node, $sql, $db) = @_;
	my ($ret, $out, $err) = (1, '', '');

	eval {
		$ret = $node->psql($db // 'postgres', $sql,
			stdout => \$out,
			stderr => \$err,
			timeout => 60);
		1;
	} or return undef;
	return undef if $ret != 0;
	return $out;
}

=pod

=item worker_pid($node [, $db])

The pid of the 'jobtrack worker' backend of database $db (default
postgres), or undef.

=cut

sub worker_pid
{
	my ($node, $db) = @_;
	$db //= 'postgres';
	my $pid = query($node,
		"SELECT pid FROM pg_catalog.pg_stat_activity WHERE backend_type = 'jobtrack worker' AND datname = '$db'"
	);

	return (defined $pid && $pid =~ /^(\d+)$/) ? $1 : undef;
}

=pod

=item wait_for_worker($node, %params)

Waits (default 60 s) until a jobtrack worker runs in database $params{db}
(default postgres), one whose pid is not $params{not} if given; returns its
pid or undef.

=cut

sub wait_for_worker
{
	my ($node, %params) = @_;
	my $pid;

	poll_until(
		$params{timeout} // 60,
		sub {
			$pid = worker_pid($node, $params{db});
			return defined $pid
			  && (!defined $params{not} || $pid != $params{not});
		}) or return undef;
	return $pid;
}

=pod

=item wait_for($timeout_s, $check)

Calls $check every 100 ms; returns how many seconds passed until it
returned true, or undef when $timeout_s seconds passed first.

=cut

sub wait_for
{
	my ($timeout, $check) = @_;
	my $start = time();

	while (time() - $start < $timeout)
	{
		return time() - $start if $check->();
		sleep(0.1);
	}
	return undef;
}

=pod

=item finished_group($node, $title [, $db])

Creates a group titled $title with one job, starts and succeeds the job
in separate commits, and returns the group's id.

=cut

sub finished_group
{
	my ($node, $title, $db) = @_;
	return $node->safe_psql(
		$db // 'postgres', qq{
SELECT jobtrack.create_group('$title') AS g \\gset
SELECT jobtrack.create_job('Import', group_id => :g) AS j \\gset
SELECT jobtrack.start_job(:j) \\g /dev/null
SELECT jobtrack.succeed_job(:j) \\g /dev/null
SELECT :g});
}

=pod

=item notifications_in($out)

Parses psql's "Asynchronous notification" lines in $out; returns a list
of { channel, payload, pid }.

=cut

sub notifications_in
{
	my ($out) = @_;
	my @found;
	while ($out =~
		/^Asynchronous notification "([^"]*)" with payload "(.*)" received from server process with PID (\d+)\.$/mg
	  )
	{
		push @found, { channel => $1, payload => $2, pid => $3 };
	}
	return @found;
}

=pod

=item log_lines($node [, $offset])

The lines of the node's log after byte $offset (default 0).

=cut

sub log_lines
{
	my ($node, $offset) = @_;
	return split /\n/, slurp_file($node->logfile, $offset // 0);
}

=pod

=item wait_settled($node, %params)

Waits (default 60 s) until the worker runs, group_change is empty, and the
groups' statuses, runs and event count stayed the same across at least one
more evaluation pass, in database $params{db} (default postgres).  Returns
true when settled.

=cut

sub wait_settled
{
	my ($node, %params) = @_;
	my $sql = q{
		SELECT (SELECT count(*) FROM jobtrack.group_change) = 0
			   AND (SELECT worker_pid IS NOT NULL FROM jobtrack.stats),
			   (SELECT checks FROM jobtrack.stats),
			   (SELECT md5(coalesce(string_agg(id || ':' || status || ':' || run, ',' ORDER BY id), ''))
				  FROM jobtrack.job_group)
			   || '/' || (SELECT count(*) FROM jobtrack.group_event)
	};
	my ($seen_print, $seen_checks);

	my $ok = poll_until(
		$params{timeout} // 60,
		sub {
			my $out = query($node, $sql, $params{db}) // return 0;
			my ($drained, $checks, $print) = split /\|/, $out;
			return 0 unless defined $print;
			if ($drained ne 't')
			{
				$seen_print = undef;
				return 0;
			}
			if (defined $seen_print
				&& $seen_print eq $print
				&& $checks > $seen_checks)
			{
				return 1;
			}
			if (!defined $seen_print || $seen_print ne $print)
			{
				($seen_print, $seen_checks) = ($print, $checks);
			}
			return 0;
		});
	diag('the groups did not settle: '
		  . (query($node, 'SELECT * FROM jobtrack.stats', $params{db}) // 'no server'))
	  unless $ok;
	return $ok;
}

=pod

=item event_problems($node [, $db])

The "events exact" invariant: returns a list of problems, empty when it
holds.  Call it after wait_settled().

=cut

sub event_problems
{
	my ($node, $db) = @_;
	my @problems;
	$db //= 'postgres';

	# a unique index on exactly (group_id, run, event)
	my $unique = $node->safe_psql(
		$db, q{
		SELECT count(*) FROM pg_catalog.pg_index i
		 WHERE i.indrelid = 'jobtrack.group_event'::pg_catalog.regclass
		   AND i.indisunique AND i.indisvalid AND i.indpred IS NULL
		   AND i.indnkeyatts = 3
		   AND (SELECT array_agg(a.attname::text ORDER BY a.attname)
				  FROM pg_catalog.unnest(i.indkey::int2[]) k
				  JOIN pg_catalog.pg_attribute a
					ON a.attrelid = i.indrelid AND a.attnum = k)
			   = ARRAY['event', 'group_id', 'run']});
	push @problems, 'no unique index on group_event (group_id, run, event)'
	  unless $unique >= 1;

	# the event sequence of each group
	my $rows = $node->safe_psql(
		$db, q{
		SELECT g.id, g.status, g.run,
			   coalesce((SELECT string_agg(e.run || ':' || e.event, ',' ORDER BY e.id)
						   FROM jobtrack.group_event e WHERE e.group_id = g.id), '')
		  FROM jobtrack.job_group g ORDER BY g.id});
	my %groups;
	foreach my $row (split /\n/, $rows)
	{
		my ($id, $status, $run, $events) = split /\|/, $row, -1;
		my @expected;
		$groups{$id} = 1;
		foreach my $r (1 .. $run - 1)
		{
			push @expected, "$r:group.started", "$r:group.completed";
		}
		push @expected, "$run:group.started" if $status ne 'pending';
		push @expected, "$run:group.completed" if $status eq 'completed';
		my $expected = join(',', @expected);
		push @problems,
		  "group $id ($status, run $run): events [$events], expected [$expected]"
		  if $events ne $expected;
	}

	# events of groups that do not exist
	my $orphans = $node->safe_psql(
		$db, q{
		SELECT string_agg(DISTINCT e.group_id::text, ',') FROM jobtrack.group_event e
		 WHERE NOT EXISTS (SELECT FROM jobtrack.job_group g WHERE g.id = e.group_id)});
	push @problems, "events of unknown groups: $orphans" if $orphans ne '';

	# group_count equals the jobs counted by status
	my $filters = join(",\n",
		map { "count(*) FILTER (WHERE status = '$_') AS $_" } @STATUSES);
	my $compare = join(' OR ',
		map { "coalesce(a.$_, 0) <> coalesce(c.$_, 0)" } @STATUSES);
	my $counts = $node->safe_psql(
		$db, qq{
		WITH a AS (SELECT group_id, $filters FROM jobtrack.job_status
					WHERE group_id IS NOT NULL GROUP BY group_id)
		SELECT coalesce(a.group_id, c.group_id),
			   '(' || concat_ws(',', @{[ join(',', map { "a.$_" } @STATUSES) ]}) || ')',
			   '(' || concat_ws(',', @{[ join(',', map { "c.$_" } @STATUSES) ]}) || ')'
		  FROM a FULL JOIN jobtrack.group_count c ON c.group_id = a.group_id
		 WHERE $compare ORDER BY 1});
	foreach my $row (split /\n/, $counts)
	{
		my ($id, $actual, $kept) = split /\|/, $row, -1;
		push @problems,
		  "group $id: group_count $kept, jobs counted by status $actual "
		  . '(queued,delayed,started,paused,stuck,succeeded,failed,cancelled)';
	}

	# finished groups are completed, completed groups are finished, and a
	# pending group has no started job
	my $states = $node->safe_psql(
		$db, q{
		SELECT g.id, g.status,
			   count(j.id),
			   count(j.id) FILTER (WHERE j.status < 'succeeded'),
			   count(j.id) FILTER (WHERE j.status IN ('started', 'stuck'))
		  FROM jobtrack.job_group g LEFT JOIN jobtrack.job_status j ON j.group_id = g.id
		 GROUP BY g.id, g.status ORDER BY g.id});
	foreach my $row (split /\n/, $states)
	{
		my ($id, $status, $jobs, $open, $started) = split /\|/, $row;
		push @problems,
		  "group $id is $status although all its $jobs jobs are finished"
		  if $jobs > 0 && $open == 0 && $status ne 'completed';
		push @problems,
		  "group $id is completed with $open of $jobs jobs not finished"
		  if $status eq 'completed' && ($open > 0 || $jobs == 0);
		push @problems, "group $id is pending with $started started jobs"
		  if $status eq 'pending' && $started > 0;
	}
	return @problems;
}

=pod

=item payload_problems($node [, $db])

Checks every event's payload: it names its own event, id, group and run;
its counts add up (total = finished + not_finished, and so on); a
group.completed has no unfinished job; and the last event of each
completed group is its group.completed, whose counts equal the group's
jobs counted by status now (nothing can change in a completed group
without reopening it).  Returns a list of problems.

=cut

sub payload_problems
{
	my ($node, $db) = @_;
	my @problems;
	$db //= 'postgres';

	my $bad = $node->safe_psql(
		$db, q{
		SELECT e.id, e.payload::text FROM jobtrack.group_event e,
			   LATERAL (SELECT (e.payload->'counts'->>'total')::bigint AS total,
							   (e.payload->'counts'->>'queued')::bigint AS queued,
							   (e.payload->'counts'->>'running')::bigint AS running,
							   (e.payload->'counts'->>'paused')::bigint AS paused,
							   (e.payload->'counts'->>'stuck')::bigint AS stuck,
							   (e.payload->'counts'->>'not_finished')::bigint AS not_finished,
							   (e.payload->'counts'->>'finished')::bigint AS finished,
							   (e.payload->'counts'->>'succeeded')::bigint AS succeeded,
							   (e.payload->'counts'->>'failed')::bigint AS failed,
							   (e.payload->'counts'->>'cancelled')::bigint AS cancelled) c
		 WHERE (e.payload->>'event') IS DISTINCT FROM e.event
			OR (e.payload->>'event_id')::bigint IS DISTINCT FROM e.id
			OR (e.payload->>'group_id')::bigint IS DISTINCT FROM e.group_id
			OR (e.payload->>'run')::int IS DISTINCT FROM e.run
			OR c.total IS NULL OR c.total <= 0
			OR c.total IS DISTINCT FROM c.finished + c.not_finished
			OR c.finished IS DISTINCT FROM c.succeeded + c.failed + c.cancelled
			OR c.not_finished < c.running + c.paused + c.stuck + c.queued
			OR (e.event = 'group.completed' AND c.not_finished <> 0)
		 ORDER BY e.id});
	push @problems, map { "inconsistent event payload: $_" } split /\n/, $bad;

	my $last = $node->safe_psql(
		$db, q{
		SELECT g.id, coalesce(l.run || ':' || l.event, 'none'),
			   coalesce(l.payload->'counts'->>'total', '') || '/' || coalesce(l.payload->'counts'->>'succeeded', '')
				 || '/' || coalesce(l.payload->'counts'->>'failed', '') || '/' || coalesce(l.payload->'counts'->>'cancelled', ''),
			   count(j.id) || '/' || count(j.id) FILTER (WHERE j.status = 'succeeded')
				 || '/' || count(j.id) FILTER (WHERE j.status = 'failed')
				 || '/' || count(j.id) FILTER (WHERE j.status = 'cancelled')
		  FROM jobtrack.job_group g
		  LEFT JOIN LATERAL (SELECT e.* FROM jobtrack.group_event e WHERE e.group_id = g.id
							  ORDER BY e.id DESC LIMIT 1) l ON true
		  LEFT JOIN jobtrack.job_status j ON j.group_id = g.id
		 WHERE g.status = 'completed'
		 GROUP BY g.id, g.run, l.run, l.event, l.payload
		HAVING coalesce(l.run || ':' || l.event, '') <> g.run || ':group.completed'
			OR coalesce(l.payload->'counts'->>'total', '') || '/' || coalesce(l.payload->'counts'->>'succeeded', '')
				 || '/' || coalesce(l.payload->'counts'->>'failed', '') || '/' || coalesce(l.payload->'counts'->>'cancelled', '')
			   <> count(j.id) || '/' || count(j.id) FILTER (WHERE j.status = 'succeeded')
				 || '/' || count(j.id) FILTER (WHERE j.status = 'failed')
				 || '/' || count(j.id) FILTER (WHERE j.status = 'cancelled')
		 ORDER BY g.id});
	foreach my $row (split /\n/, $last)
	{
		my ($id, $event, $payload, $actual) = split /\|/, $row, -1;
		push @problems,
		  "completed group $id: last event $event with counts "
		  . "total/succeeded/failed/cancelled $payload, jobs now $actual";
	}
	return @problems;
}

=pod

=item summary($node)

A one-line summary of what the load left behind, for the test's log.

=cut

sub summary
{
	my ($node) = @_;
	return 'load left: '
	  . $node->safe_psql(
		'postgres', q{
		SELECT (SELECT count(*) FROM jobtrack.job_group) || ' groups ('
			   || (SELECT count(*) FROM jobtrack.job_group WHERE run > 1) || ' reopened, max run '
			   || (SELECT coalesce(max(run), 0) FROM jobtrack.job_group) || '), '
			   || (SELECT count(*) FROM jobtrack.job_status) || ' jobs, '
			   || (SELECT count(*) FROM jobtrack.group_event) || ' events'});
}

=pod

=item log_problems($node, $offset)

Lines of the server log after byte $offset that show trouble: PANIC,
TRAP, ERROR, "deadlock detected", a group the evaluator set aside, or a
jobtrack worker or launcher that exited on its own (an exit the test caused with SIGKILL is expected and
not listed).

=cut

sub log_problems
{
	my ($node, $offset) = @_;
	my $log = slurp_file($node->logfile);
	$log = substr($log, $offset // 0);
	return grep {
		/PANIC|TRAP:|ERROR:|deadlock detected|set job group \d+ aside/
		  || (/background worker "jobtrack (worker|launcher)[^"]*"/
			&& !/terminated by signal 9/)
	} split /\n/, $log;
}

=pod

=item log_size($node)

The current size of the node's log, for log_problems().

=cut

sub log_size
{
	my ($node) = @_;
	return -s $node->logfile // 0;
}

=pod

=item table_md5($node, $table, $order [, $db])

md5 of a table's rows as text, in $order, with TimeZone UTC.

=cut

sub table_md5
{
	my ($node, $table, $order, $db) = @_;
	return $node->safe_psql($db // 'postgres',
		"SET TimeZone = 'UTC'; SELECT count(*) || ':' || md5(coalesce(string_agg(t::text, E'\\n' ORDER BY $order), '')) FROM $table t"
	);
}

=pod

=item server_children($node)

The pids of the postmaster's child processes, read from /proc.

=cut

sub server_children
{
	my ($node) = @_;
	my $pm = $node->{_pid} // return ();
	my @kids;

	opendir(my $dh, '/proc') or return ();
	foreach my $pid (grep { /^\d+$/ } readdir $dh)
	{
		open(my $fh, '<', "/proc/$pid/stat") or next;
		my $stat = <$fh> // '';
		close $fh;
		push @kids, $pid if $stat =~ /^\d+ \(.*\) \S (\d+) / && $1 == $pm;
	}
	closedir $dh;
	return @kids;
}

=pod

=item kill9_and_restart($node)

SIGKILLs the postmaster, waits until its children are gone and starts it
again (crash recovery).  Returns true when it runs again.

=cut

sub kill9_and_restart
{
	my ($node) = @_;
	my @kids = server_children($node);

	$node->kill9;
	poll_until(60, sub { !grep { kill(0, $_) } @kids })
	  or return 0;
	return $node->start(fail_ok => 1);
}

=pod

=item start_clients($node, %params)

Forks load clients; returns a handle for progress() and stop_clients().
Parameters: clients (default 4), shared_groups (0: each lifecycle gets a
group of its own; N: clients share groups "shared-1" .. "shared-N"),
think_ms (the longest pause between two steps, default 10).

Each client loops over lifecycles: first-or-create the group, create 2 to
5 jobs with external ids, start each, set its progress, then finish it
(mostly succeed, sometimes fail or cancel); in some lifecycles it retries
a failed or cancelled job afterwards (which may reopen a completed group)
and runs it to success.

=cut

sub start_clients
{
	my ($node, %params) = @_;
	my $dir = PostgreSQL::Test::Utils::tempdir();
	my $n = $params{clients} // 4;
	my %handle = (dir => $dir, pids => [], node => $node);
	my $psql = $node->installed_command('psql');
	my $connstr = $node->connstr('postgres') . ' application_name=jtclient';

	foreach my $i (1 .. $n)
	{
		my $pid = fork();
		die "fork failed: $!" unless defined $pid;
		if ($pid == 0)
		{
			# never run the test's END blocks (they stop every node)
			my $rc = 0;
			eval {
				JobtrackTest::Client::main(
					psql => $psql,
					connstr => $connstr,
					id => $i,
					dir => $dir,
					shared_groups => $params{shared_groups} // 0,
					think_ms => $params{think_ms} // 10);
				1;
			} or do {
				open(my $fh, '>>', "$dir/errors.$i");
				print $fh "client $i died: $@\n";
				close $fh;
				$rc = 1;
			};
			POSIX::_exit($rc);
		}
		push @{ $handle{pids} }, $pid;
	}
	return \%handle;
}

=pod

=item session($node, $application_name)

A psql session of the test process itself that reconnects after a lost
connection.  $session->query("SELECT 'ok:' || ...") returns (the text after
"ok:") on success, (undef, $error) for an SQL error on a live connection,
and () when the connection was lost; a statement that got no answer in
60 s is noted in $session->{errors}.  End it with $session->close_session.

=cut

sub session
{
	my ($node, $application_name) = @_;
	return bless {
		psql => $node->installed_command('psql'),
		connstr => $node->connstr('postgres')
		  . " application_name=$application_name",
		id => $application_name,
		h => undef,
		in => '',
		out => '',
		err => '',
		n => 0,
		errors => [],
	}, 'JobtrackTest::Client';
}

=pod

=item progress($node)

Number of finished jobs, or undef while the server is unavailable.

=cut

sub progress
{
	my ($node) = @_;
	my $out = query($node,
		"SELECT count(*) FROM jobtrack.job_status WHERE status >= 'succeeded'"
	);
	return (defined $out && $out =~ /^(\d+)$/) ? $1 : undef;
}

=pod

=item wait_for_progress($node, $jobs, $timeout)

Waits until at least $jobs more jobs finished than when called.

=cut

sub wait_for_progress
{
	my ($node, $jobs, $timeout) = @_;
	my $start;

	poll_until(60, sub { defined($start = progress($node)) });
	$start //= 0;
	return poll_until($timeout // 60,
		sub { (progress($node) // 0) >= $start + $jobs });
}

=pod

=item stop_clients($handle, %params)

Asks the clients to finish their current lifecycle and exit (with abort =>
1: to exit as soon as a statement fails), waits for them (default 60 s,
then they are told to abort, then killed) and
returns { ledger => { external_id => [group title, acked status, status
not yet acknowledged or undef] }, errors => [...], lifecycles => N }.

=cut

sub stop_clients
{
	my ($handle, %params) = @_;
	my $dir = $handle->{dir};
	my %alive = map { $_ => 1 } @{ $handle->{pids} };
	my @errors;

	my $reap = sub {
		foreach my $pid (keys %alive)
		{
			my $r = waitpid($pid, POSIX::WNOHANG());
			if ($r == $pid)
			{
				push @errors, "client process $pid exited with status $?"
				  if $? != 0;
				delete $alive{$pid};
			}
		}
		return !%alive;
	};

	_touch("$dir/stop");
	_touch("$dir/abort") if $params{abort};
	if (!poll_until($params{timeout} // 60, $reap))
	{
		push @errors, 'clients did not finish their lifecycles in time';
		_touch("$dir/abort");
		if (!poll_until(15, $reap))
		{
			kill('KILL', $_) foreach keys %alive;
			poll_until(10, $reap);
			push @errors, 'clients had to be killed';
		}
	}

	my %ledger;
	my $lifecycles = 0;
	foreach my $file (glob("$dir/ledger.*"))
	{
		open(my $fh, '<', $file) or die "cannot read $file: $!";
		while (my $line = <$fh>)
		{
			chomp $line;
			if ($line =~ /^#lifecycles\t(\d+)$/)
			{
				$lifecycles += $1;
				next;
			}
			my ($ext, $title, $acked, $pending) = split /\t/, $line, -1;
			$ledger{$ext} = [
				$title,
				$acked eq '' ? undef : $acked,
				$pending eq '' ? undef : $pending
			];
		}
		close $fh;
	}
	foreach my $file (glob("$dir/errors.*"))
	{
		push @errors, split /\n/, slurp_file($file);
	}
	return { ledger => \%ledger, errors => \@errors, lifecycles => $lifecycles };
}

=pod

=item tell_clients($handle, $what)

Tells the clients to 'stop' (after their current lifecycle) or to 'abort'
(at their next failed statement, or after their current lifecycle),
without waiting for them.

=cut

sub tell_clients
{
	my ($handle, $what) = @_;
	die "unknown client order $what" unless $what =~ /^(stop|abort)$/;
	_touch("$handle->{dir}/$what");
	return;
}

sub _touch
{
	my ($file) = @_;
	open(my $fh, '>', $file) or die "cannot create $file: $!";
	close $fh;
	return;
}

=pod

=item ledger_problems($node, $ledger)

Compares the clients' ledger with the table: every job whose creation was
acknowledged exists in the group the client created it in, with its last
acknowledged status or with the status of the one step that was sent but
not acknowledged (a commit whose answer was lost); a job whose creation was
never acknowledged is absent or queued; and the table holds no client job
the ledger does not know.  Returns a list of problems.

=cut

sub ledger_problems
{
	my ($node, $ledger) = @_;
	my @problems;
	my %actual;

	my $rows = $node->safe_psql(
		'postgres', q{
		SELECT j.external_id, g.title, j.status FROM jobtrack.job_status j
		  LEFT JOIN jobtrack.job_group g ON g.id = j.group_id
		 WHERE j.external_id LIKE 'c%'});
	foreach my $row (split /\n/, $rows)
	{
		my ($ext, $title, $status) = split /\|/, $row, -1;
		$actual{$ext} = [ $title, $status ];
	}

	foreach my $ext (sort keys %$ledger)
	{
		my ($title, $acked, $pending) = @{ $ledger->{$ext} };
		my $got = delete $actual{$ext};
		if (!defined $got)
		{
			push @problems,
			  "job $ext: acknowledged as $acked but missing from the table"
			  if defined $acked;
			next;
		}
		my ($got_title, $status) = @$got;
		push @problems,
		  "job $ext is in group '$got_title', the client created it in '$title'"
		  if $got_title ne $title;
		my @allowed = grep { defined } ($acked, $pending);
		@allowed = ('queued') unless defined $acked;
		push @problems,
		  "job $ext is $status, the ledger says "
		  . ($acked // 'never acknowledged')
		  . (defined $pending ? " (then $pending sent, not acknowledged)" : '')
		  unless grep { $_ eq $status } @allowed;
	}
	push @problems, "job $_ is in the table but in no client's ledger"
	  foreach sort keys %actual;
	return @problems;
}

package JobtrackTest::Client;

# One load client, in a forked process.  Talks to one psql through pipes
# and reconnects when psql exits because its connection was lost.

use strict;
use warnings FATAL => 'all';

use IPC::Run;
use Time::HiRes qw(time sleep);

sub main
{
	my %o = @_;
	my $self = bless {
		%o,
		h => undef,
		in => '',
		out => '',
		err => '',
		n => 0,
		ledger => {},
		order => [],
		errors => [],
		lifecycles => 0,
		parent => getppid(),
	}, __PACKAGE__;

	$SIG{PIPE} = 'IGNORE';
	srand($$ ^ time);
	eval { $self->run; 1 } or push @{ $self->{errors} }, "client $o{id}: $@";
	$self->close_session;
	$self->write_files;
	return;
}

# the test process gone (it died) counts as being told to abort
sub orphaned { return getppid() != $_[0]{parent} }
sub stopping { return -e "$_[0]{dir}/stop" || $_[0]->aborting }
sub aborting { return -e "$_[0]{dir}/abort" || $_[0]->orphaned }

sub think
{
	my ($self) = @_;
	sleep(rand($self->{think_ms}) / 1000.0) if $self->{think_ms} > 0;
	return;
}

# one lifecycle after another until asked to stop
sub run
{
	my ($self) = @_;
	my $lifecycle = 0;

	while (!$self->stopping)
	{
		$lifecycle++;
		last unless $self->lifecycle($lifecycle);
		$self->{lifecycles}++;
	}
	return;
}

sub lifecycle
{
	my ($self, $n) = @_;
	my $id = $self->{id};
	my $title =
	  $self->{shared_groups}
	  ? 'shared-' . (1 + ($id + $n) % $self->{shared_groups})
	  : "c$id-$n";
	my $gid = $self->step("SELECT 'ok:' || jobtrack.group_id('$title')")
	  // return 0;
	my $njobs = 2 + int(rand(4));
	my @jobs;

	foreach my $k (1 .. $njobs)
	{
		my $ext = "c$id-$n-$k";
		$self->{ledger}{$ext} = [ $title, undef, undef ];
		push @{ $self->{order} }, $ext;
		my $job = $self->step(
			"SELECT 'ok:' || jobtrack.create_job('load', group_id => $gid, external_id => '$ext')",
			$ext, 'queued')
		  // return 0;
		push @jobs, [ $ext, $job ];
	}
	foreach my $j (@jobs)
	{
		$self->transition($j, 'start_job', 'started') // return 0;
	}
	foreach my $j (@jobs)
	{
		$self->step("SELECT 'ok:' FROM jobtrack.set_progress($j->[1], 50::numeric)")
		  // return 0;
	}
	my @retry;
	foreach my $j (@jobs)
	{
		my $r = rand();
		if ($r < 0.1)
		{
			$self->transition($j, 'fail_job', 'failed', ", 'boom'") // return 0;
			push @retry, $j;
		}
		elsif ($r < 0.2)
		{
			$self->transition($j, 'cancel_job', 'cancelled') // return 0;
			push @retry, $j;
		}
		else
		{
			$self->transition($j, 'succeed_job', 'succeeded') // return 0;
		}
	}
	# a retry after the group may have completed reopens it
	if (@retry && rand() < 0.5)
	{
		my $j = $retry[0];
		$self->transition($j, 'retry_job', 'queued') // return 0;
		$self->transition($j, 'start_job', 'started') // return 0;
		$self->transition($j, 'succeed_job', 'succeeded') // return 0;
	}
	return 1;
}

# a status change that must answer with the status asked for
sub transition
{
	my ($self, $job, $function, $status, $extra) = @_;
	my ($ext, $id) = @$job;
	my $got = $self->step(
		"SELECT 'ok:' || jobtrack.$function($id" . ($extra // '') . ')',
		$ext, $status)
	  // return undef;
	push @{ $self->{errors} },
	  "client $self->{id}: $function($id) of job $ext returned $got, not $status"
	  if $got ne $status;
	return $got;
}

# Runs one idempotent statement until it is acknowledged; the ledger moves
# to $status only then.  Returns the value after "ok:", or undef when the
# client was told to abort first.
sub step
{
	my ($self, $sql, $ext, $status) = @_;
	my $backoff = 0.05;

	$self->{ledger}{$ext}[2] = $status if defined $ext;
	while (1)
	{
		$self->think;
		my ($value, $sql_error) = $self->query($sql);
		if (defined $value)
		{
			if (defined $ext)
			{
				$self->{ledger}{$ext}[1] = $status;
				$self->{ledger}{$ext}[2] = undef;
			}
			return $value;
		}
		push @{ $self->{errors} },
		  "client $self->{id}: unexpected error from \"$sql\": $sql_error"
		  if defined $sql_error;
		return undef if $self->aborting;
		sleep($backoff);
		$backoff = 0.5 if ($backoff *= 2) > 0.5;
	}
}

# Sends one statement; returns ($value) when it succeeded, (undef, $error)
# for an SQL error on a live connection, () when the connection was lost.
sub query
{
	my ($self, $sql) = @_;
	my $marker = '__jt_done_' . ++$self->{n} . '__';

	$self->open_session unless $self->{h};
	$self->{out} = '';
	$self->{err} = '';
	$self->{in} .= "$sql;\n\\echo $marker\n";
	$self->{timer}->start(60);
	my $done = eval {
		while ($self->{out} !~ /^\Q$marker\E$/m)
		{
			die "psql exited\n" unless $self->{h}->pumpable;
			$self->{h}->pump;
		}
		1;
	};
	my $failure = $@;
	if ($self->{out} =~ /^ok:(.*)$/m)
	{
		my $value = $1;
		$self->close_session unless $done;
		return ($value);
	}
	if ($done
		&& $self->{err} !~
		/server closed the connection|connection to server was lost|terminating connection|no connection to the server|could not connect|the database system is/
	  )
	{
		# psql is alive and the connection too: a real SQL error
		my $err = $self->{err};
		$err =~ s/\s+/ /g;
		return (undef, $err);
	}
	push @{ $self->{errors} },
	  "client $self->{id}: no answer to \"$sql\" within 60 s"
	  if $failure =~ /timeout/i;
	$self->close_session;
	return ();
}

sub open_session
{
	my ($self) = @_;
	$self->{in} = '';
	$self->{timer} = IPC::Run::timeout(60);
	$self->{h} = IPC::Run::start(
		[
			$self->{psql}, '-XAtq', '-v', 'ON_ERROR_STOP=0',
			'-d', $self->{connstr}, '-f', '-'
		],
		'<', \$self->{in}, '>', \$self->{out}, '2>', \$self->{err},
		$self->{timer});
	return;
}

sub close_session
{
	my ($self) = @_;
	return unless $self->{h};
	eval { $self->{h}->kill_kill(grace => 1); 1 }
	  or eval { $self->{h}->finish; 1 };
	$self->{h} = undef;
	return;
}

sub write_files
{
	my ($self) = @_;
	my $dir = $self->{dir};
	my $id = $self->{id};

	open(my $fh, '>', "$dir/ledger.$id.tmp") or die "cannot write ledger: $!";
	foreach my $ext (@{ $self->{order} })
	{
		my ($title, $acked, $pending) = @{ $self->{ledger}{$ext} };
		print $fh join("\t", $ext, $title, $acked // '', $pending // ''), "\n";
	}
	print $fh "#lifecycles\t$self->{lifecycles}\n";
	close $fh;
	rename("$dir/ledger.$id.tmp", "$dir/ledger.$id");
	if (@{ $self->{errors} })
	{
		open(my $eh, '>>', "$dir/errors.$id") or die "cannot write errors: $!";
		print $eh "$_\n" foreach @{ $self->{errors} };
		close $eh;
	}
	return;
}

=pod

=back

=cut

1;
