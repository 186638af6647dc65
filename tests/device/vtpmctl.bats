# vtpmctl: every swtpm_ioctl command run side by side with
# Debian's swtpm_ioctl 0.7.1 on the same device, output and exit status
# compared byte for byte; state blobs moved between devices in both tools'
# files and both transfer variants; "vtpmctl bios" against swtpm_bios.

load lib

VTPMCTL="$(dirname "$VTPMD")/vtpmctl"

NV_IDX=0x1500031

hex_to_bin() { printf "$(sed 's/../\\x&/g')"; }

vtpmctl() {
	timeout 120 "$VTPMCTL" "$@"
}

# same ARGS...: swtpm_ioctl ARGS DEV, then vtpmctl ARGS DEV; stdout, stderr
# and exit status must be identical. Leaves vtpmctl's in status/output.
same() {
	local d="$BATS_TEST_TMPDIR" s_rc=0 v_rc=0
	timeout 60 swtpm_ioctl "$@" "$VTPM_DEV" >"$d/s.out" 2>"$d/s.err" </dev/null || s_rc=$?
	timeout 60 "$VTPMCTL" "$@" "$VTPM_DEV" >"$d/v.out" 2>"$d/v.err" </dev/null || v_rc=$?
	status=$v_rc
	output=$(cat "$d/v.out")
	assert_eq "$v_rc" "$s_rc" "exit status of '$*'" || return 1
	cmp -s "$d/s.out" "$d/v.out" ||
		fail "stdout of '$*': swtpm_ioctl '$(cat "$d/s.out")', vtpmctl '$(cat "$d/v.out")'" || return 1
	cmp -s "$d/s.err" "$d/v.err" ||
		fail "stderr of '$*': swtpm_ioctl '$(cat "$d/s.err")', vtpmctl '$(cat "$d/v.err")'"
}

nv_define_roundtrp() {
	run tpm2 nvdefine "$NV_IDX" -C o -s 8 -a "ownerread|ownerwrite"
	assert_status 0
	printf 'ROUNDTRP' >"$BATS_TEST_TMPDIR/nvdata"
	run tpm2 nvwrite "$NV_IDX" -C o -i "$BATS_TEST_TMPDIR/nvdata"
	assert_status 0
}

# The NV index is readable without any Startup: permanent and volatile state
# both arrived.
nv_check_roundtrp() {
	run tpm2 nvread "$NV_IDX" -C o -s 8
	assert_status 0
	assert_eq "$output" "ROUNDTRP" "${1:-NV index} after load + INIT"
}

@test "vtpmctl: every query and control command prints what swtpm_ioctl prints" {
	vtpm_start_ready
	local args
	for args in "-c" "-e" "-g" "-b 0" "--info 1" "--info 0x3" "-l 4" "-h abc" "-l 0" \
		"-e" "-r 2" "-r 3" "-v" "-C" "-b 3000" "--save savestate $BATS_TEST_TMPDIR/ss"; do
		# shellcheck disable=SC2086
		same $args
	done
	run cat "$BATS_TEST_TMPDIR/ss"
	assert_eq "$output" "" "TPM 2 savestate: empty file"

	# Stopped: what needs a running TPM gets TPM_BAD_ORDINAL, the rest works.
	same --stop
	assert_status 0
	for args in "-v" "-h abc" "--save permanent $BATS_TEST_TMPDIR/p" "-b 3000" "-l 2"; do
		# shellcheck disable=SC2086
		same $args
	done
	same -e
	assert_status 1
	assert_eq "$output" "" "stdout of a refused -e"
	[[ "$(cat "$BATS_TEST_TMPDIR/v.err")" == "TPM result from PTM_GET_TPMESTABLISHED: 0xa" ]] ||
		fail "refused -e: $(cat "$BATS_TEST_TMPDIR/v.err")"
	same -i
	assert_status 0
	# The locality outlives INIT: Startup is refused at locality 2.
	run vtpmctl bios "$VTPM_DEV"
	assert_status 128
	assert_match "$output" '^TPM2_Startup returned error code 0x00000907 '
	same -l 0
	run vtpmctl bios "$VTPM_DEV"
	assert_status 0
	run tpm2 getrandom 8 --hex
	assert_status 0
	assert_match "$output" '^[0-9a-f]{16}$'
}

@test "vtpmctl -h, -e, -r: hash sequence into PCR 17, established bit set and reset" {
	vtpm_start_ready
	run vtpmctl -e "$VTPM_DEV"
	assert_eq "$output" "tpmEstablished is 0"
	run vtpmctl -l 4 "$VTPM_DEV"
	assert_status 0
	head -c 5000 /dev/urandom >"$BATS_TEST_TMPDIR/data"
	run bash -c '"$1" -h - --tpm-device "$2" <"$3"' _ "$VTPMCTL" "$VTPM_DEV" "$BATS_TEST_TMPDIR/data"
	assert_status 0
	assert_eq "$output" ""
	run vtpmctl -l 0 "$VTPM_DEV"
	local expect
	expect=$( { head -c 32 /dev/zero; sha256sum <"$BATS_TEST_TMPDIR/data" | cut -c1-64 | hex_to_bin; } |
		sha256sum | cut -c1-64)
	assert_eq "$(pcr_value sha256:17)" "0x${expect^^}" "sha256 PCR 17 after -h - of 5000 bytes"
	run vtpmctl -e "$VTPM_DEV"
	assert_eq "$output" "tpmEstablished is 1"
	run vtpmctl -r 4 "$VTPM_DEV"
	assert_status 0
	run vtpmctl -e "$VTPM_DEV"
	assert_eq "$output" "tpmEstablished is 0"
}

@test "vtpmctl -s: SHUTDOWN ends the daemon and removes the node" {
	vtpm_start_ready
	run vtpmctl -s "$VTPM_DEV"
	assert_status 0
	assert_eq "$output" ""
	vtpm_wait_exit "$VTPM_PID" 30
	wait_until 5 test ! -e "$VTPM_DEV" || fail "$VTPM_DEV still exists"
	run vtpmctl -c "$VTPM_DEV"
	assert_status 1
	assert_eq "$output" "Unable to open device '$VTPM_DEV': No such file or directory."
}

@test "vtpmctl --lock-storage N: the retries are honoured" {
	vtpm_start_ready
	local b=${VTPM_NAME}b bdev=/dev/${VTPM_NAME}b bpid=$BATS_TEST_TMPDIR/b.pid
	vtpmd_run -n "$b" --tpmstate "dir=$VTPM_STATE" --pid "file=$bpid" --migration incoming \
		--log "file=$BATS_TEST_TMPDIR/b.log,level=2"
	[[ -s "$bpid" ]] && VTPM_PIDS+=("$(cat "$bpid")")
	assert_status 0
	# A holds the directory's lock; B deferred taking it.
	run timeout 60 "$VTPMCTL" --lock-storage 0 "$bdev"
	assert_status 1
	assert_eq "$output" "TPM result from PTM_LOCK_STORAGE: 0x9"
	# With retries B waits for A to let go (A is told to exit 3 s later;
	# 0 retries would fail at once).
	(sleep 3; kill -TERM "$VTPM_PID") &
	run timeout 60 "$VTPMCTL" --lock-storage 3000 "$bdev"
	assert_status 0
	assert_eq "$output" ""
	vtpm_wait_exit "$VTPM_PID" 30
	run timeout 60 "$VTPMCTL" --lock-storage 0 "$bdev"
	assert_status 0
}

@test "vtpmctl --save/--load: state moves between devices, in both tools' files and both transfer variants" {
	vtpm_start_ready
	nv_define_roundtrp
	local d=$BATS_TEST_TMPDIR
	run vtpmctl --save permanent "$d/perm" "$VTPM_DEV"
	assert_status 0
	assert_eq "$output" ""
	assert_eq "$(stat -c %a "$d/perm")" 600 "mode of a saved blob"
	assert_eq "$(od -An -tx1 -N6 "$d/perm" | tr -d ' \n')" "0201000a0004" "blob header"
	run ptm_ioctl --save permanent "$d/perm.swtpm"
	assert_status 0
	cmp "$d/perm" "$d/perm.swtpm"
	run env SWTPM_IOCTL_BUFFERSIZE=100 "$VTPMCTL" --save permanent "$d/perm.read" "$VTPM_DEV"
	assert_status 0
	cmp "$d/perm" "$d/perm.read"
	run vtpmctl --save volatile "$d/vol" "$VTPM_DEV"
	assert_status 0
	run env SWTPM_IOCTL_BUFFERSIZE=1000 "$VTPMCTL" --save volatile "$d/vol.read" "$VTPM_DEV"
	assert_status 0
	run ptm_ioctl --save volatile "$d/vol.swtpm"
	assert_status 0
	(( $(stat -c %s "$d/vol") > 3072 )) || fail "the volatile blob fits one chunk; the test needs more"

	# Device B: a fresh state directory, never INITed.
	local b=${VTPM_NAME}b bdev=/dev/${VTPM_NAME}b
	vtpm_start_as "$b" "$d/state-b" "$d/b.pid"

	# 1: vtpmctl's files, ioctl transfer.
	run vtpmctl --stop "$bdev"
	assert_status 0
	run vtpmctl --load permanent "$d/perm" "$bdev"
	assert_status 0
	assert_eq "$output" ""
	run vtpmctl --load volatile "$d/vol" "$bdev"
	assert_status 0
	run vtpmctl -i "$bdev"
	assert_status 0
	VTPM_DEV=$bdev nv_check_roundtrp "vtpmctl files, ioctl transfer"

	# 2: swtpm_ioctl's files, write() transfer.
	run vtpmctl --stop "$bdev"
	run env SWTPM_IOCTL_BUFFERSIZE=1000 "$VTPMCTL" --load permanent "$d/perm.swtpm" "$bdev"
	assert_status 0
	run env SWTPM_IOCTL_BUFFERSIZE=4096 "$VTPMCTL" --load volatile "$d/vol.swtpm" "$bdev"
	assert_status 0
	run vtpmctl -i "$bdev"
	VTPM_DEV=$bdev nv_check_roundtrp "swtpm_ioctl files, write() transfer"

	# 3: swtpm_ioctl loads what vtpmctl saved with read().
	run vtpmctl --stop "$bdev"
	run timeout 60 swtpm_ioctl --load permanent "$d/perm.read" "$bdev"
	assert_status 0
	run timeout 60 swtpm_ioctl --load volatile "$d/vol.read" "$bdev"
	assert_status 0
	run timeout 60 swtpm_ioctl -i "$bdev"
	assert_status 0
	VTPM_DEV=$bdev nv_check_roundtrp "vtpmctl read() files loaded by swtpm_ioctl"
}

@test "vtpmctl: error cases (no device, busy, bad locality, bad type, not running, bad blob)" {
	vtpm_start_ready
	local d=$BATS_TEST_TMPDIR

	run vtpmctl -c /dev/vtpm-does-not-exist
	assert_status 1
	assert_eq "$output" "Unable to open device '/dev/vtpm-does-not-exist': No such file or directory."
	run timeout 60 swtpm_ioctl -c /dev/vtpm-does-not-exist
	assert_status 1

	run vtpmctl -c
	assert_status 1
	assert_eq "$output" "Error: Missing device name."
	run vtpmctl -c -i "$VTPM_DEV"
	assert_status 1
	assert_eq "$output" "Only one command may be given."
	run vtpmctl --tcp :6546 -c
	assert_status 1
	assert_match "$output" "not supported"

	same -l 5
	assert_status 1
	assert_eq "$output" ""
	[[ "$(cat "$d/v.err")" == "Locality outside valid range of [0..4]." ]] || fail "-l 5: $(cat "$d/v.err")"
	same -r 7
	same -l x

	run vtpmctl --save bogus "$d/f" "$VTPM_DEV"
	assert_status 1
	assert_eq "$output" "Unknown TPM state type 'bogus'"
	[[ ! -e "$d/f" ]] || fail "--save with a bad type created the file"
	run timeout 60 swtpm_ioctl --save bogus "$d/f" "$VTPM_DEV"
	assert_status 1
	run vtpmctl --load permanent "$d/missing" "$VTPM_DEV"
	assert_status 1
	assert_eq "$output" "Could not open file '$d/missing' for reading: No such file or directory"

	# The device allows one open file: a holder makes vtpmctl say why.
	exec 5<>"$VTPM_DEV"
	run vtpmctl -c "$VTPM_DEV"
	exec 5>&-
	assert_status 1
	assert_eq "$output" "Unable to open device '$VTPM_DEV': Device or resource busy."

	# Loading while running, then a corrupt blob while stopped.
	run vtpmctl --save permanent "$d/perm" "$VTPM_DEV"
	assert_status 0
	same --load permanent "$d/perm"
	assert_status 1
	[[ "$(cat "$d/v.err")" == "TPM result from PTM_SET_STATEBLOB: 0xa" ]] || fail "load while running: $(cat "$d/v.err")"
	same --stop
	head -c 100 /dev/urandom >"$d/junk"
	same --load permanent "$d/junk"
	assert_status 1
	same -i
	assert_status 0
	run vtpmctl bios "$VTPM_DEV"
	assert_status 0
}

@test "vtpmctl bios: Startup after INIT makes the TPM usable; errors as swtpm_bios" {
	vtpm_start
	# Not INITed: the device answers TPM_RC_FAILURE.
	run vtpmctl bios "$VTPM_DEV"
	assert_status 128
	assert_match "$output" '^TPM2_Startup returned error code 0x00000101 '
	run vtpmctl -i "$VTPM_DEV"
	assert_status 0
	run tpm2 getrandom 8 --hex
	assert_failed
	run vtpmctl bios --tpm-device "$VTPM_DEV"
	assert_status 0
	assert_eq "$output" ""
	run tpm2 getrandom 8 --hex
	assert_status 0
	assert_match "$output" '^[0-9a-f]{16}$'

	# A second Startup fails the same way in both tools.
	run timeout 60 swtpm_bios --tpm2 --tpm-device "$VTPM_DEV"
	assert_status 128
	run vtpmctl bios --tpm2 --tpm-device "$VTPM_DEV"
	assert_status 128
	assert_eq "$output" "TPM2_Startup returned error code 0x00000100 (TPM_RC_INITIALIZE: the TPM has already been started)"
	run timeout 60 swtpm_bios --tpm2 -n -cs --tpm-device "$VTPM_DEV"
	assert_status 0
	run env TPM_DEVICE="$VTPM_DEV" "$VTPMCTL" bios -n -cs
	assert_status 0

	# -s resumes: PCR 0 survives Shutdown(STATE), INIT, Startup(STATE).
	run tpm2 pcrextend "0:sha256=$DIGEST_AA"
	assert_status 0
	run tpm2 shutdown
	assert_status 0
	run vtpmctl -i "$VTPM_DEV"
	assert_status 0
	run vtpmctl bios -s "$VTPM_DEV"
	assert_status 0
	assert_eq "$(pcr_value sha256:0)" "0x$PCR_AFTER_AA" "PCR 0 after Startup(STATE)"

	# -u: the platform hierarchy gets a password nobody knows.
	run tpm2 changeauth -c platform newpass
	assert_status 0
	run tpm2 changeauth -c platform -p newpass
	assert_status 0
	run vtpmctl bios -n -u "$VTPM_DEV"
	assert_status 0
	run tpm2 changeauth -c platform newpass
	assert_failed
	[[ "$output" == *"(0x000009a2)"* ]] || fail "changeauth with the empty password after -u: $output"
}
