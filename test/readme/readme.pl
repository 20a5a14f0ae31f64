#!/usr/bin/perl
#
# Runs README.md (and clients/*/README.md) as executable documentation.
# Started by test/readme/run.sh as root; see test/readme/README.md for the
# conventions (which blocks run where, and the <!-- readme-test: ... --> markers).
#
use strict;
use warnings;
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Path qw(make_path remove_tree);
use JSON::PP;
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(time sleep);

my $REPO = abs_path(dirname(abs_path($0)) . '/../..');
my $PGBIN = '/usr/lib/postgresql/15/bin';
my %opt = (readme => "$REPO/README.md", keep => 0);
while (@ARGV) {
	my $a = shift @ARGV;
	if ($a eq '--readme') { $opt{readme} = abs_path(shift @ARGV) or die "--readme: no such file\n"; }
	elsif ($a eq '--keep') { $opt{keep} = 1; }
	elsif ($a eq '--no-demo-install') { $ENV{README_TEST_DEMO_INSTALL} = 0; }
	else { die "usage: run.sh [--readme FILE] [--keep] [--no-demo-install]\n"; }
}
my @PORTS = split ' ', ($ENV{README_TEST_PORTS} // '5492 5493');
my $DEMO_PORT_IN_README = 5499;
my $T0 = time;
$| = 1;

my $WORK = $ENV{README_TEST_WORK} // "/tmp/jobtrack-readme.$$";
remove_tree($WORK);
make_path($WORK);
chmod 0755, $WORK;

our $shn = 0;          # numbers the logs of shell commands
my @results;           # {file, line, name, ok, skip, diag}
my @started;           # data directories of clusters we started
my $cluster_port = {};

sub result {
	my ($b, $name, $ok, $diag, $skip) = @_;
	push @results, { file => $b->{file}, line => $b->{line}, name => $name,
		ok => $ok ? 1 : 0, skip => $skip, diag => $diag // '' };
}
sub note { print "# ", join('', @_), "\n"; }
sub slurp { my $f = shift; open my $fh, '<', $f or return ''; local $/; my $s = <$fh>; close $fh; $s; }
sub spew { my ($f, $s) = @_; open my $fh, '>', $f or die "$f: $!"; print $fh $s; close $fh; }
sub run_cmd {    # run a shell command, return (rc, output)
	my ($cmd, %o) = @_;
	my $out = "$WORK/cmd.$$." . int(rand(1e9));
	my $in = $o{stdin} // '/dev/null';
	system("bash", "-c", "{ $cmd
} <$in >$out 2>&1");
	my $rc = $? >> 8;
	my $s = slurp($out);
	unlink $out;
	return ($rc, $s);
}
sub as_pg { my $c = shift; return "runuser -u postgres -- $c"; }

###########################################################################
# Parsing: fenced blocks, their headings and markers
###########################################################################

sub parse_markdown {
	my ($file, $label) = @_;
	my @lines = split /\n/, slurp($file), -1;
	my (@blocks, @markers, @heading);
	my $i = 0;
	my $heading = '(top)';
	my $level = 0;
	while ($i < @lines) {
		my $l = $lines[$i];
		if ($l =~ /^(#{1,6})\s+(.*)$/) {
			$heading = $2; $level = length $1;
			push @heading, { text => $2, line => $i + 1 };
			if (@markers) { push @blocks, stray($file, $label, \@markers); @markers = (); }
		}
		elsif ($l =~ /^\s*<!--\s*readme-test:\s*(.*?)\s*-->\s*$/) {
			push @markers, { text => $1, line => $i + 1 };
		}
		elsif ($l =~ /^```\s*([\w-]*)\s*$/) {
			my $lang = lc $1;
			my $start = $i + 1;
			my @body;
			$i++;
			while ($i < @lines && $lines[$i] !~ /^```\s*$/) { push @body, $lines[$i]; $i++; }
			push @blocks, { file => $file, label => $label, line => $start, lang => $lang,
				text => join("\n", @body) . "\n", heading => $heading, level => $level,
				markers => [@markers], m => parse_markers(@markers) };
			@markers = ();
		}
		elsif ($l =~ /\S/ && @markers) {
			push @blocks, stray($file, $label, \@markers);
			@markers = ();
		}
		$i++;
	}
	return (\@blocks, \@heading, \@lines);
}

sub stray {
	my ($file, $label, $m) = @_;
	return { file => $file, label => $label, line => $m->[0]{line}, lang => 'stray-marker',
		text => '', heading => '', markers => $m, m => {} };
}

# Marker clauses, separated by ';' (several marker lines add up):
#   skip: REASON                      the block is not run
#   skip-command "TEXT" (REASON)      in a sh block, lines containing TEXT are not run
#   shows "TEXT"                      a sh block's output must contain TEXT
#   cluster NAME (DESCRIPTION)        on an ini block: a new stock cluster with these lines
#   database NAME (DESCRIPTION)       the session connects to NAME (created at cluster set-up)
#   errors CODE CODE ...              the SQLSTATEs the block raises, in order
#   notifications EVENT EVENT ...     the group events the session is notified of, in order
#   retry up to N s (DESCRIPTION)     run the block until its output matches, for N seconds
#   output of "QUERY" (...)           this block is the output of QUERY (see run_connect)
#   json of "QUERY"                   this JSON block equals QUERY's one value
#   varying A B ...                   columns or keys whose values are not compared
sub parse_markers {
	my %m;
	for my $mk (@_) {
		my $t = $mk->{text};
		if ($t =~ /^skip\s*:\s*(.*)$/) { $m{skip} = $1 || 'marked skip'; next; }    # the reason may hold ';'
		# clauses are separated by ';' outside parentheses
		my (@clauses, $cur, $depth);
		($cur, $depth) = ('', 0);
		for my $ch (split //, $t) {
			$depth++ if $ch eq '(';
			$depth-- if $ch eq ')' && $depth > 0;
			if ($ch eq ';' && !$depth) { push @clauses, $cur; $cur = ''; next; }
			$cur .= $ch;
		}
		push @clauses, $cur;
		for my $c (@clauses) {
			$c =~ s/^\s+|\s+$//g;
			next if $c eq '';
			if ($c =~ /^skip-command\s+"([^"]+)"/) { push @{ $m{skip_command} }, $1; }
			elsif ($c =~ /^skip\b:?\s*(.*)$/) { $m{skip} = $1 || 'marked skip'; }
			elsif ($c =~ /^shows\s+"([^"]+)"/) { push @{ $m{shows} }, $1; }
			elsif ($c =~ /^cluster\s+([\w-]+)/) { $m{cluster} = $1; }
			elsif ($c =~ /^database\s+([\w-]+)/) { $m{database} = $1; }
			elsif ($c =~ /^errors\s+([0-9A-Z ,]+)/) { $m{errors} = [ grep { length } split /[ ,]+/, $1 ]; }
			elsif ($c =~ /^notifications\s+([\w. ]+)/) { $m{notifications} = [ split ' ', $1 ]; }
			elsif ($c =~ /^retry up to\s+(\d+)\s*s\b/) { $m{retry} = $1; }
			elsif ($c =~ /^output of\s+"([^"]+)"/) { $m{output_of} = $1; }
			elsif ($c =~ /^json of\s+"([^"]+)"/) { $m{json_of} = $1; }
			elsif ($c =~ /^varying:?\s+([\w, ]+)/) { $m{varying} = { map { $_ => 1 } split /[ ,]+/, $1 }; }
			else { push @{ $m{unknown} }, $c; }
		}
	}
	return \%m;
}

###########################################################################
# SQL: split a block into statements, so that each one's output is known
###########################################################################

# Returns a list of {text, line, annotation, expect_error => [lines]}.
# A statement ends at a top-level ';' or at the end of a line holding a psql
# meta-command (\gset, \c, ...).  The rest of that line is its annotation.
# Comment lines "-- ERROR:  ...", "-- DETAIL:  ..." right after a statement
# say that it fails, with that message.
sub split_sql {
	my ($text, $first_line) = @_;
	my @lines = split /\n/, $text;
	my (@st, $buf, $bufline);
	my ($q, $dq, $dollar, $cmt) = (0, 0, undef, 0);
	$buf = '';
	my $lead = '';
	for my $n (0 .. $#lines) {
		my $l = $lines[$n];
		my $lno = $first_line + $n;
		if ($buf !~ /\S/ && !$q && !$dq && !defined $dollar && !$cmt) {
			if ($l =~ /^\s*--\s*(ERROR|DETAIL|HINT):\s*(.*?)\s*$/ && @st) {
				push @{ $st[-1]{expect} }, [ $1, $2 ];
				$st[-1]{text} .= "$l\n";
				next;
			}
			if ($l =~ /^\s*(--.*)?$/) { $lead .= "$l\n"; next; }
		}
		$bufline //= $lno;
		my $i = 0;
		my $len = length $l;
		my $ended = 0;
		while ($i < $len) {
			my $c = substr($l, $i, 1);
			my $two = substr($l, $i, 2);
			if ($cmt) { if ($two eq '*/') { $cmt = 0; $i += 2; next; } $i++; next; }
			if ($q) { $q = 0 if $c eq "'"; $i++; next; }
			if ($dq) { $dq = 0 if $c eq '"'; $i++; next; }
			if (defined $dollar) {
				if (substr($l, $i, length $dollar) eq $dollar) { $i += length $dollar; undef $dollar; next; }
				$i++; next;
			}
			if ($two eq '--') { last; }
			if ($two eq '/*') { $cmt = 1; $i += 2; next; }
			if ($c eq "'") { $q = 1; $i++; next; }
			if ($c eq '"') { $dq = 1; $i++; next; }
			if ($c eq '$' && substr($l, $i) =~ /^(\$[A-Za-z_]*\$)/) { $dollar = $1; $i += length $1; next; }
			if ($c eq '\\') {    # a meta-command: the rest of the line
				$buf .= "$l\n";
				push @st, { text => $lead . $buf, line => $bufline, annotation => '', expect => [] };
				($buf, $lead, $bufline, $ended) = ('', '', undef, 1);
				last;
			}
			if ($c eq ';') {
				my $rest = substr($l, $i + 1);
				if ($rest =~ /^\s*(--\s*(.*?))?\s*$/) {
					$buf .= "$l\n";
					push @st, { text => $lead . $buf, line => $bufline, annotation => $2 // '', expect => [] };
					($buf, $lead, $bufline, $ended) = ('', '', undef, 1);
					last;
				}
				# another statement follows on the same line
				$buf .= substr($l, 0, $i + 1) . "\n";
				push @st, { text => $lead . $buf, line => $bufline, annotation => '', expect => [] };
				($buf, $lead) = ('', '');
				$l = substr($l, $i + 1);
				$len = length $l;
				$i = 0;
				next;
			}
			$i++;
		}
		$buf .= "$l\n" unless $ended;
	}
	my $unterminated = $buf =~ /\S/ ? $buf : undef;
	return (\@st, $unterminated);
}

###########################################################################
# psql output: split at our sentinels, pick out errors and notifications
###########################################################################

my $SENT = '@@readme-test@@';

sub parse_output {
	my ($out) = @_;
	my %seg;
	my $cur = -1;
	for my $l (split /\n/, $out) {
		if ($l =~ /^\Q$SENT\E (\S+)$/) { $cur = $1; $seg{$cur} //= []; next; }
		push @{ $seg{$cur} }, $l;
	}
	my %res;
	for my $k (keys %seg) {
		my (@errors, @notes, @rest);
		for my $l (@{ $seg{$k} }) {
			if ($l =~ /^(?:psql:[^:]*:\d+: )?(ERROR|FATAL|PANIC):\s+([0-9A-Z]{5}): (.*)$/) {
				push @errors, { level => $1, code => $2, message => $3, detail => [] };
			}
			elsif ($l =~ /^(?:psql:[^:]*:\d+: )?(error|ERROR|FATAL): (.*)$/) {    # psql's own errors
				push @errors, { level => 'ERROR', code => 'psql', message => $2, detail => [] };
			}
			elsif ($l =~ /^(DETAIL|HINT):\s+(.*)$/ && @errors) { push @{ $errors[-1]{detail} }, [ $1, $2 ]; }
			elsif ($l =~ /^(LOCATION|CONTEXT|LINE \d+|STATEMENT):/ || ($l =~ /^\s+\^\s*$/ && @errors)) { }
			elsif ($l =~ /^Asynchronous notification "([^"]+)" with payload "(.*)" received from server process/) {
				push @notes, { channel => $1, payload => $2 };
			}
			else {
				# a notice as psql shows it by default: no file prefix, no SQLSTATE
				$l =~ s/^(?:psql:[^:]*:\d+: )?(NOTICE|WARNING|INFO):\s+[0-9A-Z]{5}: /$1:  /;
				push @rest, $l;
			}
		}
		$res{$k} = { errors => \@errors, notes => \@notes, text => \@rest };
	}
	return \%res;
}

sub norm_lines {
	my @l = map { my $x = $_; $x =~ s/\s+$//; $x } @_;
	shift @l while @l && $l[0] eq '';
	pop @l while @l && $l[-1] eq '';
	return @l;
}

sub diff_text {
	my ($want, $got) = @_;
	my @w = norm_lines(split /\n/, $want);
	my @g = norm_lines(@$got);
	return undef if join("\n", @w) eq join("\n", @g);
	return "expected:\n" . join('', map { "  | $_\n" } @w) . "got:\n" . join('', map { "  | $_\n" } @g);
}

###########################################################################
# Clusters
###########################################################################

# A stock Debian cluster (what pg_createcluster makes: peer on the socket,
# scram-sha-256 on 127.0.0.1 and ::1, listening on localhost), with its own
# socket directory; then the databases the README's sessions use are created
# (the application's existing databases), the ini lines are added and the
# server is restarted, as the README says.
sub start_stock_cluster {
	my ($name, $port, $ini, $dbs) = @_;
	my $dir = "$WORK/cluster-$name";
	make_path($dir);
	system('chown', 'postgres', $dir);
	my ($rc, $out) = run_cmd(as_pg("$PGBIN/initdb -D $dir/data -U postgres --auth-local peer --auth-host scram-sha-256"));
	return "initdb failed:\n$out" if $rc;
	open my $fh, '>>', "$dir/data/postgresql.conf" or return "$!";
	print $fh "port = $port\nunix_socket_directories = '$dir'\nlisten_addresses = 'localhost'\n";
	close $fh;
	($rc, $out) = run_cmd(as_pg("$PGBIN/pg_ctl -D $dir/data -l $dir/server.log -w start"));
	return "start failed:\n$out\n" . slurp("$dir/server.log") if $rc;
	push @started, "$dir/data";
	for my $db (@$dbs) {
		next if $db eq 'postgres';
		($rc, $out) = run_cmd(as_pg("psql -X -q -h $dir -p $port -d postgres -c 'CREATE DATABASE \"$db\"'"));
		return "CREATE DATABASE $db failed:\n$out" if $rc;
	}
	open $fh, '>>', "$dir/data/postgresql.conf" or return "$!";
	print $fh "# from the README\n$ini";
	close $fh;
	($rc, $out) = run_cmd(as_pg("$PGBIN/pg_ctl -D $dir/data -l $dir/server.log -w restart"));
	return "restart with the README's settings failed:\n$out\n" . slurp("$dir/server.log") if $rc;
	return { dir => $dir, port => $port, name => $name };
}

sub stop_cluster_dir {
	my ($data) = @_;
	return unless -f "$data/postmaster.pid";
	my ($rc) = run_cmd(as_pg("$PGBIN/pg_ctl -D $data -m fast -w stop"));
	if ($rc && open my $fh, '<', "$data/postmaster.pid") {
		my $pid = <$fh>;
		chomp $pid;
		kill 'INT', $pid if $pid =~ /^\d+$/;
	}
}

sub psql_file {
	my ($cl, $db, $file, $timeout) = @_;
	$timeout //= 120;
	return run_cmd(as_pg("timeout $timeout psql -X -q -h $cl->{dir} -p $cl->{port} -d $db -v ON_ERROR_STOP=0 -f $file"));
}

###########################################################################
# Running SQL blocks
###########################################################################

# Runs one session: a list of SQL blocks in one psql, each statement after a
# sentinel.  Returns per block {stmts, out} for checking.
sub run_session {
	my ($cl, $db, $blocks, $tag) = @_;
	my $in = "\\set VERBOSITY verbose\n\\set SHOW_CONTEXT never\n";
	my $n = 0;
	my @per;
	for my $b (@$blocks) {
		my ($st, $unterm) = split_sql($b->{text}, $b->{line});
		my @ids;
		for my $s (@$st) {
			$in .= "\\echo $SENT $n\n$s->{text}";
			$s->{id} = $n++;
		}
		push @per, { block => $b, stmts => $st, unterminated => $unterm };
		$in .= "\\echo $SENT $n\n";
		$n++;
	}
	my $file = "$WORK/session-$cl->{name}-$tag.sql";
	spew($file, $in);
	chmod 0644, $file;
	my ($rc, $out) = psql_file($cl, $db, $file);
	spew("$WORK/session-$cl->{name}-$tag.out", $out);
	my $segs = parse_output($out);
	my $pre = $segs->{-1};
	return (\@per, $segs, $pre, $rc);
}

# Checks one block's statements against what the README says about them.
# Returns (ok, diagnostics, output lines of the block).
sub check_block {
	my ($p, $segs) = @_;
	my $b = $p->{block};
	my @diag;
	my (@codes, @notes, @text);
	push @diag, "statement not terminated by ';': $p->{unterminated}" if $p->{unterminated};
	for my $s (@{ $p->{stmts} }) {
		my $seg = $segs->{ $s->{id} } // { errors => [], notes => [], text => [] };
		my $where = "line $s->{line}";
		push @notes, @{ $seg->{notes} };
		push @text, @{ $seg->{text} };
		push @codes, map { $_->{code} } @{ $seg->{errors} };
		my @exp = @{ $s->{expect} };
		my ($e) = @{ $seg->{errors} };
		if (@exp) {
			if (!$e) { push @diag, "$where: expected an error, the statement succeeded"; }
			else {
				my %got = (ERROR => $e->{message}, map { $_->[0] => $_->[1] } @{ $e->{detail} });
				for my $x (@exp) {
					my $g = $got{ $x->[0] } // '(none)';
					push @diag, "$where: $x->[0] is \"$g\", the README says \"$x->[1]\"" if $g ne $x->[1];
				}
			}
		}
		if ($s->{annotation} =~ /^(-?\d+(?:\.\d+)?)$/) {    # "-- 50.00": the value it returns
			my $want = $1;
			my @t = grep { /\S/ } @{ $seg->{text} };
			my $got = @t == 4 && $t[3] =~ /^\(1 row\)$/ ? $t[2] : undef;
			$got =~ s/^\s+|\s+$//g if defined $got;
			if (@{ $seg->{errors} }) { push @diag, "$where: fails, the README says it returns $want"; }
			elsif (!defined $got || $got ne $want) {
				push @diag, "$where: returns " . ($got // join(' / ', @t)) . ", the README says $want";
			}
		}
	}
	my @want_codes = @{ $b->{m}{errors} // [] };
	if ("@codes" ne "@want_codes") {
		my @msgs;
		for my $s (@{ $p->{stmts} }) {
			my $seg = $segs->{ $s->{id} } or next;
			push @msgs, map { "line $s->{line}: $_->{code}: $_->{message}" } @{ $seg->{errors} };
		}
		push @diag, "errors raised: [@codes], the README expects [@want_codes]" .
			(@msgs ? "\n  " . join("\n  ", @msgs) : '');
	}
	if (my $wn = $b->{m}{notifications}) {
		my @got = map { (eval { decode_json($_->{payload})->{event} } // '?') } @notes;
		push @diag, "notifications: [@got], the README expects [@$wn]" if "@got" ne "@$wn";
	}
	return (!@diag, join("\n", @diag), \@text);
}

###########################################################################
# A cluster's track: its blocks in order, sessions per section and database
###########################################################################

sub run_cluster_track {
	my ($name, $port, $ini_block, $items, $blocks_by_line) = @_;
	my %dbs = (postgres => 1);
	$dbs{ $_->{db} } = 1 for @$items;
	my $cl = start_stock_cluster($name, $port, $ini_block->{text}, [ sort keys %dbs ]);
	if (!ref $cl) {
		result($ini_block, "cluster $name: set up as the README says", 0, $cl);
		result($_->{block}, "sql ($_->{block}{heading})", 0, "cluster $name did not start") for @$items;
		return;
	}
	result($ini_block, "cluster $name: a stock cluster with these settings starts", 1);
	if ($name ne 'main' || 1) {
		# the stock pg_hba.conf is in force: a TCP connection to localhost needs a password
		my ($rc, $out) = run_cmd(as_pg("env -u PGPASSWORD psql -X -w -h 127.0.0.1 -p $port -d postgres -c 'SELECT 1'"));
		result($ini_block, "cluster $name: like a stock Debian server, localhost over TCP asks for a password",
			$rc != 0 && $out =~ /password/, $out);
	}
	{
		# nothing else is preloaded: what works here works on a server set up as the README says
		my ($want) = $ini_block->{text} =~ /^\s*shared_preload_libraries\s*=\s*'([^']*)'/m;
		my ($rc, $out) = run_cmd(as_pg("psql -X -At -h $cl->{dir} -p $port -d postgres -c 'SHOW shared_preload_libraries'"));
		chomp $out;
		result($ini_block, "cluster $name: shared_preload_libraries is the README's: '" . ($want // '') . "'",
			!$rc && $out eq ($want // ''), "it is '$out'");
	}
	my $i = 0;
	my $tag = 0;
	while ($i < @$items) {
		my $it = $items->[$i];
		my $b = $it->{block};
		if ($b->{lang} eq 'json') {
			check_json($cl, $it);
			$i++;
			next;
		}
		if ($b->{m}{retry}) {
			run_retry($cl, $it, $tag++);
			$i++;
			next;
		}
		# one session: consecutive sql blocks of one section and one database
		my @sess = ($it);
		while ($i + @sess < @$items) {
			my $nx = $items->[ $i + @sess ];
			last if $nx->{session} ne $it->{session} || $nx->{block}{lang} ne 'sql' || $nx->{block}{m}{retry};
			push @sess, $nx;
		}
		$i += @sess;
		my ($per, $segs) = run_session($cl, $it->{db}, [ map { $_->{block} } @sess ], $tag++);
		for my $k (0 .. $#sess) {
			my ($ok, $diag, $text) = check_block($per->[$k], $segs);
			my $b = $sess[$k]{block};
			if (my $ob = $sess[$k]{output_block}) {
				my $d = diff_text($ob->{text}, $text);
				if ($d) { $ok = 0; $diag .= "\noutput differs from the block at line $ob->{line}:\n$d"; }
			}
			result($b, "sql ($b->{heading}) runs" . ($sess[$k]{output_block} ? ' and shows the output below it' : '')
				. " [cluster $name, database $it->{db}]", $ok, $diag);
		}
	}
}

# A block that shows what a later look finds (pg_cron): run it until its
# output is the one shown, for up to N seconds.
sub run_retry {
	my ($cl, $it, $tag) = @_;
	my $b = $it->{block};
	my $deadline = time + $b->{m}{retry};
	my ($ok, $diag, $text, $tries) = (0, '', [], 0);
	while (1) {
		$tries++;
		my ($per, $segs) = run_session($cl, $it->{db}, [$b], "$tag-$tries");
		($ok, $diag, $text) = check_block($per->[0], $segs);
		if ($ok && $it->{output_block}) {
			my $d = diff_text($it->{output_block}{text}, $text);
			if ($d) { $ok = 0; $diag = "output differs from the block at line $it->{output_block}{line}:\n$d"; }
		}
		last if $ok || time > $deadline;
		sleep 2;
	}
	my $waited = sprintf '%.0f', $b->{m}{retry} - ($deadline - time);
	if (!$ok && $b->{m}{retry}) {
		# say what pg_cron did, if it is there
		my ($rc, $out) = run_cmd(as_pg("psql -X -h $cl->{dir} -p $cl->{port} -d $it->{db} -c "
			. "\"SELECT j.jobname, d.status, d.return_message, d.start_time FROM cron.job_run_details d JOIN cron.job j USING (jobid) ORDER BY d.start_time DESC LIMIT 6\""));
		$diag .= "\ncron.job_run_details:\n$out" unless $rc;
	}
	result($b, "sql ($b->{heading}) shows the output below it within $b->{m}{retry} s"
		. " (took ${waited} s, $tries tries) [cluster $cl->{name}, database $it->{db}]", $ok, $diag);
}

sub check_json {
	my ($cl, $it) = @_;
	my $b = $it->{block};
	my $q = $b->{m}{json_of};
	my $f = "$WORK/json.$b->{line}.sql";
	spew($f, "\\pset tuples_only on\n\\pset format unaligned\n$q;\n");
	chmod 0644, $f;
	my ($rc, $out) = psql_file($cl, $it->{db}, $f);
	my ($got, $want);
	eval { $want = decode_json($b->{text}); };
	return result($b, "json ($b->{heading}) is valid JSON", 0, $@) if $@;
	eval { $got = decode_json($out); };
	return result($b, "json ($b->{heading}) equals $q", 0, "query output: $out") if $@;
	my @diag;
	my $vary = $b->{m}{varying} // {};
	cmp_json($want, $got, '', $vary, \@diag);
	result($b, "json ($b->{heading}) equals $q, but for " . join(', ', sort keys %$vary)
		. " [cluster $cl->{name}, database $it->{db}]", !@diag, join("\n", @diag));
}

sub cmp_json {
	my ($w, $g, $path, $vary, $diag) = @_;
	if (ref $w eq 'HASH' && ref $g eq 'HASH') {
		my %k = map { $_ => 1 } keys %$w, keys %$g;
		for my $k (sort keys %k) {
			next if $vary->{$k};
			if (!exists $g->{$k}) { push @$diag, "$path.$k: in the README, not in the result"; next; }
			if (!exists $w->{$k}) { push @$diag, "$path.$k: in the result, not in the README"; next; }
			cmp_json($w->{$k}, $g->{$k}, "$path.$k", $vary, $diag);
		}
		return;
	}
	my $ws = JSON::PP->new->canonical->allow_nonref->encode($w);
	my $gs = JSON::PP->new->canonical->allow_nonref->encode($g);
	push @$diag, "$path: README $ws, result $gs" if $ws ne $gs;
}

###########################################################################
# Shell blocks: the set-up, connect and stop commands
###########################################################################

sub run_sh_blocks {
	my ($blocks, $output_of) = @_;
	for my $b (@$blocks) {
		if ($b->{m}{skip}) { result($b, "sh ($b->{heading})", 1, '', $b->{m}{skip}); next; }
		my $all = '';
		for my $line (split /\n/, $b->{text}) {
			(my $cmd = $line) =~ s/\s+#.*$//;
			next if $cmd !~ /\S/;
			if (my ($sk) = grep { index($cmd, $_) >= 0 } @{ $b->{m}{skip_command} // [] }) {
				my ($why) = join(' ', map { $_->{text} } @{ $b->{markers} }) =~ /skip-command\s+"\Q$sk\E"\s*\(([^)]*)\)/;
				result($b, "sh: $cmd", 1, '', $why // 'marked skip-command');
				next;
			}
			my $run = $cmd;
			my $demo_port = $PORTS[0];
			$run =~ s/-p $DEMO_PORT_IN_README\b/-p $demo_port/g;
			my $stdin;
			my $interactive = $run =~ /\bpsql\b/ && $run !~ /\s-(c|f)\b/;
			if ($interactive) {
				# "connect": the session runs the queries whose output the README shows
				my $in = "\\pset pager off\n";
				for my $o (@$output_of) { $in .= "\\echo $SENT $o->{line}\n$o->{query};\n"; }
				$in .= "\\echo $SENT end\n";
				$stdin = "$WORK/connect.in";
				spew($stdin, $in);
			}
			my $t = time;
			my $env = "JOBTRACK_DEMO_PORT=$demo_port";
			my $shim = '';
			if ($cmd =~ /scripts\/demo\.sh/ && !($ENV{README_TEST_DEMO_INSTALL} // 1)) {
				# the extension is installed already: build, but do not install it
				make_path("$WORK/shim");
				my $make = `sh -c 'command -v make'` || '/usr/bin/make';
				chomp $make;
				spew("$WORK/shim/make", "#!/bin/sh\nfor a in \"\$@\"; do [ \"\$a\" = install ] && exit 0; done\nexec $make \"\$@\"\n");
				chmod 0755, "$WORK/shim/make";
				$shim = "PATH=$WORK/shim:\$PATH ";
			}
			my ($rc, $out) = run_cmd("cd $WORK/repo && export $env && ${shim}timeout 600 $run",
				stdin => $stdin);
			$all .= $out;
			spew("$WORK/sh.$b->{line}." . ++$shn, $out);
			my @d;
			push @d, "exit status $rc\n$out" if $rc;
			if ($interactive) {
				my $segs = parse_output($out);
				for my $o (@$output_of) {
					$o->{got} = $segs->{ $o->{line} };
				}
			}
			my $name = "sh: $cmd" . ($run ne $cmd ? " (as: $run)" : '');
			$name .= sprintf ' (%.0f s)', time - $t;
			$name .= ', with the queries of the README\'s output blocks' if $interactive;
			$name .= ' [make install is a no-op]' if $shim;
			result($b, $name, !@d, join("\n", @d));
		}
		for my $s (@{ $b->{m}{shows} // [] }) {
			result($b, "sh ($b->{heading}): the output shows \"$s\"", index($all, $s) >= 0, "output:\n$all");
		}
	}
}

# An output block ("output of QUERY"): compare its table with what the
# connect session printed, but for the varying columns.
sub check_output_of {
	my ($o) = @_;
	my $b = $o->{block};
	my $name = "output of \"$o->{query}\" ($b->{heading}), but for " . join(', ', sort keys %{ $b->{m}{varying} // {} });
	my $got = $o->{got};
	return result($b, $name, 0, 'the connect command did not run the query') unless $got;
	return result($b, $name, 0, join("\n", map { "$_->{code}: $_->{message}" } @{ $got->{errors} })) if @{ $got->{errors} };
	my @g = grep { /\S/ && !/^\(\d+ rows?\)$/ } @{ $got->{text} };
	my @w = grep { /\S/ && !/^\(\d+ rows?\)$/ } split /\n/, $b->{text};
	my $cells = sub { my $s = shift; $s =~ s/^\s+|\s+$//g; [ map { s/^\s+|\s+$//gr } split /\|/, $s, -1 ] };
	my @diag;
	if (@w < 3 || @g < 3) { push @diag, "not a table:\n" . join("\n", @g); }
	else {
		my ($wh, $gh) = ($cells->($w[0]), $cells->($g[0]));
		push @diag, "columns: README [@$wh], result [@$gh]" if "@$wh" ne "@$gh";
		push @diag, "rows: README " . (@w - 2) . ", result " . (@g - 2) if @w != @g;
		if (!@diag) {
			for my $r (2 .. $#w) {
				my ($wr, $gr) = ($cells->($w[$r]), $cells->($g[$r]));
				for my $c (0 .. $#$wh) {
					next if $b->{m}{varying}{ $wh->[$c] };
					push @diag, "$wh->[$c]: README \"$wr->[$c]\", result \"" . ($gr->[$c] // '') . '"'
						if ($wr->[$c] // '') ne ($gr->[$c] // '');
				}
			}
		}
	}
	result($b, $name, !@diag, join("\n", @diag) . "\nresult:\n" . join("\n", @{ $got->{text} }));
}

###########################################################################
# Static checks: markers, references, citations
###########################################################################

sub gh_anchor {
	my $h = lc shift;
	$h =~ s/`//g;
	$h =~ s/[^\w\- ]//g;
	$h =~ s/ /-/g;
	return $h;
}

sub static_checks {
	my ($file, $label, $blocks, $headings, $lines) = @_;
	my $doc = { file => $file, line => 1 };
	my %anchors = map { gh_anchor($_->{text}) => 1 } @$headings;
	my (@bad_anchor, @missing, @cite);
	for my $n (0 .. $#$lines) {
		my $l = $lines->[$n];
		while ($l =~ /\]\(#([^)]+)\)/g) { push @bad_anchor, "line " . ($n + 1) . ": #$1" unless $anchors{$1}; }
		while ($l =~ /\]\((?!#|https?:)([^)]+)\)/g) {
			push @missing, "line " . ($n + 1) . ": $1" unless -e dirname($file) . "/$1";
		}
		# repository paths in backquotes: they must exist in the repository
		while ($l =~ /`([\w.-]+(?:\/[\w.*-]+)*\/?)`/g) {
			my $p = $1;
			my ($top) = $p =~ m{^([^/]+)};
			if ($p =~ m{/}) { next unless -e "$REPO/$top" && $top ne '.'; }
			else {
				next unless $p =~ /\.(sql|pl|md|sh|control|c|h)$/;
				next if -e "$REPO/$p";
				next if grep { -e } glob("$REPO/{src,sql,test,test/*,scripts,clients/*}/$p");
				push @missing, "line " . ($n + 1) . ": $p";
				next;
			}
			next if -e "$REPO/$p" || -e dirname($file) . "/$p";
			next if system("git -C $REPO check-ignore -q '$p' 2>/dev/null") == 0;    # generated, e.g. by make bench
			push @missing, "line " . ($n + 1) . ": $p";
		}
		# citations a reader of the repository cannot follow
		push @cite, "line " . ($n + 1) . ": $&" while $l =~ /(?<![\w&])#\d+\b|\b(?:issue|ticket|jira|PR)\s*#?\d+\b|https?:\/\/(?!www\.postgresql\.org|github\.com\/citusdata)\S+/gi;
	}
	result($doc, "$label: in-page links resolve", !@bad_anchor, join("\n", @bad_anchor));
	result($doc, "$label: files it names exist in the repository", !@missing, join("\n", @missing));
	result($doc, "$label: cites no issue numbers or outside pages", !@cite, join("\n", @cite));
	my @stray = grep { $_->{lang} eq 'stray-marker' } @$blocks;
	my @unknown = map { my $b = $_; map { "line $b->{line}: $_" } @{ $b->{m}{unknown} } } grep { $_->{m}{unknown} } @$blocks;
	result($doc, "$label: every readme-test marker precedes a code block and is understood",
		!@stray && !@unknown, join("\n", (map { "line $_->{line}: marker not followed by a code block" } @stray), @unknown));
}

###########################################################################
# Main
###########################################################################

my @docs = ([ $opt{readme}, 'README.md' ]);
# README_TEST_CLIENT_READMES (a glob) replaces clients/*/README.md, to try the harness on one
push @docs, map { [ abs_path($_), ($_ =~ s/^\Q$REPO\E\///r) ] }
	sort glob($ENV{README_TEST_CLIENT_READMES} // "$REPO/clients/*/README.md");

my @all_blocks;
for my $d (@docs) {
	my ($blocks, $headings, $lines) = parse_markdown(@$d);
	static_checks($d->[0], $d->[1], $blocks, $headings, $lines);
	push @all_blocks, { doc => $d, blocks => $blocks };
}

# the repository copy the shell commands run in (scripts/demo.sh writes ./tmp_demo)
{
	my ($rc, $out) = run_cmd("cd $REPO && tar --exclude=.git --exclude=tmp_demo --exclude=tmp_check "
		. "--exclude=node_modules --exclude=results --exclude=output_iso -cf - . | (mkdir -p $WORK/repo && tar -C $WORK/repo -xf -)");
	die "copying the repository failed: $out" if $rc;
	# the README under test replaces the copy's
	system('cp', $opt{readme}, "$WORK/repo/README.md");
}

# Walk the main README: shell blocks, output blocks, and each cluster's items.
my (@sh, @output_of, %tracks, @track_order, %ini);
{
	my $main = $all_blocks[0]{blocks};
	my $cluster = 'main';
	my $heading = '';
	my %db = ();
	my $prev_sql;
	for my $k (0 .. $#$main) {
		my $b = $main->[$k];
		if ($b->{heading} ne $heading) { $heading = $b->{heading}; $cluster = 'main'; $prev_sql = undef; }
		next if $b->{lang} eq 'stray-marker';
		if ($b->{m}{skip}) { result($b, "$b->{lang} ($b->{heading})", 1, '', $b->{m}{skip}); $prev_sql = undef; next; }
		if ($b->{lang} eq 'sh' || $b->{lang} eq 'bash') { push @sh, $b; next; }
		if ($b->{lang} eq 'ini') {
			$cluster = $b->{m}{cluster} // 'main';
			$ini{$cluster} = $b;
			push @track_order, $cluster unless $tracks{$cluster};
			$tracks{$cluster} //= [];
			next;
		}
		if ($b->{m}{output_of}) { push @output_of, { block => $b, query => $b->{m}{output_of}, line => $b->{line} }; next; }
		if ($b->{lang} eq 'sql' || ($b->{lang} eq 'json' && $b->{m}{json_of})) {
			$db{$cluster} = $b->{m}{database} if $b->{m}{database};
			my $it = { block => $b, db => $db{$cluster} // 'postgres', session => "$heading\0" . ($db{$cluster} // '') };
			push @{ $tracks{$cluster} }, $it;
			$prev_sql = $b->{lang} eq 'sql' ? $it : undef;
			next;
		}
		if (($b->{lang} eq 'text' || $b->{lang} eq '') && $prev_sql && !$prev_sql->{output_block}) {
			$prev_sql->{output_block} = $b;    # the output of the sql block above
			$prev_sql = undef;
			next;
		}
		$prev_sql = undef;
		note("not checked: $b->{lang} block at README.md:$b->{line} ($b->{heading})");
	}
	# the clients' READMEs: their SQL blocks, in the main cluster's database, one session each
	for my $d (@all_blocks[ 1 .. $#all_blocks ]) {
		my $prev;
		my $dbn = $db{main} // 'postgres';
		for my $b (@{ $d->{blocks} }) {
			if ($b->{lang} eq 'sql' && $b->{m}{skip}) { result($b, "sql ($b->{heading})", 1, '', $b->{m}{skip}); $prev = undef; next; }
			if ($b->{lang} eq 'sql') {
				$dbn = $b->{m}{database} if $b->{m}{database};
				push @{ $tracks{main} }, $prev = { block => $b, db => $dbn, session => "$d->{doc}[1]\0$b->{heading}\0$dbn" };
				next;
			}
			if (($b->{lang} eq 'text' || $b->{lang} eq '') && $prev && !$prev->{output_block}) { $prev->{output_block} = $b; }
			$prev = undef;
		}
	}
}

my $exit_cleanup = sub {
	stop_cluster_dir($_) for reverse @started;
	stop_cluster_dir("$WORK/repo/tmp_demo/data");
};
$SIG{INT} = $SIG{TERM} = sub { $exit_cleanup->(); exit 1; };

note("work directory $WORK");
note("shell commands (demo cluster on port $PORTS[0])");
run_sh_blocks(\@sh, \@output_of);
check_output_of($_) for @output_of;
stop_cluster_dir("$WORK/repo/tmp_demo/data");    # if the README's stop command did not

# each cluster in its own process, in parallel; results come back as JSON
my %kids;
my $pi = 0;
for my $c (@track_order) {
	my $port = $PORTS[ $pi++ % @PORTS ];
	note("cluster $c (port $port): " . scalar(@{ $tracks{$c} }) . " blocks");
	my $pid = fork // die "fork: $!";
	if (!$pid) {
		srand();
		@results = ();
		@started = ();
		my $ok = eval { run_cluster_track($c, $port, $ini{$c}, $tracks{$c}); 1 };
		result($ini{$c}, "cluster $c: the harness", 0, $@) unless $ok;
		stop_cluster_dir($_) for @started;
		spew("$WORK/results.$c.json", encode_json(\@results));
		POSIX::_exit(0);
	}
	$kids{$pid} = $c;
	push @started, "$WORK/cluster-$c/data";
}
while (%kids) {
	my $pid = waitpid(-1, 0);
	last if $pid < 0;
	my $c = delete $kids{$pid} or next;
	my $r = eval { decode_json(slurp("$WORK/results.$c.json")) };
	if ($r) { push @results, @$r; }
	else { result($ini{$c}, "cluster $c: results", 0, "the track died (exit $?)"); }
}
$exit_cleanup->();

# TAP, in the order of the documents
my %docorder = map { $docs[$_][0] => $_ } 0 .. $#docs;
my @sorted = sort { ($docorder{ $a->{file} } // 99) <=> ($docorder{ $b->{file} } // 99) || $a->{line} <=> $b->{line} } @results;
print "1.." . scalar(@sorted) . "\n";
my ($pass, $fail, $n) = (0, 0, 0);
for my $r (@sorted) {
	$n++;
	(my $f = $r->{file}) =~ s/^\Q$REPO\E\///;
	$f = 'README.md' if $r->{file} eq $opt{readme};
	my $line = ($r->{ok} ? 'ok' : 'not ok') . " $n - $f:$r->{line}: $r->{name}";
	$line .= " # SKIP $r->{skip}" if $r->{skip};
	print "$line\n";
	if (!$r->{ok} && $r->{diag} ne '') { print map { "#   $_\n" } split /\n/, $r->{diag}; }
	$r->{ok} ? $pass++ : $fail++;
}
printf "# %.0f s\n", time - $T0;
if ($fail == 0 && !$opt{keep}) { remove_tree($WORK); }
else { print "# logs in $WORK\n"; }
print "$pass passed, $fail failed\n";
exit($fail ? 1 : 0);
