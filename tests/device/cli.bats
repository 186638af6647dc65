# Command line, start-up and exit of vtpmd: option errors, what a failed
# start leaves behind (nothing), --log, --pid, -f and the exit status.

load lib

version_of_makefile() {
	sed -n 's/^VERSION *:= *//p' "$BATS_TEST_DIRNAME/../../Makefile"
}

@test "cli: -v prints the version and exits 0" {
	vtpmd_run -v
	assert_status 0
	local v
	v=$(version_of_makefile)
	[[ -n "$v" ]]
	[[ "$output" == *"$v"* ]] || fail "-v output '$output' lacks version $v"
	[[ ! -e "$VTPM_DEV" ]]
}

@test "cli: -h prints the usage and exits 0" {
	vtpmd_run -h
	assert_status 0
	local opt
	for opt in --name --tpmstate --tpm2 --tpm12 --flags not-need-init \
		disable-auto-shutdown --locality --log --pid --foreground; do
		[[ "$output" == *"$opt"* ]] || fail "-h does not mention $opt"
	done
}

@test "cli: missing -n fails with one line and creates nothing" {
	vtpmd_run --tpmstate "dir=$VTPM_STATE" --flags not-need-init
	assert_one_line_error
	[[ "${stderr,,}" == *name* ]] || fail "error line does not mention the name: $stderr"
	[[ ! -e "$VTPM_STATE" ]] || fail "state dir was created"
}

@test "cli: an unknown option fails with one line naming it" {
	vtpmd_run -n "$VTPM_NAME" --tpmstate "dir=$VTPM_STATE" --frobnicate
	assert_one_line_error
	[[ "$stderr" == *frobnicate* ]] || fail "error line does not name the option: $stderr"
	[[ ! -e "$VTPM_DEV" ]]
	[[ ! -e "$VTPM_STATE" ]] || fail "state dir was created"
}

@test "cli: a bad --flags value fails with one line naming it" {
	vtpmd_run -n "$VTPM_NAME" --tpmstate "dir=$VTPM_STATE" --flags not-need-init,no-such-flag
	assert_one_line_error
	[[ "$stderr" == *no-such-flag* ]] || fail "error line does not name the value: $stderr"
	[[ ! -e "$VTPM_DEV" ]]
	[[ ! -e "$VTPM_STATE" ]] || fail "state dir was created"
}

@test "cli: bad values for --tpmstate, --locality, --log level, -M fail" {
	local args
	for args in "--tpmstate dir=$VTPM_STATE,mode=0999" \
		"--tpmstate dir=$VTPM_STATE --locality reject-locality-5" \
		"--tpmstate dir=$VTPM_STATE --log file=$BATS_TEST_TMPDIR/l,level=abc" \
		"--tpmstate dir=$VTPM_STATE -M notanumber -m 0" \
		"--tpmstate dir=$VTPM_STATE,bogus=1"; do
		# shellcheck disable=SC2086
		vtpmd_run -n "$VTPM_NAME" $args
		assert_one_line_error
		[[ ! -e "$VTPM_DEV" ]] || fail "$VTPM_DEV created by: $args"
		[[ ! -e "$VTPM_STATE" ]] || fail "state dir created by: $args"
	done
}

@test "cli: a name already used by a running vtpmd fails; the first keeps working" {
	vtpm_start_ready
	local first=$VTPM_PID other="$BATS_TEST_TMPDIR/other"
	vtpmd_run -n "$VTPM_NAME" --tpmstate "dir=$other" --pid "file=$other.pid" \
		--flags not-need-init,startup-clear
	assert_one_line_error
	[[ "$stderr" == *"$VTPM_NAME"* ]] || fail "error line does not name the device: $stderr"
	[[ ! -e "$other" ]] || fail "the second daemon created its state dir"
	[[ ! -e "$other.pid" ]] || fail "the second daemon wrote a pid file"
	pid_alive "$first"
	run tpm2 getrandom 8 --hex
	assert_status 0
	assert_match "$output" '^[0-9a-f]{16}$'
}

@test "cli: -n /dev/NAME names the node /dev/NAME, as swtpm takes it; other paths are refused" {
	vtpm_start_ready -n "/dev/$VTPM_NAME"
	run tpm2 getrandom --hex 8
	assert_status 0
	vtpm_stop
	local bad
	for bad in "/dev/" "/dev/sub/$VTPM_NAME" "/tmp/$VTPM_NAME" "/dev/.."; do
		vtpmd_run -n "$bad" --tpmstate "dir=$VTPM_STATE"
		assert_one_line_error
		[[ "$stderr" == *"--name:"* ]] || fail "-n $bad: $stderr"
	done
	[[ ! -e /dev/sub ]] || fail "/dev/sub appeared"
}

@test "cli: an existing /dev/NAME that is not ours fails and is left alone" {
	echo keep >"$VTPM_DEV"
	vtpmd_run -n "$VTPM_NAME" --tpmstate "dir=$VTPM_STATE" --flags not-need-init
	local got
	got=$(cat "$VTPM_DEV")
	rm -f "$VTPM_DEV"
	assert_one_line_error
	assert_eq "$got" keep "content of the existing file"
	[[ ! -e "$VTPM_STATE" ]] || fail "state dir was created"
}

@test "cli: a newline or escape in an argument still gives one error line" {
	local nl=$'\n' esc=$'\e'
	vtpmd_run -n "$VTPM_NAME" --tpmstate "dir=$VTPM_STATE" --flags "not-need-init,x${nl}vtpmd: forged"
	assert_one_line_error
	[[ "$stderr" == *"x?vtpmd: forged"* ]] || fail "control byte not shown as '?': $stderr"
	# A state directory under a file: the error comes from start-up, not the parser.
	echo data >"$BATS_TEST_TMPDIR/file"
	vtpmd_run -n "$VTPM_NAME" --tpmstate "dir=$BATS_TEST_TMPDIR/file/a${nl}b${esc}[2J" --flags not-need-init
	assert_one_line_error
	[[ "$stderr" == *"a?b?[2J"* ]] || fail "control bytes not shown as '?': $stderr"
	[[ ! -e "$VTPM_DEV" ]]
}

@test "cli: a regular file as state dir fails with one line, nothing created" {
	echo data >"$BATS_TEST_TMPDIR/file"
	vtpmd_run -n "$VTPM_NAME" --tpmstate "dir=$BATS_TEST_TMPDIR/file" --flags not-need-init
	assert_one_line_error
	[[ ! -e "$VTPM_DEV" ]]
	assert_eq "$(cat "$BATS_TEST_TMPDIR/file")" data

	vtpmd_run -n "$VTPM_NAME" --tpmstate "dir=$BATS_TEST_TMPDIR/file/sub" --flags not-need-init
	assert_one_line_error
	[[ ! -e "$VTPM_DEV" ]]
}

@test "cli: an unwritable state dir (read-only mount) fails, nothing created" {
	local ro="$BATS_TEST_TMPDIR/ro"
	mkdir "$ro"
	mount -t tmpfs -o ro,size=1m tmpfs "$ro" || skip "cannot mount a tmpfs here"
	VTPM_MOUNTS+=("$ro")
	vtpmd_run -n "$VTPM_NAME" --tpmstate "dir=$ro" --flags not-need-init,startup-clear
	assert_one_line_error
	[[ ! -e "$VTPM_DEV" ]]
	vtpmd_run -n "$VTPM_NAME" --tpmstate "dir=$ro/sub" --flags not-need-init,startup-clear
	assert_one_line_error
	[[ ! -e "$VTPM_DEV" ]]
}

@test "cli: a state dir held by another running vtpmd fails, nothing created" {
	vtpm_start_ready
	local before
	before=$(dir_list "$VTPM_STATE")
	vtpmd_run -n "${VTPM_NAME}b" --tpmstate "dir=$VTPM_STATE" --flags not-need-init,startup-clear
	assert_one_line_error
	[[ ! -e "/dev/${VTPM_NAME}b" ]] || fail "/dev/${VTPM_NAME}b was created"
	assert_eq "$(dir_list "$VTPM_STATE")" "$before" "state dir listing"
	run tpm2 getrandom 8 --hex
	assert_status 0
}

# vtpmd_run without /dev/cuse: in a mount namespace whose /dev is empty.
vtpmd_run_without_cuse() {
	local out="$BATS_TEST_TMPDIR/run.out" err="$BATS_TEST_TMPDIR/run.err"
	status=0
	timeout 60 unshare --mount --propagation private sh -c \
		'mount -t tmpfs -o mode=0755 tmpfs /dev && exec "$@"' vtpmd "$VTPMD" "$@" \
		>"$out" 2>"$err" 3>&- </dev/null || status=$?
	stderr=$(<"$err")
	mapfile -t stderr_lines <"$err"
}

@test "cli: without /dev/cuse, nothing is created: no state directory, no lock, no TPM" {
	local state=$BATS_TEST_TMPDIR/new/state
	vtpmd_run_without_cuse -n "$VTPM_NAME" --tpmstate "dir=$state" \
		--flags not-need-init,startup-clear
	assert_one_line_error
	[[ "$stderr" == *"/dev/cuse is not available"* ]] || fail "error line: $stderr"
	[[ ! -e "$BATS_TEST_TMPDIR/new" ]] || fail "the state directory was created"

	# an existing, empty state directory stays empty: no .lock, no permall
	mkdir -p "$state"
	vtpmd_run_without_cuse -n "$VTPM_NAME" --tpmstate "dir=$state" \
		--flags not-need-init,startup-clear --log "file=$BATS_TEST_TMPDIR/log,level=3"
	assert_one_line_error
	[[ -z "$(ls -A "$state")" ]] || fail "files appeared in the state directory: $(ls -A "$state")"
}

@test "cli: background mode returns only when the node works (vtpmd && tpm2_getrandom)" {
	run bash -c '"$1" -n "$2" --tpmstate "dir=$3" --pid "file=$4" --flags not-need-init,startup-clear 3>&- </dev/null >/dev/null 2>&1 &&
		tpm2_getrandom -T "device:/dev/$2" 8 --hex' _ "$VTPMD" "$VTPM_NAME" "$VTPM_STATE" "$VTPM_PIDFILE"
	[[ -s "$VTPM_PIDFILE" ]] && VTPM_PIDS+=("$(cat "$VTPM_PIDFILE")")
	assert_status 0
	assert_match "$output" '^[0-9a-f]{16}$'
	vtpm_stop "$(cat "$VTPM_PIDFILE")"
}

@test "cli: background mode releases the caller's stdout and stderr" {
	# A caller reading vtpmd's output through a pipe must see EOF once the
	# parent exits, not when the daemon ends.
	run timeout 60 bash -c '"$1" -n "$2" --tpmstate "dir=$3" --pid "file=$4" --flags not-need-init 3>&- </dev/null 2>&1 | cat' \
		_ "$VTPMD" "$VTPM_NAME" "$VTPM_STATE" "$VTPM_PIDFILE"
	[[ -s "$VTPM_PIDFILE" ]] && VTPM_PIDS+=("$(cat "$VTPM_PIDFILE")")
	assert_status 0
	[[ -c "$VTPM_DEV" ]]
	vtpm_stop "$(cat "$VTPM_PIDFILE")"
}

@test "cli: pid file holds the daemon's pid and is removed after SIGTERM" {
	vtpm_start_ready
	local exe
	exe=$(readlink "/proc/$VTPM_PID/exe")
	assert_eq "$exe" "$(readlink -f "$VTPMD")" "executable of the pid in the pid file"
	assert_match "$(cat "$VTPM_PIDFILE")" '^[0-9]+$' "pid file content"
	vtpm_stop
	[[ ! -e "$VTPM_PIDFILE" ]] || fail "pid file still exists after SIGTERM"
	[[ ! -e "$VTPM_DEV" ]]
}

@test "cli: --pid fd=N writes the pid to an inherited descriptor" {
	local pf="$BATS_TEST_TMPDIR/pid-by-fd"
	status=0
	timeout 60 "$VTPMD" -n "$VTPM_NAME" --tpmstate "dir=$VTPM_STATE" --pid fd=7 \
		--flags not-need-init 7>"$pf" 3>&- </dev/null >/dev/null 2>&1 || status=$?
	[[ -s "$pf" ]] && VTPM_PIDS+=("$(tr -dc 0-9 <"$pf")")
	assert_status 0
	local pid
	pid=$(tr -dc 0-9 <"$pf")
	[[ -n "$pid" ]] || fail "nothing written to fd 7"
	pid_alive "$pid"
	assert_eq "$(readlink "/proc/$pid/exe")" "$(readlink -f "$VTPMD")"
	vtpm_stop "$pid"
}

@test "cli: -f stays in the foreground, SIGTERM ends it with status 0" {
	vtpm_start_fg --flags not-need-init,startup-clear
	wait_until 10 test -s "$VTPM_PIDFILE"
	assert_eq "$(cat "$VTPM_PIDFILE")" "$VTPM_PID" "pid file of a -f daemon"
	run tpm2 getrandom 8 --hex
	assert_status 0
	assert_match "$output" '^[0-9a-f]{16}$'
	kill -TERM "$VTPM_PID"
	local rc=0
	vtpm_wait_exit "$VTPM_PID" 30
	wait "$VTPM_PID" || rc=$?
	assert_eq "$rc" 0 "exit status after SIGTERM"
	[[ ! -e "$VTPM_DEV" ]] || fail "node still exists"
	[[ ! -e "$VTPM_PIDFILE" ]] || fail "pid file still exists"
}

@test "cli: SIGTERM removes the node; the name can be used again at once" {
	vtpm_start_ready
	vtpm_stop
	[[ ! -e "$VTPM_DEV" ]]
	vtpm_start_ready
	run tpm2 getrandom 4 --hex
	assert_status 0
	assert_match "$output" '^[0-9a-f]{8}$'
}

@test "cli: --log file= gets lines, with the prefix" {
	local log="$BATS_TEST_TMPDIR/own.log"
	vtpm_start_ready --log "file=$log,level=2,prefix=VTPMTEST:"
	vtpm_stop
	[[ -s "$log" ]] || fail "log file is empty"
	local n bad
	n=$(wc -l <"$log")
	bad=$(grep -vc '^VTPMTEST:' "$log" || true)
	[[ "$n" -ge 1 ]]
	assert_eq "$bad" 0 "log lines without the prefix"
}

# swtpm's layout from level 5 on: libtpms' debug lines at level N - 4,
# after the prefix and four spaces, deeper ones indented further. libtpms'
# TPM 1.2 is the one that writes debug lines.
@test "cli: --log level=6: libtpms' lines four spaces and more under the prefix, as swtpm's" {
	local log="$BATS_TEST_TMPDIR/debug.log"
	vtpm_start --tpm12 --flags not-need-init,startup-clear --log "file=$log,level=6,prefix=P:"
	vtpm_stop
	grep -q '^P:[^ ]' "$log" || fail "no line of vtpmd's own"
	grep -q '^P:    [^ ]' "$log" || fail "no libtpms line four spaces under the prefix"
	grep -q '^P:     [^ ]' "$log" || fail "no libtpms line of its level 2 (five spaces)"
	! grep -q '^P:      ' "$log" || fail "libtpms level 3 lines at log level 6: $(grep -m1 '^P:      ' "$log")"
	! grep -qv '^P:' "$log" || fail "a line without the prefix: $(grep -m1 -v '^P:' "$log")"
}

@test "cli: --log ...,truncate empties an existing log file" {
	local log="$BATS_TEST_TMPDIR/own.log"
	echo "OLD LINE FROM BEFORE" >"$log"
	vtpm_start_ready --log "file=$log,level=2,truncate"
	vtpm_stop
	! grep -q "OLD LINE FROM BEFORE" "$log" || fail "truncate kept the old content"
	[[ -s "$log" ]] || fail "log file is empty"

	echo "OLD LINE FROM BEFORE" >"$log"
	vtpm_start_ready --log "file=$log,level=2"
	vtpm_stop
	grep -q "OLD LINE FROM BEFORE" "$log" || fail "without truncate the old content is gone"
}

@test "cli: TPM_PATH is the state dir when --tpmstate is absent" {
	local dir="$BATS_TEST_TMPDIR/from-env"
	TPM_PATH=$dir vtpmd_run -n "$VTPM_NAME" --pid "file=$VTPM_PIDFILE" --flags not-need-init,startup-clear
	[[ -s "$VTPM_PIDFILE" ]] && VTPM_PIDS+=("$(cat "$VTPM_PIDFILE")")
	assert_status 0
	[[ -f "$dir/tpm2-00.permall" ]] || fail "no tpm2-00.permall in \$TPM_PATH: $(ls -A "$dir" 2>&1)"
	vtpm_stop "$(cat "$VTPM_PIDFILE")"
}

@test "cli: -M/-m give the node that major and minor" {
	local maj used
	# 240-254 are reserved for local use; take one no driver has.
	used=" $(awk '/^Character/ {c = 1; next} /^$/ {c = 0} c {printf "%s ", $1}' /proc/devices)"
	for maj in 254 253 252 251 250 249 248 247 246 245 244 243 242 241 240 NONE; do
		[[ "$used" == *" $maj "* ]] || break
	done
	[[ "$maj" != NONE ]] || skip "no free character major in 240-254"
	vtpm_start_ready -M "$maj" -m 7
	assert_eq "$(stat -c '%t:%T' "$VTPM_DEV")" "$(printf '%x:%x' "$maj" 7)" "major:minor (hex)"
	run tpm2 getrandom 4 --hex
	assert_status 0
}
