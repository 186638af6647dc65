# Crash safety: vtpmd killed with SIGKILL at random moments
# while a client streams NV_Increment at an NV counter. After every kill a
# new vtpmd starts on the same directory, and the counter reads as the last
# value a client saw acknowledged, or one more (the increment in flight may
# have reached the disk) -- never older, never unreadable. And a full disk
# fails the writing command with a TPM error while the previous state stays
# loadable. The same loop runs on a linear state file and a loop device.

load lib

COUNTER=0x1500050
NV_IDX=0x1500051

# Start the test's daemon on its state, running and Startup(CLEAR)ed; fast:
# no checks beyond what the parent's exit status promises.
crash_start() {
	"$VTPMD" -n "$VTPM_NAME" --tpmstate "dir=$VTPM_STATE" --pid "file=$VTPM_PIDFILE" \
		--log "file=$VTPM_LOG,level=1" --flags not-need-init,startup-clear \
		</dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/start.err" 3>&- ||
		fail "vtpmd did not start: $(cat "$BATS_TEST_TMPDIR/start.err")"
	VTPM_PID=$(cat "$VTPM_PIDFILE")
	VTPM_PIDS+=("$VTPM_PID")
}

# SIGKILL, then wait until the process and its node are gone.
crash_kill() {
	kill -KILL "$VTPM_PID" 2>/dev/null || true
	wait_until 30 pid_gone "$VTPM_PID" || fail "vtpmd $VTPM_PID survived SIGKILL"
	_vtpm_forget_pid "$VTPM_PID"
	wait_until 30 test ! -e "$VTPM_DEV" || fail "$VTPM_DEV stayed after SIGKILL"
}

@test "crash: ${VTPM_CRASH_KILLS:-200} SIGKILLs during NV_Increment; the counter never goes back, the state always loads" {
	local kills=${VTPM_CRASH_KILLS:-200}
	# tests/tools/crashloop does the loop (in C: a shell loop spends its
	# time starting processes under the emulated CPU); it fails on the
	# first restart that does not start, cannot read the counter, or reads
	# a value other than the last acknowledged one or one more.
	run timeout 540 "$VTPM_TOOLS/crashloop" "$VTPMD" "$VTPM_NAME" "$VTPM_STATE" \
		"$VTPM_LOG" "$COUNTER" "$kills" 50
	assert_status 0
	assert_match "$output" "^kills $kills mid [0-9]+ counter [0-9]+ seconds [0-9]+ seed [0-9]+\$"
	echo "# crashloop: $output" >&3
	# the kills landed in the stream: most after at least one acknowledged
	# increment, so a write was in flight at many of them
	local mid
	mid=$(sed -n 's/.* mid \([0-9]*\) .*/\1/p' <<<"$output")
	((mid > kills / 2)) || fail "only $mid of $kills kills came after an acknowledged increment"
	if ls "$VTPM_STATE" | grep -q '^TMP'; then
		fail "temp file left: $(ls "$VTPM_STATE")"
	fi
}

# The same loop on swtpm's linear format (issue 20): a regular file, and a
# loop block device, where no rename exists and the header switch is what
# makes an update atomic.
crash_loop_linear() { # STATE-URI MAX-DELAY-MS
	local kills=${VTPM_CRASH_KILLS:-200} mid
	run timeout 540 "$VTPM_TOOLS/crashloop" "$VTPMD" "$VTPM_NAME" "$1" \
		"$VTPM_LOG" "$COUNTER" "$kills" "$2"
	assert_status 0
	assert_match "$output" "^kills $kills mid [0-9]+ counter [0-9]+ seconds [0-9]+ seed [0-9]+\$"
	echo "# crashloop ($1): $output" >&3
	mid=$(sed -n 's/.* mid \([0-9]*\) .*/\1/p' <<<"$output")
	((mid > kills / 2)) || fail "only $mid of $kills kills came after an acknowledged increment"
	# and swtpm reads what is left
	timeout 30 swtpm socket --print-states --tpm2 --tpmstate "backend-uri=$1" >/dev/null ||
		fail "swtpm cannot read the state after the kills"
}

@test "crash: ${VTPM_CRASH_KILLS:-200} SIGKILLs on a linear state file; the counter never goes back" {
	crash_loop_linear "file://$BATS_TEST_TMPDIR/tpm.img" 50
}

@test "crash: ${VTPM_CRASH_KILLS:-200} SIGKILLs on a loop block device; the counter never goes back" {
	loop_device "$BATS_TEST_TMPDIR/disk" 4M
	# an increment costs more through the loop device: a longer window
	# keeps most kills in the middle of the stream
	crash_loop_linear "file://$LOOP_DEV" 150
}

@test "crash: a full disk fails the writing command with a TPM error; the previous state still loads" {
	mkdir -p "$VTPM_STATE"
	mount -t tmpfs -o size=64k,mode=0750 vtpmtest "$VTPM_STATE" || skip "cannot mount a tmpfs"
	VTPM_MOUNTS+=("$VTPM_STATE")
	crash_start
	run tpm2 nvdefine "$NV_IDX" -C o -s 32 -a "ownerread|ownerwrite"
	assert_status 0
	head -c 32 /dev/zero | tr '\0' A >"$BATS_TEST_TMPDIR/a"
	head -c 32 /dev/zero | tr '\0' B >"$BATS_TEST_TMPDIR/b"
	run tpm2 nvwrite "$NV_IDX" -C o -i "$BATS_TEST_TMPDIR/a"
	assert_status 0
	# fill the file system
	dd if=/dev/zero of="$VTPM_STATE/filler" bs=1k 2>/dev/null || true
	run tpm2 nvwrite "$NV_IDX" -C o -i "$BATS_TEST_TMPDIR/b"
	assert_failed
	[[ "$output" == *"tpm:"* || "$output" == *"0x"* ]] || fail "not a TPM error: $output"
	grep -q "No space left on device" "$VTPM_LOG" || fail "no log line about the full disk"
	if ls "$VTPM_STATE" | grep -q '^TMP'; then
		fail "temp file left on a full disk: $(ls "$VTPM_STATE")"
	fi
	crash_kill
	# the previous state: A, not B, and loadable
	rm "$VTPM_STATE/filler"
	crash_start
	run tpm2 nvread "$NV_IDX" -C o -s 32
	assert_status 0
	assert_eq "$output" "$(cat "$BATS_TEST_TMPDIR/a")" "NV content after the failed write"
	crash_kill
}
