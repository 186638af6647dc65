# Storage options: the lock between daemons, --tpmstate
# backup, --migration incoming with LOCK_STORAGE and the release on an
# outgoing save state (with --migration release-lock-outgoing only, as swtpm
# documents it), and --print-states.

load lib

NV_IDX=0x1500060

ptmctl_b() {
	timeout 60 "$VTPM_TOOLS/ptmctl" "/dev/${VTPM_NAME}b" "$@"
}

@test "storage: a second vtpmd on the same directory refuses with a clear error" {
	vtpm_start_ready
	local other=${VTPM_NAME}b
	vtpmd_run -n "$other" --tpmstate "dir=$VTPM_STATE" --flags not-need-init,startup-clear
	assert_one_line_error
	assert_match "$stderr" "state directory $VTPM_STATE is in use by another process"
	[[ ! -e "/dev/$other" ]] || fail "/dev/$other was created"
	# the first one is unharmed
	run tpm2 getrandom 8 --hex
	assert_status 0
}

@test "storage: vtpmd and Debian's swtpm exclude each other on one directory" {
	local sock="$BATS_TEST_TMPDIR/swtpm.sock" swlog="$BATS_TEST_TMPDIR/swtpm.log" swpid
	# vtpmd (gone to the background after starting its TPM) holds the lock:
	# swtpm cannot start its TPM there
	vtpm_start_ready
	run timeout 60 swtpm socket --tpm2 --tpmstate "dir=$VTPM_STATE" \
		--server "type=unixio,path=$sock" --ctrl "type=unixio,path=$sock.ctrl" \
		--flags not-need-init --log "file=$swlog" 3>&-
	assert_failed
	grep -q "lock" "$swlog" || fail "swtpm failed, but not on the lock: $(cat "$swlog")"
	vtpm_stop

	# swtpm holds it: vtpmd refuses with its one-line error
	timeout 60 swtpm socket --tpm2 --tpmstate "dir=$VTPM_STATE" \
		--server "type=unixio,path=$sock" --ctrl "type=unixio,path=$sock.ctrl" \
		--flags not-need-init --pid "file=$BATS_TEST_TMPDIR/swtpm.pid" -d 3>&-
	swpid=$(cat "$BATS_TEST_TMPDIR/swtpm.pid")
	VTPM_PIDS+=("$swpid")       # teardown stops it if the test fails
	wait_until 10 test -S "$sock.ctrl"
	vtpmd_run -n "$VTPM_NAME" --tpmstate "dir=$VTPM_STATE" --flags not-need-init,startup-clear
	assert_one_line_error
	assert_match "$stderr" "state directory $VTPM_STATE is in use by another process"
	[[ ! -e "$VTPM_DEV" ]] || fail "$VTPM_DEV was created"
	run timeout 30 swtpm_ioctl -s --unix "$sock.ctrl"
	assert_status 0
	wait_until 30 pid_gone "$swpid"

	# and once swtpm is gone, vtpmd starts there
	vtpm_start_ready
	run tpm2 getrandom 8 --hex
	assert_status 0
}

@test "storage: --print-states prints swtpm's JSON, takes no lock, creates nothing" {
	local d=$BATS_TEST_TMPDIR out=$BATS_TEST_TMPDIR/states
	# nothing there (and the directory is not created)
	"$VTPMD" --print-states --tpmstate "dir=$d/none" >"$out"
	printf '{ "type": "swtpm", "states": [] }' | cmp - "$out"
	[[ ! -e "$d/none" ]] || fail "--print-states created the directory"

	vtpm_start_ready
	run ptm_ioctl -v
	assert_status 0
	# while the daemon holds the lock
	"$VTPMD" --print-states --tpmstate "dir=$VTPM_STATE" >"$out"
	printf '{ "type": "swtpm", "states": [ {"name": "permall", "size": %d}, {"name": "volatilestate", "size": %d} ] }' \
		"$(stat -c %s "$VTPM_STATE/tpm2-00.permall")" \
		"$(stat -c %s "$VTPM_STATE/tpm2-00.volatilestate")" | cmp - "$out"
	vtpm_stop
	# byte for byte what swtpm 0.7.1 prints for the same directory
	"$VTPMD" --print-states --tpmstate "dir=$VTPM_STATE" >"$out"
	timeout 30 swtpm socket --print-states --tpm2 --tpmstate "dir=$VTPM_STATE" >"$out.swtpm"
	cmp "$out.swtpm" "$out"
	# a TPM 1.2 directory is listed under its own names
	mkdir "$d/v12"
	printf 'x' >"$d/v12/tpm-00.permall"
	"$VTPMD" --print-states --tpmstate "dir=$d/v12" >"$out"
	printf '{ "type": "swtpm", "states": [ {"name": "permall", "size": 1} ] }' | cmp - "$out"
	# no directory given: one line, exit 1
	run env -u TPM_PATH "$VTPMD" --print-states
	assert_failed
}

@test "storage: backup keeps the previous permanent state and falls back to it" {
	vtpm_start_as "$VTPM_NAME" "$VTPM_STATE,backup" "$VTPM_PIDFILE" \
		--flags not-need-init,startup-clear
	run tpm2 nvdefine "$NV_IDX" -C o -s 8 -a "ownerread|ownerwrite"
	assert_status 0
	nv_write "FIRST..."
	[[ -f "$VTPM_STATE/tpm2-00.permall.bak" ]] || fail "no backup after two writes"
	assert_eq "$(od -An -tx1 -N4 "$VTPM_STATE/tpm2-00.permall.bak" | tr -d ' ')" "0201000a" \
		"the backup is a state file"
	nv_write "SECOND.."
	vtpm_stop
	# a main file that cannot be read: the daemon runs on the backup
	cp "$VTPM_STATE/tpm2-00.permall.bak" "$BATS_TEST_TMPDIR/bak.before"
	truncate -s 100 "$VTPM_STATE/tpm2-00.permall"
	vtpm_start_as "$VTPM_NAME" "$VTPM_STATE,backup" "$VTPM_PIDFILE" \
		--flags not-need-init,startup-clear
	grep -q "tpm2-00.permall is unusable: using tpm2-00.permall.bak" "$VTPM_LOG" ||
		fail "no log line about the fallback"
	nv_expect "SECOND.." "NV index from the backup"
	# the first write (Startup's) replaced the bad main file and kept the
	# good backup; later ones rotate again
	cmp "$BATS_TEST_TMPDIR/bak.before" "$VTPM_STATE/tpm2-00.permall.bak"
	[[ $(stat -c %s "$VTPM_STATE/tpm2-00.permall") -gt 100 ]] || fail "main file not replaced"
	nv_write "THIRD..."
	vtpm_stop

	# a main file only libtpms can tell is bad: INIT retries on the backup
	{ printf '\x02\x01\x00\x0a\x00\x00\x00\x00\x00\x1e\x00\x01\x00\x00\x00\x0e'
	  printf 'not a TPM 2 !!'; } >"$VTPM_STATE/tpm2-00.permall"
	vtpm_start_as "$VTPM_NAME" "$VTPM_STATE,backup" "$VTPM_PIDFILE"
	run ptm_ioctl -i
	assert_status 0
	grep -q "retrying the TPM start with the backup" "$VTPM_LOG" || fail "no retry logged"
	run tpmraw "x:$CMD_STARTUP_CLEAR"
	nv_expect "THIRD..." "NV index after the retry"
	vtpm_stop

	# without backup the same damage stops the start
	truncate -s 100 "$VTPM_STATE/tpm2-00.permall"
	vtpmd_run -n "$VTPM_NAME" --tpmstate "dir=$VTPM_STATE" --flags not-need-init,startup-clear
	assert_failed
}

@test "storage: --migration incoming defers the lock; the source's save state releases it (release-lock-outgoing)" {
	local d=$BATS_TEST_TMPDIR b=${VTPM_NAME}b bdev=/dev/${VTPM_NAME}b
	# A: the source, running on the shared directory
	vtpm_start_ready --migration release-lock-outgoing
	run tpm2 nvdefine "$NV_IDX" -C o -s 8 -a "ownerread|ownerwrite"
	assert_status 0
	nv_write "SHARED.."

	# B: the destination, on the same directory while A holds it
	vtpm_start_as "$b" "$VTPM_STATE" "$d/b.pid" --migration incoming
	run ptmctl_b lock-storage 0
	assert_eq "$output" "result 0x9" "LOCK_STORAGE while A holds the lock"

	# A hands over: permanent, volatile, then the save state -- which
	# releases A's lock (also for a TPM 2, where it is empty)
	run ptm_ioctl --save permanent "$d/perm"
	assert_status 0
	run ptm_ioctl --save volatile "$d/vol"
	assert_status 0
	run ptm_ioctl --save savestate "$d/save"
	assert_status 0

	# B takes the state (SET_STATEBLOB takes the lock) and runs it
	run timeout 60 swtpm_ioctl --stop "$bdev"
	run timeout 60 swtpm_ioctl --load permanent "$d/perm" "$bdev"
	assert_status 0
	run timeout 60 swtpm_ioctl --load volatile "$d/vol" "$bdev"
	assert_status 0
	run timeout 60 swtpm_ioctl -i "$bdev"
	assert_status 0
	VTPM_DEV=$bdev nv_expect "SHARED.." "NV index on B"

	# A cannot get the state back while B holds it: a command waits for
	# the lock (3 s), then fails; the client's poll says readable and its
	# read gets EIO
	run tpmraw "x:$CMD_GETRANDOM8"
	assert_eq "$output" "resp read EIO" "A's command while B holds the lock"
	grep -q "locked by another process" "$VTPM_LOG" || fail "A logged nothing"
	# tpm2-tss gives up on its probe after 1 s (O_NONBLOCK, as on the kernel's
	# /dev/tpm0, whose write then returns before the command runs too)
	run tpm2 getrandom 8 --hex
	assert_failed
	# nor can a third daemon start on it
	vtpmd_run -n "${VTPM_NAME}c" --tpmstate "dir=$VTPM_STATE"
	assert_one_line_error

	# B goes away: LOCK_STORAGE gives A its state back
	vtpm_stop "$(cat "$d/b.pid")" "$b"
	run ptmctl lock-storage 0
	assert_eq "$output" "result 0x0"
	run tpm2 getrandom 8 --hex
	assert_status 0
}

@test "storage: without release-lock-outgoing the save state leaving keeps the source's lock" {
	local d=$BATS_TEST_TMPDIR b=${VTPM_NAME}b
	vtpm_start_ready
	vtpm_start_as "$b" "$VTPM_STATE" "$d/b.pid" --migration incoming
	run ptm_ioctl --save savestate "$d/save"
	assert_status 0
	# A still holds the directory: B cannot take it, A keeps serving
	run ptmctl_b lock-storage 0
	assert_eq "$output" "result 0x9" "LOCK_STORAGE on B after A's save state"
	run tpm2 getrandom 8 --hex
	assert_status 0
}
