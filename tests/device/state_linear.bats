# The linear state file (issue 20): --tpmstate backend-uri=file://PATH on a
# regular file and on a loop block device, NV state across restarts; interop
# with Debian's swtpm 0.7.1 both ways (TPM 2 plain and --key, TPM 1.2); the
# lock; bad files refused at start-up with one line and left alone; a fault
# cut between two steps of an update (tests/tools/syscall_inject) leaves
# the old state or the new one; vtpm-setup --tpmstate file://PATH. The
# SIGKILL loop on a linear file and a loop device is in crash.bats.

load lib

VTPM_SETUP=${VTPMD%/*}/vtpm-setup
FIXTURES=$BATS_TEST_DIRNAME/../unit/data/swtpm-0.7.1-linear
NV_IDX=0x1500070
PERSISTENT=0x81000003
COUNTER=0x1500071
NR_PWRITE64=18                  # x86_64
NR_FDATASYNC=75
# TPM 1.2: TPM_CreateEndorsementKeyPair (RSA 2048) and TPM_ReadPubek, both
# with a zero nonce, so both answer the same bytes for the same EK.
NONCE=0000000000000000000000000000000000000000
CMD12_CREATE_EK=00c10000003600000078${NONCE}00000001000300010000000c000008000000000200000000
CMD12_READ_PUBEK=00c10000001e0000007c${NONCE}

# the test's state: a linear file in its own directory
linear_state() {
	IMG=${1:-$BATS_TEST_TMPDIR/tpm.img}
	VTPM_STATE="backend-uri=file://$IMG"
}

magic_of() { # FILE -> its first 8 bytes as text
	head -c 8 "$1"
}

check_objects() { # VALUE
	nv_expect "$1" "NV index content"
	assert_eq "$(tpm2 readpublic -c "$PERSISTENT" | sed -n 's/^name: //p')" "$KEY_NAME" \
		"persistent key name"
}

counter() { # nvcounter ARGS... against the test's device
	timeout 120 "$VTPM_TOOLS/nvcounter" "$VTPM_DEV" "$@"
}

@test "linear: a new regular file holds the state across restarts; --print-states as swtpm's" {
	local out=$BATS_TEST_TMPDIR/states
	linear_state
	vtpm_start_ready
	[[ -f "$IMG" ]] || fail "no state file"
	run tpm2 nvdefine "$NV_IDX" -C o -s 8 -a "ownerread|ownerwrite"
	assert_status 0
	nv_write "LINEAR.1"
	run ptm_ioctl -v
	assert_status 0
	assert_eq "$(magic_of "$IMG")" "nilmptws" "the magic (swtpmlin, little-endian)"
	# while the daemon holds it, and afterwards: what swtpm 0.7.1 prints
	"$VTPMD" --print-states --tpmstate "$VTPM_STATE" >"$out"
	assert_match "$(cat "$out")" '^\{ "type": "swtpm", "states": \[ \{"name": "permall", "size": [0-9]+\}, \{"name": "volatilestate", "size": [0-9]+\} \] \}$'
	vtpm_stop
	"$VTPMD" --print-states --tpmstate "$VTPM_STATE" >"$out"
	timeout 30 swtpm socket --print-states --tpm2 --tpmstate "$VTPM_STATE" >"$out.swtpm"
	cmp "$out.swtpm" "$out"
	# nothing there: nothing listed, nothing made
	"$VTPMD" --print-states --tpmstate "backend-uri=file://$BATS_TEST_TMPDIR/none" >"$out"
	printf '{ "type": "swtpm", "states": [] }' | cmp - "$out"
	[[ ! -e "$BATS_TEST_TMPDIR/none" ]] || fail "--print-states made a file"

	vtpm_start_ready
	nv_expect "LINEAR.1" "NV index after a restart"
	nv_write "LINEAR.2"
	vtpm_stop
	vtpm_start_ready
	nv_expect "LINEAR.2" "NV index after the second restart"
	vtpm_stop
	# the file ends where its last blob does: free space is given back
	(($(stat -c %s "$IMG") < 64 * 1024)) || fail "the file grew to $(stat -c %s "$IMG") bytes"
}

@test "linear: a loop block device holds the state across restarts; swtpm reads it; a small one is refused" {
	loop_device "$BATS_TEST_TMPDIR/disk" 4M
	linear_state "$LOOP_DEV"
	vtpm_start_ready
	define_nv_and_key "ONADISK!"
	vtpm_stop
	assert_eq "$(magic_of "$LOOP_DEV")" "nilmptws" "the magic on the device"
	vtpm_start_ready
	check_objects "ONADISK!"
	nv_write "AGAIN..."
	vtpm_stop
	# Debian's swtpm serves the same device
	swtpm_run "$VTPM_STATE"
	check_objects "AGAIN..."
	swtpm_end

	# too small for a TPM: one line, nothing written
	loop_device "$BATS_TEST_TMPDIR/small" 512K
	vtpmd_run -n "$VTPM_NAME" --tpmstate "backend-uri=file://$LOOP_DEV" \
		--flags not-need-init,startup-clear
	assert_one_line_error
	assert_match "$stderr" "block device $LOOP_DEV is too small: 524288 bytes, a TPM state needs 1024 KiB"
	[[ $(tr -d '\0' <"$BATS_TEST_TMPDIR/small" | wc -c) -eq 0 ]] ||
		fail "something was written to the small device"
}

@test "linear: interop with swtpm 0.7.1, TPM 2, both ways" {
	linear_state
	# vtpmd's file in swtpm
	vtpm_start_ready
	define_nv_and_key "VTPMD..."
	vtpm_stop
	swtpm_run "$VTPM_STATE"
	check_objects "VTPMD..."
	# swtpm changes it (a larger NV write moves its blobs its own way)
	nv_write "SWTPM..."
	run tpm2 nvdefine 0x1500072 -C o -s 1024 -a "ownerread|ownerwrite"
	assert_status 0
	swtpm_end
	vtpm_start_ready
	check_objects "SWTPM..."
	run tpm2 nvreadpublic 0x1500072
	assert_status 0
	vtpm_stop

	# a file swtpm made from nothing, in vtpmd
	linear_state "$BATS_TEST_TMPDIR/swtpm.img"
	swtpm_run "$VTPM_STATE"
	define_nv_and_key "FROMSWTP"
	swtpm_end
	vtpm_start_ready
	check_objects "FROMSWTP"
}

@test "linear: interop with swtpm 0.7.1, TPM 2 encrypted (--key, aes-256-cbc), both ways" {
	local key=$BATS_TEST_TMPDIR/state.key
	head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$key"
	linear_state
	vtpm_start_ready --key "file=$key,mode=aes-256-cbc"
	define_nv_and_key "SECRET.1"
	vtpm_stop
	! grep -q "SECRET.1" "$IMG" || fail "the NV content is in the file in clear"
	swtpm_run "$VTPM_STATE" --key "file=$key,mode=aes-256-cbc"
	check_objects "SECRET.1"
	nv_write "SECRET.2"
	swtpm_end
	vtpm_start_ready --key "file=$key,mode=aes-256-cbc"
	check_objects "SECRET.2"
	vtpm_stop
	# without the key it does not start
	vtpmd_run -n "$VTPM_NAME" --tpmstate "$VTPM_STATE" --flags not-need-init,startup-clear
	assert_failed

	linear_state "$BATS_TEST_TMPDIR/swtpm.img"
	swtpm_run "$VTPM_STATE" --key "file=$key,mode=aes-256-cbc"
	define_nv_and_key "SWSECRET"
	swtpm_end
	vtpm_start_ready --key "file=$key,mode=aes-256-cbc"
	check_objects "SWSECRET"
}

# swtpm12_run IMG: Debian's swtpm as a TPM 1.2 (its default) on a linear file.
swtpm12_run() {
	SW_PORT=$((21000 + BATS_SUITE_TEST_NUMBER * 10))
	timeout 60 swtpm socket --tpmstate "backend-uri=file://$1" \
		--server "type=tcp,port=$SW_PORT" --ctrl "type=tcp,port=$((SW_PORT + 1))" \
		--flags not-need-init,startup-clear --pid "file=$BATS_TEST_TMPDIR/swtpm.pid" \
		--log "file=$BATS_TEST_TMPDIR/swtpm.log" -d 3>&- ||
		fail "swtpm did not start: $(tail -3 "$BATS_TEST_TMPDIR/swtpm.log")"
	SW_PID=$(cat "$BATS_TEST_TMPDIR/swtpm.pid")
	VTPM_PIDS+=("$SW_PID")
}

@test "linear: interop with swtpm 0.7.1, TPM 1.2: the EK one makes the other reads" {
	local ek
	linear_state
	vtpm_start_ready --tpm12
	run tpmraw "x:$CMD12_CREATE_EK"
	assert_match "$output" '^resp 00c40000013a00000000'
	ek=$output
	vtpm_stop
	swtpm12_run "$IMG"
	run timeout 120 "$VTPM_TOOLS/tpmraw" "tcp:$SW_PORT" "x:$CMD12_READ_PUBEK"
	assert_eq "$output" "$ek" "swtpm's TPM_ReadPubek on vtpmd's file"
	swtpm_end

	linear_state "$BATS_TEST_TMPDIR/swtpm.img"
	swtpm12_run "$IMG"
	run timeout 120 "$VTPM_TOOLS/tpmraw" "tcp:$SW_PORT" "x:$CMD12_CREATE_EK"
	assert_match "$output" '^resp 00c40000013a00000000'
	ek=$output
	swtpm_end
	vtpm_start_ready --tpm12
	run tpmraw "x:$CMD12_READ_PUBEK"
	assert_eq "$output" "$ek" "vtpmd's TPM_ReadPubek on swtpm's file"
}

@test "linear: the file is locked: a second vtpmd and vtpm-setup are refused" {
	linear_state
	vtpm_start_ready
	vtpmd_run -n "${VTPM_NAME}b" --tpmstate "$VTPM_STATE" --flags not-need-init,startup-clear
	assert_one_line_error
	assert_match "$stderr" "state file $IMG is in use by another process"
	[[ ! -e "/dev/${VTPM_NAME}b" ]] || fail "the second node was created"
	run --separate-stderr timeout 300 "$VTPM_SETUP" --tpmstate "file://$IMG" --createek --overwrite
	assert_failed
	assert_match "$stderr" "is in use by another process"
	# the first one is unharmed, and once it is gone the file is free
	run tpm2 getrandom 8 --hex
	assert_status 0
	vtpm_stop
	vtpm_start_ready
}

# bad_file WHAT EXPECTED: vtpmd on IMG refuses with one line matching
# EXPECTED, creates no node, and leaves IMG as it was.
bad_file() {
	local sum=
	[[ ! -f "$IMG" ]] || sum=$(sha256sum <"$IMG")
	vtpmd_run -n "$VTPM_NAME" --tpmstate "backend-uri=file://$IMG" \
		--flags not-need-init,startup-clear
	assert_one_line_error
	assert_match "$stderr" "$2" "$1"
	[[ ! -e "$VTPM_DEV" ]] || fail "$1: $VTPM_DEV was created"
	[[ -z "$sum" || "$(sha256sum <"$IMG")" == "$sum" ]] || fail "$1: the file changed"
}

# place_fixture: swtpm's file as IMG, PATCH (offset:hex ...) applied.
place_fixture() {
	local p
	cp "$FIXTURES/tpm2.linear" "$IMG"
	for p in "$@"; do
		printf "$(sed 's/\(..\)/\\x\1/g' <<<"${p#*:}")" |
			dd of="$IMG" bs=1 seek="${p%%:*}" conv=notrunc status=none
	done
}

@test "linear: bad files are refused at start-up with one line and left as they were" {
	IMG=$BATS_TEST_TMPDIR/bad.img
	place_fixture
	truncate -s 100 "$IMG"
	bad_file truncated "state file $IMG: truncated: 100 bytes, the header alone takes 192"
	place_fixture 0:5757575757575757
	bad_file "wrong magic" "not swtpm's linear state format"
	place_fixture 8:02
	bad_file "wrong version" "linear format version 2 is not supported"
	place_fixture 24:00020000
	bad_file overlapping "permall and volatilestate overlap"
	place_fixture
	truncate -s 10000 "$IMG"
	bad_file "past the end" "volatilestate ends at 18624, past the end \\(10000 bytes\\)"
	rm "$IMG"
	mkdir "$IMG"
	bad_file directory "is a directory"
	rmdir "$IMG"
	mkfifo "$IMG"
	bad_file FIFO "is a FIFO, not a regular file or a block device"
	rm "$IMG"
	ln -s /dev/null "$IMG"
	bad_file "link to a character device" "is a symbolic link"
	# and --print-states says the same in one line
	rm "$IMG"
	place_fixture 8:02
	run --separate-stderr "$VTPMD" --print-states --tpmstate "backend-uri=file://$IMG"
	assert_failed
	assert_match "$stderr" "linear format version 2 is not supported"
}

# cut_at NR:N MODE...: start the test's daemon on its counter (value V),
# cut its next state update at the Nth call NR (syscall_inject --at ... MODE),
# send one NV_Increment; CUT_OUT is what the injector said, START the
# counter before.
cut_at() {
	local at=$1 t=$BATS_TEST_TMPDIR inj
	shift
	vtpm_start_ready
	run counter read "$COUNTER"
	[[ "$output" =~ ^value\ ([0-9]+)$ ]] || fail "counter: $output"
	START=${BASH_REMATCH[1]}
	timeout 300 "$VTPM_TOOLS/syscall_inject" --at "$at" "$@" "$VTPM_PID" >"$t/inj.out" 2>&1 &
	inj=$!
	wait_until 60 grep -q '^attached' "$t/inj.out" || fail "injector: $(cat "$t/inj.out")"
	run counter increment "$COUNTER" 1
	INCREMENT_OUT=$output
	wait "$inj" || fail "injector failed: $(cat "$t/inj.out")"
	CUT_OUT=$(sed -n 2p "$t/inj.out")
}

# value_after_restart: the counter as a new daemon on the file reads it.
value_after_restart() {
	vtpm_start_ready
	run counter read "$COUNTER"
	[[ "$output" =~ ^value\ ([0-9]+)$ ]] || fail "counter after the cut: $output"
	VALUE=${BASH_REMATCH[1]}
	vtpm_stop
}

@test "linear: a fault between the steps of an update leaves the old state or the new one" {
	local cut at want
	linear_state
	vtpm_start_ready
	run counter define "$COUNTER"
	assert_eq "$output" "value 1"
	vtpm_stop
	# killed just before each call of an update: new blob, its fdatasync,
	# the header, its fdatasync, zeroing the old copy. Until the header is
	# written the old value stays; after, the new one (the kernel has the
	# page even when the process died before its fdatasync).
	for cut in "$NR_PWRITE64:1 old" "$NR_FDATASYNC:1 old" "$NR_PWRITE64:2 old" \
		   "$NR_FDATASYNC:2 new" "$NR_PWRITE64:3 new"; do
		at=${cut% *}
		cut_at "$at" --kill
		assert_eq "$CUT_OUT" "killed before call ${at#*:}" "the injector at $at"
		wait_until 30 pid_gone "$VTPM_PID" || fail "vtpmd survived"
		_vtpm_forget_pid "$VTPM_PID"
		wait_until 30 test ! -e "$VTPM_DEV"
		value_after_restart
		want=$START
		[[ "${cut#* }" == old ]] || want=$((START + 1))
		assert_eq "$VALUE" "$want" "counter after a kill at ${cut% *}"
	done
	# a call that fails: the increment fails with a TPM error, the daemon
	# answers on, and the file holds the old value (blob write) or one of
	# the two (the header's fdatasync)
	for cut in "$NR_PWRITE64:1 old" "$NR_FDATASYNC:2 either"; do
		: >"$VTPM_LOG"
		cut_at "${cut% *}" --fail 5
		assert_match "$CUT_OUT" "^failed call [0-9]+ with errno 5$"
		assert_match "$INCREMENT_OUT" "rc 0x" "the increment's answer"
		run ptm_ioctl -c
		assert_eq "$output" "ptm capability is 0x16fff" "the daemon after the failure"
		grep -q "Input/output error" "$VTPM_LOG" || fail "no log line about the failure"
		# no orderly stop: its Shutdown would write libtpms' state again
		kill -KILL "$VTPM_PID"
		wait_until 30 pid_gone "$VTPM_PID" || fail "vtpmd survived SIGKILL"
		_vtpm_forget_pid "$VTPM_PID"
		wait_until 30 test ! -e "$VTPM_DEV"
		value_after_restart
		if [[ "${cut#* }" == old ]]; then
			assert_eq "$VALUE" "$START" "counter after a failed ${cut% *}"
		else
			[[ "$VALUE" == "$START" || "$VALUE" == $((START + 1)) ]] ||
				fail "counter $VALUE after a failed ${cut% *}, started at $START"
		fi
	done
	# swtpm still reads the file
	timeout 30 swtpm socket --print-states --tpm2 --tpmstate "$VTPM_STATE" >/dev/null
}

@test "linear: vtpm-setup --tpmstate file://PATH makes a TPM with an identity that vtpmd and swtpm serve" {
	local ca=$BATS_TEST_TMPDIR/ca t=$BATS_TEST_TMPDIR sum
	linear_state
	run --separate-stderr timeout 600 "$VTPM_SETUP" --tpm2 --tpmstate "file://$IMG" \
		--createek --create-ek-cert --lock-nvram --ca-dir "$ca" --vmid linear
	assert_status 0
	assert_eq "$(magic_of "$IMG")" "nilmptws" "the magic"
	vtpm_start_ready
	run tpm2 getekcertificate -o "$t/ek.der"
	assert_status 0
	run openssl verify -CAfile "$ca/rootca-cert.pem" -untrusted "$ca/issuercert.pem" "$t/ek.der"
	assert_eq "$output" "$t/ek.der: OK"
	vtpm_stop
	swtpm_run "$VTPM_STATE"
	run tpm2 getekcertificate -o "$t/ek-sw.der"
	assert_status 0
	cmp "$t/ek.der" "$t/ek-sw.der"
	swtpm_end
	# an existing state is kept or refused, not touched
	sum=$(sha256sum <"$IMG")
	run --separate-stderr timeout 300 "$VTPM_SETUP" --tpmstate "file://$IMG" --createek --not-overwrite
	assert_status 0
	run --separate-stderr timeout 300 "$VTPM_SETUP" --tpmstate "file://$IMG" --createek
	assert_failed
	assert_match "$stderr" "already holds a TPM state"
	assert_eq "$(sha256sum <"$IMG")" "$sum" "the file after two refusals"
}
