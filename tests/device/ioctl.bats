# Control ioctls: Debian's swtpm_ioctl as an independent
# client of the ABI, and tests/tools/ptmctl for the error paths swtpm_ioctl
# refuses to send.

load lib

# TPM result codes of the control channel.
TPM_SUCCESS=0x0
TPM_BAD_PARAMETER=0x3
TPM_FAIL=0x9
TPM_BAD_ORDINAL=0xa
TPM_BAD_LOCALITY=0x3d

sha256_hex() { sha256sum | cut -c1-64; }
hex_to_bin() { printf "$(sed 's/../\\x&/g')"; }

# --- swtpm_ioctl ------------------------------------------------------------------

@test "ioctl -c: capabilities are 0x16fff, running or not" {
	vtpm_start
	run ptm_ioctl -c
	assert_status 0
	assert_eq "$output" "ptm capability is 0x16fff"
	run ptmctl caps
	assert_status 0
	assert_eq "$output" "caps 0x16fff"
	run ptm_ioctl -i
	assert_status 0
	run ptm_ioctl -c
	assert_eq "$output" "ptm capability is 0x16fff"
}

@test "ioctl -i: INIT starts an un-INITed TPM" {
	vtpm_start
	run tpmraw "x:$CMD_GETRANDOM8"
	assert_eq "$output" "resp $RSP_FATAL_TPM2"
	run ptm_ioctl -i
	assert_status 0
	assert_eq "$output" ""
	run tpmraw "x:$CMD_GETRANDOM8" "x:$CMD_STARTUP_CLEAR" "x:$CMD_GETRANDOM8"
	assert_eq "${lines[0]}" "resp $RSP_NOT_STARTED_TPM2" "before Startup"
	assert_eq "${lines[1]}" "resp $RSP_OK_TPM2" "Startup(CLEAR)"
	assert_match "${lines[2]}" '^resp 800100000014000000000008'
}

@test "ioctl -i: INIT resets a running TPM (Startup needed, PCRs cleared)" {
	vtpm_start_ready
	run tpm2 pcrextend "16:sha256=$DIGEST_AA"
	assert_status 0
	assert_eq "$(pcr_value sha256:16)" "0x$PCR_AFTER_AA"
	run ptm_ioctl -i
	assert_status 0
	run tpmraw "x:$CMD_GETRANDOM8" "x:$CMD_STARTUP_CLEAR"
	assert_eq "${lines[0]}" "resp $RSP_NOT_STARTED_TPM2" "after INIT, before Startup"
	assert_eq "${lines[1]}" "resp $RSP_OK_TPM2"
	assert_eq "$(pcr_value sha256:16)" "0x$(printf '0%.0s' {1..64})" "PCR 16 after INIT + Startup(CLEAR)"
}

@test "ioctl INIT flag: delete-volatile removes tpm2-00.volatilestate, 0 keeps it" {
	vtpm_start_ready
	run ptm_ioctl -v
	assert_status 0
	[[ -f "$VTPM_STATE/tpm2-00.volatilestate" ]] || fail "no volatilestate after -v"
	run ptmctl init 0
	assert_eq "$output" "result $TPM_SUCCESS"
	[[ -f "$VTPM_STATE/tpm2-00.volatilestate" ]] || fail "INIT without the flag deleted volatilestate"
	run ptmctl init 1
	assert_eq "$output" "result $TPM_SUCCESS"
	[[ ! -e "$VTPM_STATE/tpm2-00.volatilestate" ]] || fail "INIT with DELETE_VOLATILE kept volatilestate"
}

@test "ioctl --stop: TPM stops, process and node stay, -i restarts it" {
	vtpm_start_ready
	run ptm_ioctl --stop
	assert_status 0
	pid_alive "$VTPM_PID"
	[[ -c "$VTPM_DEV" ]]
	run tpmraw "x:$CMD_GETRANDOM8"
	assert_eq "$output" "resp $RSP_FATAL_TPM2" "command while stopped"
	run ptm_ioctl -e
	assert_status 1
	[[ "$output" == *"0xa"* ]] || fail "-e while stopped: $output"
	run ptm_ioctl -i
	assert_status 0
	run tpmraw "x:$CMD_STARTUP_CLEAR" "x:$CMD_GETRANDOM8"
	assert_eq "${lines[0]}" "resp $RSP_OK_TPM2"
	assert_match "${lines[1]}" '^resp 800100000014000000000008'
}

@test "ioctl -s: SHUTDOWN removes the node and the process exits 0" {
	vtpm_start_fg --flags not-need-init,startup-clear
	wait_until 10 test -s "$VTPM_PIDFILE"
	run ptm_ioctl -s
	assert_status 0
	vtpm_wait_exit "$VTPM_PID" 30
	local rc=0
	wait "$VTPM_PID" || rc=$?
	assert_eq "$rc" 0 "exit status after PTM_SHUTDOWN"
	[[ ! -e "$VTPM_DEV" ]] || fail "node still exists"
	[[ ! -e "$VTPM_PIDFILE" ]] || fail "pid file still exists"
}

@test "ioctl -e, -h, -r: established bit set by the hash sequence, reset at locality 3 and 4" {
	vtpm_start_ready
	run ptm_ioctl -e
	assert_status 0
	assert_eq "$output" "tpmEstablished is 0"

	run ptm_ioctl -l 4
	assert_status 0
	run ptm_ioctl -h abc
	assert_status 0
	run ptm_ioctl -l 0
	assert_status 0
	# _TPM_Hash_End resets PCR 17 and extends it with sha256("abc").
	local expect
	expect=$( { head -c 32 /dev/zero; printf abc | sha256_hex | hex_to_bin; } | sha256_hex)
	assert_eq "$(pcr_value sha256:17)" "0x${expect^^}" "sha256 PCR 17 after -h abc"
	run ptm_ioctl -e
	assert_eq "$output" "tpmEstablished is 1"

	run ptm_ioctl -r 2
	assert_status 1
	[[ "$output" == *"0x3d"* ]] || fail "-r 2: $output"
	run ptm_ioctl -e
	assert_eq "$output" "tpmEstablished is 1" "after a refused reset"
	run ptm_ioctl -r 3
	assert_status 0
	run ptm_ioctl -e
	assert_eq "$output" "tpmEstablished is 0" "after -r 3"

	run ptm_ioctl -h abc
	assert_status 0
	run ptm_ioctl -e
	assert_eq "$output" "tpmEstablished is 1"
	run ptm_ioctl -r 4
	assert_status 0
	run ptm_ioctl -e
	assert_eq "$output" "tpmEstablished is 0" "after -r 4"
}

@test "ioctl -h -: data over 4096 bytes from stdin is hashed in chunks" {
	vtpm_start_ready
	head -c 10000 /dev/urandom >"$BATS_TEST_TMPDIR/data"
	run bash -c 'timeout 60 swtpm_ioctl -h - "$1" <"$2"' _ "$VTPM_DEV" "$BATS_TEST_TMPDIR/data"
	assert_status 0
	local expect
	expect=$( { head -c 32 /dev/zero; sha256_hex <"$BATS_TEST_TMPDIR/data" | hex_to_bin; } | sha256_hex)
	assert_eq "$(pcr_value sha256:17)" "0x${expect^^}" "sha256 PCR 17"
}

@test "ioctl -l: localities 0-4 accepted and used by later commands" {
	vtpm_start_ready
	local l
	for l in 0 1 2 3 4; do
		run ptm_ioctl -l "$l"
		assert_status 0
	done
	# PCR 20 can be reset from locality 2 (and 4), not from 0.
	run ptm_ioctl -l 2
	assert_status 0
	run tpm2 pcrreset 20
	assert_status 0
	run ptm_ioctl -l 0
	assert_status 0
	run tpm2 pcrreset 20
	assert_failed
	[[ "$output" == *"0x907"* ]] || fail "pcrreset 20 at locality 0: $output"
}

@test "ioctl -l 4 with --locality reject-locality-4 gives TPM_BAD_LOCALITY" {
	vtpm_start_ready --locality reject-locality-4
	run ptm_ioctl -l 3
	assert_status 0
	run ptm_ioctl -l 4
	assert_status 1
	[[ "$output" == *"0x3d"* ]] || fail "-l 4: $output"
	run ptmctl locality 4
	assert_eq "$output" "result $TPM_BAD_LOCALITY"
	run ptmctl locality 3
	assert_eq "$output" "result $TPM_SUCCESS"
}

@test "ioctl -C: cancel with nothing running succeeds, the TPM keeps working" {
	vtpm_start_ready
	run ptm_ioctl -C
	assert_status 0
	assert_eq "$output" ""
	run tpm2 getrandom 8 --hex
	assert_status 0
	assert_match "$output" '^[0-9a-f]{16}$'
}

@test "ioctl -v: STORE_VOLATILE writes tpm2-00.volatilestate" {
	vtpm_start_ready
	[[ ! -e "$VTPM_STATE/tpm2-00.volatilestate" ]] || fail "volatilestate exists before -v"
	run ptm_ioctl -v
	assert_status 0
	[[ -s "$VTPM_STATE/tpm2-00.volatilestate" ]] || fail "no volatilestate after -v"
	run tpm2 getrandom 8 --hex
	assert_status 0
}

@test "ioctl -g: configuration flags are 0 without keys" {
	vtpm_start_ready
	run ptm_ioctl -g
	assert_status 0
	assert_eq "$output" "ptm configuration flags: 0x0"
	run ptmctl config
	assert_eq "$output" "result $TPM_SUCCESS flags 0x0"
}

@test "ioctl -b: query any time, set only while stopped, clamped to min/max" {
	vtpm_start_ready
	run ptm_ioctl -b 0
	assert_status 0
	assert_eq "${lines[0]}" "TPM buffersize: 4096"
	assert_match "${lines[1]}" '^minimum size  : [0-9]+$'
	assert_eq "${lines[2]}" "maximum size  : 4096"
	local min=${lines[1]##* }
	(( min > 1000 && min < 4096 )) || fail "minimum size $min"

	run ptm_ioctl -b 3000
	assert_status 1
	[[ "$output" == *"0xa"* ]] || fail "-b 3000 while running: $output"

	run ptm_ioctl --stop
	assert_status 0
	run ptm_ioctl -b 0
	assert_eq "${lines[0]}" "TPM buffersize: 4096" "query while stopped"
	run ptm_ioctl -b 3000
	assert_status 0
	assert_eq "${lines[0]}" "TPM buffersize: 3000"
	run ptm_ioctl -b 100
	assert_eq "${lines[0]}" "TPM buffersize: $min" "100 is clamped to the minimum"
	run ptm_ioctl -b 100000
	assert_eq "${lines[0]}" "TPM buffersize: 4096" "100000 is clamped to the maximum"
	run ptm_ioctl -b 3000
	assert_eq "${lines[0]}" "TPM buffersize: 3000"
	run ptm_ioctl -i
	assert_status 0
	run ptm_ioctl -b 0
	assert_eq "${lines[0]}" "TPM buffersize: 3000" "size in effect after INIT"
	run tpmraw "x:$CMD_STARTUP_CLEAR" "x:$CMD_GETRANDOM8"
	assert_eq "${lines[0]}" "resp $RSP_OK_TPM2"
	assert_match "${lines[1]}" '^resp 800100000014000000000008'
}

@test "ioctl --info: specification, attributes, both" {
	vtpm_start_ready
	run ptm_ioctl --info 1
	assert_status 0
	assert_match "$output" '^\{"TPMSpecification":\{"family":"2.0","level":[0-9]+,"revision":[0-9]+\}\}$'
	run ptm_ioctl --info 2
	assert_status 0
	assert_match "$output" '^\{"TPMAttributes":\{"manufacturer":"id:[0-9A-F]{8}","version":"id:[0-9A-F]{8}","model":"[^"]+"\}\}$'
	local attrs=${output#\{}
	run ptm_ioctl --info 1
	local spec=${output%\}}
	run ptm_ioctl --info 3
	assert_status 0
	assert_eq "$output" "$spec,$attrs" "--info 3"
}

@test "ioctl --info works while the TPM is not running" {
	vtpm_start
	run ptm_ioctl --info 1
	assert_status 0
	assert_match "$output" '"family":"2.0"'
}

# --- error paths with ptmctl ----------------------------------------------------

needs_running_all_refused() {
	local req
	for req in est "reset-est 3" hash-start "hash-data 1" hash-end cancel store-volatile; do
		# shellcheck disable=SC2086
		run ptmctl $req
		assert_status 0
		assert_match "$output" "^result $TPM_BAD_ORDINAL( |\$)" "$req while not running"
	done
	run ptmctl get-state 1 "$BATS_TEST_TMPDIR/blob"
	assert_status 0
	assert_match "$output" "^result $TPM_BAD_ORDINAL " "get-state while not running"
}

always_allowed_answered() {
	run ptmctl caps
	assert_eq "$output" "caps 0x16fff"
	run ptmctl config
	assert_eq "$output" "result $TPM_SUCCESS flags 0x0"
	run ptmctl locality 0
	assert_eq "$output" "result $TPM_SUCCESS"
	run ptmctl buffersize 0
	assert_match "$output" "^result $TPM_SUCCESS buffersize 4096 min [0-9]+ max 4096\$"
	run ptmctl info 1
	assert_match "$output" "^result $TPM_SUCCESS totlength [0-9]+ length [0-9]+\$"
	run ptmctl lock-storage 0
	assert_eq "$output" "result $TPM_SUCCESS"
	run ptmctl stop
	assert_eq "$output" "result $TPM_SUCCESS"
}

@test "ptmctl: before INIT every needs-running ioctl gets TPM_BAD_ORDINAL" {
	vtpm_start
	needs_running_all_refused
	always_allowed_answered
}

@test "ptmctl: after STOP every needs-running ioctl gets TPM_BAD_ORDINAL" {
	vtpm_start_ready
	run ptmctl stop
	assert_eq "$output" "result $TPM_SUCCESS"
	needs_running_all_refused
	always_allowed_answered
	run ptmctl init 0
	assert_eq "$output" "result $TPM_SUCCESS"
	run ptmctl est
	assert_eq "$output" "result $TPM_SUCCESS bit 0"
}

@test "ptmctl: SET_LOCALITY above 4 gives TPM_BAD_LOCALITY" {
	vtpm_start_ready
	run ptmctl locality 5
	assert_eq "$output" "result $TPM_BAD_LOCALITY"
	run ptmctl locality 255
	assert_eq "$output" "result $TPM_BAD_LOCALITY"
	run ptmctl locality 4
	assert_eq "$output" "result $TPM_SUCCESS"
}

@test "ptmctl: RESET_TPMESTABLISHED with locality 5 answers TPM_BAD_LOCALITY (no hang)" {
	vtpm_start_ready
	run timeout 20 "$VTPM_TOOLS/ptmctl" "$VTPM_DEV" reset-est 5
	assert_status 0
	assert_eq "$output" "result $TPM_BAD_LOCALITY"
	run timeout 20 "$VTPM_TOOLS/ptmctl" "$VTPM_DEV" reset-est 0
	assert_eq "$output" "result $TPM_BAD_LOCALITY"
	run ptmctl reset-est 3
	assert_eq "$output" "result $TPM_SUCCESS"
}

@test "ptmctl: HASH_DATA longer than 4096 gives TPM_FAIL" {
	vtpm_start_ready
	run ptmctl hash-start
	assert_eq "$output" "result $TPM_SUCCESS"
	run ptmctl hash-data 4096
	assert_eq "$output" "result $TPM_SUCCESS"
	run ptmctl hash-data 4097
	assert_eq "$output" "result $TPM_FAIL"
	run ptmctl hash-data 4294967295
	assert_eq "$output" "result $TPM_FAIL"
	run ptmctl hash-end
	assert_eq "$output" "result $TPM_SUCCESS"
}

@test "ptmctl: SET_BUFFERSIZE non-zero while running gives TPM_BAD_ORDINAL" {
	vtpm_start_ready
	run ptmctl buffersize 3000
	assert_match "$output" "^result $TPM_BAD_ORDINAL "
	run ptmctl buffersize 0
	assert_match "$output" "^result $TPM_SUCCESS buffersize 4096 "
}

@test "ptmctl: SET_STATEBLOB while running gives TPM_BAD_ORDINAL" {
	vtpm_start_ready
	run ptmctl get-state 1 "$BATS_TEST_TMPDIR/perm"
	assert_match "$output" "^result $TPM_SUCCESS totlength [1-9][0-9]*\$"
	run ptmctl set-state 1 "$BATS_TEST_TMPDIR/perm"
	assert_status 0
	assert_eq "$output" "result $TPM_BAD_ORDINAL"
	run tpm2 getrandom 8 --hex
	assert_status 0
}

@test "ptmctl: GET_INFO with an offset at or beyond the end gives TPM_BAD_PARAMETER" {
	vtpm_start_ready
	run ptmctl info 1
	assert_match "$output" "^result $TPM_SUCCESS totlength [0-9]+ length [0-9]+\$"
	local tot=${output#*totlength }
	tot=${tot%% *}
	run ptmctl info 1 5
	assert_eq "$output" "result $TPM_SUCCESS totlength $tot length $((tot - 5))" "offset 5"
	run ptmctl info 1 "$tot"
	assert_match "$output" "^result $TPM_BAD_PARAMETER( |\$)" "offset = totlength"
	run ptmctl info 1 100000
	assert_match "$output" "^result $TPM_BAD_PARAMETER( |\$)" "offset 100000"
}

@test "ptmctl: SET_DATAFD and unknown request codes get EINVAL" {
	vtpm_start_ready
	run ptmctl set-datafd
	assert_status 1
	assert_eq "$output" "errno EINVAL"
	local code
	# nr 0x7f; nr 19; GET_CAPABILITY's nr with a 4-byte size; another magic.
	for code in 0x8004507f 0xc0045013 0x80045000 0x80085100; do
		run ptmctl raw "$code"
		assert_status 1
		assert_eq "$output" "errno EINVAL" "request $code"
	done
	run tpm2 getrandom 8 --hex
	assert_status 0
}

@test "ptmctl: GET_STATEBLOB / SET_STATEBLOB round trip brings back an NV index" {
	vtpm_start_ready
	run tpm2 nvdefine 0x1500017 -C o -s 8 -a "ownerread|ownerwrite"
	assert_status 0
	printf 'ROUNDTRP' >"$BATS_TEST_TMPDIR/nvdata"
	run tpm2 nvwrite 0x1500017 -C o -i "$BATS_TEST_TMPDIR/nvdata"
	assert_status 0

	run ptmctl get-state 1 "$BATS_TEST_TMPDIR/perm"
	assert_match "$output" "^result $TPM_SUCCESS totlength [1-9][0-9]*\$"
	local size
	size=$(stat -c %s "$BATS_TEST_TMPDIR/perm")
	assert_eq "${output##* }" "$size" "totlength vs bytes received"
	# swtpm blob header: version 2, min 1, hdrsize 10, flags MIGRATION_DATA, totlen.
	assert_eq "$(od -An -tx1 -N10 "$BATS_TEST_TMPDIR/perm" | tr -d ' \n')" \
		"0201000a0004$(printf %08x "$size")" "permanent blob header"
	run ptm_ioctl --save permanent "$BATS_TEST_TMPDIR/perm-swtpm"
	assert_status 0
	cmp "$BATS_TEST_TMPDIR/perm" "$BATS_TEST_TMPDIR/perm-swtpm"

	run ptmctl get-state 2 "$BATS_TEST_TMPDIR/vol"
	assert_match "$output" "^result $TPM_SUCCESS totlength [1-9][0-9]*\$"
	run ptmctl get-state 3 "$BATS_TEST_TMPDIR/save"
	assert_eq "$output" "result 0x800 totlength 0" "TPM 2 has no savestate"

	run tpm2 nvundefine 0x1500017 -C o
	assert_status 0
	run tpm2 nvreadpublic 0x1500017
	assert_failed

	run ptmctl stop
	assert_eq "$output" "result $TPM_SUCCESS"
	run ptmctl set-state 1 "$BATS_TEST_TMPDIR/perm"
	assert_eq "$output" "result $TPM_SUCCESS" "set permanent"
	run ptmctl set-state 2 "$BATS_TEST_TMPDIR/vol"
	assert_eq "$output" "result $TPM_SUCCESS" "set volatile"
	run ptmctl init 0
	assert_eq "$output" "result $TPM_SUCCESS"
	# The volatile blob was taken while running: no Startup needed.
	run tpm2 nvread 0x1500017 -C o -s 8
	assert_status 0
	assert_eq "$output" "ROUNDTRP"
}

@test "ptmctl: SET_STATEBLOB of a corrupt blob is refused, the device keeps serving" {
	vtpm_start_ready
	run ptmctl get-state 1 "$BATS_TEST_TMPDIR/perm"
	assert_match "$output" "^result $TPM_SUCCESS "
	run ptmctl stop
	# Wrong totlen in the header.
	{ head -c 6 "$BATS_TEST_TMPDIR/perm"; printf '\x00\x00\x00\x20'; tail -c +11 "$BATS_TEST_TMPDIR/perm"; } >"$BATS_TEST_TMPDIR/bad"
	run ptmctl set-state 1 "$BATS_TEST_TMPDIR/bad"
	assert_status 0
	[[ "$output" =~ ^result\ 0x[0-9a-f]+$ && "$output" != "result $TPM_SUCCESS" ]] ||
		fail "corrupt blob: $output"
	run ptmctl init 0
	assert_eq "$output" "result $TPM_SUCCESS"
	run tpmraw "x:$CMD_STARTUP_CLEAR" "x:$CMD_GETRANDOM8"
	assert_eq "${lines[0]}" "resp $RSP_OK_TPM2"
	assert_match "${lines[1]}" '^resp 800100000014000000000008'
}

@test "queries are answered while a command runs and its reader waits in read()" {
	vtpm_start_ready
	# The reader blocks in read() right after its write: the node has
	# answered the write and runs the command; the standby reader keeps
	# the read unanswered and answers GET_CAPABILITY meanwhile.
	run ptmctl query-during-rsa-primary
	assert_status 0
	assert_eq "${lines[0]}" "command-rc 0x0" "the CreatePrimary's response, read whole"
	assert_match "${lines[1]}" '^answered-while-running [1-9][0-9]*$'
}

@test "ptmctl: CANCEL stops a running RSA-2048 CreatePrimary (TPM_RC_CANCELED)" {
	vtpm_start_ready
	run ptmctl cancel-rsa-primary
	assert_status 0
	assert_eq "${lines[0]}" "command-rc 0x909" "rc of the cancelled CreatePrimary"
	assert_match "${lines[1]}" '^cancels [1-9][0-9]*$'
	assert_eq "${lines[2]}" "cancel-result 0x0"
	assert_eq "${lines[3]}" "after-rc 0x0" "GetRandom on the same file afterwards"
	# And through a fresh open.
	run tpm2 createprimary -C o -G ecc256 -c "$BATS_TEST_TMPDIR/p.ctx"
	assert_status 0
}
