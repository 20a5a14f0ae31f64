# mutations.sh: what every mutate.sh shares, the extension's
# (scripts/mutate.sh) and each client's (clients/*/mutate.sh).  Sourced.
#
# A mutate.sh breaks its code on purpose, one mutation at a time, and runs
# the test that guards each: a mutation whose test stays green survived, and
# the run fails.  It sets
#
#   MUTATIONS   one mutation a line: name @@ file @@ perl substitution (must
#               change the file) @@ guarding test
#   WORK        a temporary directory of its own
#
# defines these steps, then calls mutations_main "$@":
#
#   mutation_setup        once before the guards run (a copy, servers)
#   mutation_apply        puts the mutation just parsed ($name, $file,
#                         $subst) where its guard will see it; fails if it
#                         does not apply
#   mutation_restore      undoes it (may do nothing)
#   run_guard GUARD LOG   runs one guarding test, its output in LOG; 0 if it
#                         passed
#   guard_exists GUARD    optional: whether the guarding test is there, for
#                         --check
#
# and takes these arguments:
#
#   mutate.sh             every mutation
#   mutate.sh WORD...     only those whose name contains a word
#   mutate.sh --check     only whether each still applies to the code (no
#                         root, no servers; scripts/test.sh runs it)
#   mutate.sh --guards    only whether each guarding test passes unmutated
#
# Before it mutates anything a run checks that every guard it will use
# passes on the code as it is: a guard red anyway would count every mutation
# it guards as killed, and prove nothing.

# parse_mutation LINE sets name, file, subst and guard from one line of $MUTATIONS.
parse_mutation() {
	local line=$1
	name=${line%% @@ *}; line=${line#* @@ }
	file=${line%% @@ *}; line=${line#* @@ }
	subst=${line% @@ *}; guard=${line##* @@ }
}

# apply_mutation NAME FILE SUBST TARGET applies a mutation of FILE to TARGET, a copy of it.
apply_mutation() {
	perl -0pi -e "$3 or die \"mutation $1 does not apply to $2\\n\"" "$4"
}

# selected: whether the mutation just parsed was asked for (every one when no word was given)
selected() {
	local word
	[ ${#MUTATION_WORDS[@]} -eq 0 ] && return 0
	for word in "${MUTATION_WORDS[@]}"; do [[ $name == *"$word"* ]] && return 0; done
	return 1
}

# each_mutation STEP runs STEP for every selected mutation, parsed.
each_mutation() {
	local line
	while read -r line; do
		[ -n "$line" ] || continue
		parse_mutation "$line"
		selected || continue
		"$1"
	done <<<"$MUTATIONS"
}

# check_applies: every mutation applied to a copy of its file, and its guard
# there; prints "N apply, N do not apply" and fails if any does not
check_applies() {
	applied=0
	stale=0
	MUTATION_WORDS=()
	each_mutation check_one
	echo "$applied apply, $stale do not apply"
	[ "$stale" = 0 ]
}

check_one() {
	cp "$file" "$WORK/check" 2>/dev/null || : >"$WORK/check"
	if declare -F guard_exists >/dev/null && ! guard_exists "$guard"; then
		echo "mutation $name: its guarding test $guard is not there" >&2
		stale=$((stale + 1))
	elif apply_mutation "$name" "$file" "$subst" "$WORK/check"; then
		applied=$((applied + 1))
	else
		stale=$((stale + 1))
	fi
}

# guard_log GUARD names the log of a guard's run on the code as it is
guard_log() {
	echo "$WORK/unmutated.$(basename "$1").log"
}

# check_guards: each guard of the selected mutations passes on the code as it is
check_guards() {
	local guards="" g red=0
	collect_guard() { [[ " $guards " == *" $guard "* ]] || guards="$guards $guard"; }
	each_mutation collect_guard
	for g in $guards; do
		if ! run_guard "$g" "$(guard_log "$g")"; then
			echo "guard $g fails on the code as it is:"
			tail -30 "$(guard_log "$g")"
			red=1
		fi
	done
	[ "$red" = 0 ]
}

# try_mutation: the mutation just parsed, applied, its guard run, undone;
# prints the result line and counts it
try_mutation() {
	local result
	if ! mutation_apply; then
		result="NOT APPLIED"
		survived=$((survived + 1))
	elif run_guard "$guard" "$WORK/$name.log"; then
		result=SURVIVED
		survived=$((survived + 1))
	else
		result=killed
		killed=$((killed + 1))
	fi
	mutation_restore
	printf '%-34s %-32s %s\n' "$name" "$guard" "$result"
}

mutations_main() {
	local arg check_only=0 guards_only=0
	MUTATION_WORDS=()
	# the options may stand anywhere among the words
	for arg in "$@"; do
		case $arg in
			--check) check_only=1 ;;
			--guards) guards_only=1 ;;
			-*) echo "mutate.sh: unknown option $arg (--check, --guards)" >&2; exit 2 ;;
			*) MUTATION_WORDS+=("$arg") ;;
		esac
	done
	if [ "$check_only" = 1 ]; then
		check_applies
		exit
	fi
	[ "$(id -u)" = 0 ] || { echo "mutate.sh: run as root (or with --check)" >&2; exit 1; }
	mutation_setup || { echo "mutate.sh: could not set up what the guards need" >&2; exit 1; }
	if ! check_guards; then
		echo "no mutation was run: a guard must pass before it can prove anything"
		exit 1
	fi
	if [ "$guards_only" = 1 ]; then
		echo "every guard passes on the code as it is"
		exit 0
	fi
	killed=0
	survived=0
	printf '%-34s %-32s %s\n' mutation "guarding test" result
	each_mutation try_mutation
	echo "$killed mutations killed, $survived survived"
	[ "$survived" = 0 ]
}
