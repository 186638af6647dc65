# The command path: write a command, read the response.
# tpm2-tools for whole commands, tests/tools/tpmraw for the byte-level rules
# the kernel's /dev/tpm0 follows.

load lib

# --- tpm2-tools ------------------------------------------------------------------

@test "command: tpm2_getrandom returns the bytes asked for, different each time" {
	vtpm_start_ready
	run tpm2 getrandom 16 --hex
	assert_status 0
	assert_match "$output" '^[0-9a-f]{32}$'
	local first=$output
	run tpm2 getrandom 16 --hex
	assert_status 0
	assert_match "$output" '^[0-9a-f]{32}$'
	[[ "$output" != "$first" ]] || fail "two GetRandom calls returned the same bytes"
}

@test "command: tpm2_pcrread shows reset PCRs after Startup(CLEAR)" {
	vtpm_start_ready
	assert_eq "$(pcr_value sha256:0)" "0x$(printf '0%.0s' {1..64})" "sha256 PCR 0"
	assert_eq "$(pcr_value sha1:7)" "0x$(printf '0%.0s' {1..40})" "sha1 PCR 7"
}

@test "command: tpm2_pcrextend changes the PCR to the expected digest" {
	vtpm_start_ready
	run tpm2 pcrextend "5:sha256=$DIGEST_AA"
	assert_status 0
	assert_eq "$(pcr_value sha256:5)" "0x$PCR_AFTER_AA" "sha256 PCR 5"
	# Other PCRs are untouched.
	assert_eq "$(pcr_value sha256:6)" "0x$(printf '0%.0s' {1..64})" "sha256 PCR 6"
}

@test "command: tpm2_createprimary (ECC) gives the same key for the same template" {
	vtpm_start_ready
	run tpm2 createprimary -C o -G ecc256 -c "$BATS_TEST_TMPDIR/p1.ctx"
	assert_status 0
	local x1 x2
	x1=$(sed -n 's/^x: //p' <<<"$output")
	assert_match "$x1" '^[0-9a-f]{64}$' "x coordinate of the primary key"
	[[ "$output" == *"type:"*"value: ecc"* ]] || fail "not an ECC key: $output"
	run tpm2 flushcontext -t
	assert_status 0
	run tpm2 createprimary -C o -G ecc256 -c "$BATS_TEST_TMPDIR/p2.ctx"
	assert_status 0
	x2=$(sed -n 's/^x: //p' <<<"$output")
	assert_eq "$x2" "$x1" "x of the second primary from the same seed"
}

@test "command: tpm2_nvdefine, nvwrite, nvread round trip" {
	vtpm_start_ready
	run tpm2 nvdefine 0x1500016 -C o -s 32 -a "ownerread|ownerwrite|authread|authwrite"
	assert_status 0
	head -c 32 /dev/urandom >"$BATS_TEST_TMPDIR/data"
	run tpm2 nvwrite 0x1500016 -C o -i "$BATS_TEST_TMPDIR/data"
	assert_status 0
	run tpm2 nvread 0x1500016 -C o -s 32 -o "$BATS_TEST_TMPDIR/back"
	assert_status 0
	cmp "$BATS_TEST_TMPDIR/data" "$BATS_TEST_TMPDIR/back"
	run tpm2 nvreadpublic 0x1500016
	assert_status 0
	[[ "$output" == *"size: 32"* ]] || fail "nvreadpublic: $output"
}

# --- raw byte-level rules -------------------------------------------------------

@test "raw: a response can be read in pieces; read with nothing pending returns 0" {
	vtpm_start_ready
	run tpmraw r:4096 "w:$CMD_GETRANDOM8" r:3 r:7 r:100 r:100
	assert_status 0
	assert_eq "${lines[0]}" "read 0" "read before any command"
	assert_eq "${lines[1]}" "write 12"
	assert_eq "${lines[2]}" "read 3 800100" "first 3 bytes"
	assert_eq "${lines[3]}" "read 7 00001400000000" "next 7 bytes (size 20, rc 0)"
	assert_match "${lines[4]}" '^read 10 0008[0-9a-f]{16}$' "the rest: 8 random bytes"
	assert_eq "${lines[5]}" "read 0" "read after the whole response"
}

@test "raw: a new command after a fully read response starts at offset 0" {
	vtpm_start_ready
	run tpmraw "w:$CMD_GETRANDOM8" r:20 "w:$CMD_READCLOCK" r:4
	assert_status 0
	assert_match "${lines[1]}" '^read 20 800100000014000000000008'
	assert_eq "${lines[2]}" "write 10"
	assert_eq "${lines[3]}" "read 4 80010000"
}

@test "raw: poll is readable only while a response is pending" {
	vtpm_start_ready
	run tpmraw p:300 "w:$CMD_GETRANDOM8" p:30000 r:5 p:1000 r:100 p:300
	assert_status 0
	assert_eq "${lines[0]}" "poll timeout" "poll before any command"
	assert_eq "${lines[1]}" "write 12"
	assert_eq "${lines[2]}" "poll IN" "poll with a response pending"
	assert_eq "${lines[3]}" "read 5 8001000000"
	assert_eq "${lines[4]}" "poll IN" "poll with part of a response pending"
	assert_match "${lines[5]}" '^read 15 14000000000008[0-9a-f]{16}$'
	assert_eq "${lines[6]}" "poll timeout" "poll after the response was read"
}

@test "raw: a write over 4096 bytes fails with E2BIG; 4096 is accepted" {
	vtpm_start_ready
	run tpmraw W:4097 r:100 W:4096 r:4096
	assert_status 0
	assert_eq "${lines[0]}" "write E2BIG"
	assert_eq "${lines[1]}" "read 0" "nothing pending after the refused write"
	assert_eq "${lines[2]}" "write 4096"
	# GetRandom with 4084 bytes of trailing junk: a TPM error, not success.
	assert_match "${lines[3]}" '^read 10 80010000000a[0-9a-f]{8}$'
	[[ "${lines[3]}" != "read 10 $RSP_OK_TPM2" ]] || fail "junk command succeeded"
}

@test "raw: writes shorter than 6 bytes or than their header's size fail with EINVAL" {
	vtpm_start_ready
	run tpmraw w:8001000000 w:80010000000c0000017b00 w:800100000014000001 r:100 "x:$CMD_GETRANDOM8"
	assert_status 0
	assert_eq "${lines[0]}" "write EINVAL" "5-byte write"
	assert_eq "${lines[1]}" "write EINVAL" "11 bytes, header says 12"
	assert_eq "${lines[2]}" "write EINVAL" "9 bytes, header says 20"
	assert_eq "${lines[3]}" "read 0" "nothing pending after refused writes"
	assert_match "${lines[4]}" '^resp 800100000014000000000008[0-9a-f]{16}$' "a good command afterwards"
}

# The kernel's rule (tpm-dev-common.c): EBUSY only while no byte of the
# response has been read; after a partial read the next write is accepted
# and the unread rest is dropped.
@test "raw: a write with a response wholly unread fails with EBUSY and keeps it" {
	vtpm_start_ready
	run tpmraw "w:$CMD_GETRANDOM8" p:30000 "w:$CMD_READCLOCK" r:100
	assert_status 0
	assert_eq "${lines[0]}" "write 12"
	assert_eq "${lines[2]}" "write EBUSY" "write with a whole response unread"
	assert_match "${lines[3]}" '^read 20 800100000014000000000008[0-9a-f]{16}$' "the GetRandom response is intact"
}

@test "raw: after the header of a response was read, the next command is accepted and answered in full" {
	vtpm_start_ready
	run tpmraw "w:$CMD_GETRANDOM8" p:30000 r:10 "w:$CMD_READCLOCK" p:30000 r:100 r:100 \
		"w:$CMD_GETRANDOM8" p:30000 r:100 "w:$CMD_READCLOCK" p:30000 r:100
	assert_status 0
	assert_eq "${lines[2]}" "read 10 80010000001400000000" "the GetRandom response's header"
	assert_eq "${lines[3]}" "write 10" "a write after a partial read"
	assert_match "${lines[5]}" '^read 35 800100000023000000000' "ReadClock's whole response, not the GetRandom's rest"
	assert_eq "${lines[6]}" "read 0" "nothing left of either"
	assert_eq "${lines[7]}" "write 12" "a write after the whole response was read"
	assert_match "${lines[9]}" '^read 20 800100000014000000000008[0-9a-f]{16}$'
	assert_eq "${lines[10]}" "write 10"
	assert_match "${lines[12]}" '^read 35 800100000023000000000'
}

@test "raw: a second open fails with EBUSY; after close the device opens again" {
	vtpm_start_ready
	run tpmraw o "x:$CMD_GETRANDOM8"
	assert_status 0
	assert_eq "${lines[0]}" "open EBUSY"
	assert_match "${lines[1]}" '^resp 800100000014000000000008'
	run tpmraw "x:$CMD_GETRANDOM8"
	assert_status 0
	assert_match "${lines[0]}" '^resp 800100000014000000000008'
}

@test "raw: swtpm_ioctl cannot open the device while a client holds it" {
	vtpm_start_ready
	# tpmraw holds the device open for 3 s.
	tpmraw s:3000 >"$BATS_TEST_TMPDIR/holder.out" 3>&- &
	local holder=$!
	sleep 1
	run ptm_ioctl -c
	wait "$holder"
	assert_failed
	# swtpm_ioctl does not print the errno; the raw test above shows EBUSY.
	[[ "$output" == *"Unable to open device"* ]] || fail "swtpm_ioctl: $output"
}

@test "raw: before INIT a command gets the 10-byte TPM 2 fatal error, never a hang" {
	vtpm_start
	run tpmraw "x:$CMD_GETRANDOM8" "x:$CMD_STARTUP_CLEAR"
	assert_status 0
	assert_eq "${lines[0]}" "resp $RSP_FATAL_TPM2"
	assert_eq "${lines[1]}" "resp $RSP_FATAL_TPM2"
	run ptm_ioctl -i
	assert_status 0
	run tpmraw "x:$CMD_STARTUP_CLEAR" "x:$CMD_GETRANDOM8"
	assert_status 0
	assert_eq "${lines[0]}" "resp $RSP_OK_TPM2" "Startup after INIT"
	assert_match "${lines[1]}" '^resp 800100000014000000000008[0-9a-f]{16}$'
}

@test "raw: not-need-init without startup-*: running, but no Startup sent" {
	vtpm_start --flags not-need-init
	run tpmraw "x:$CMD_GETRANDOM8" "x:$CMD_STARTUP_CLEAR" "x:$CMD_STARTUP_CLEAR"
	assert_status 0
	assert_eq "${lines[0]}" "resp $RSP_NOT_STARTED_TPM2"
	assert_eq "${lines[1]}" "resp $RSP_OK_TPM2"
	assert_eq "${lines[2]}" "resp $RSP_NOT_STARTED_TPM2" "second Startup"
}

@test "raw: QEMU's probe (ReadClock, poll 1000 ms, one read of 1024) gets the whole response" {
	vtpm_start_ready
	run tpmraw "w:$CMD_READCLOCK" p:1000 r:1024
	assert_status 0
	assert_eq "${lines[0]}" "write 10"
	assert_eq "${lines[1]}" "poll IN"
	# 10-byte header (size 0x23 = 35) + TPMS_TIME_INFO, all in one read.
	assert_match "${lines[2]}" '^read 35 800100000023000000000[0-9a-f]{49}$'
}

@test "raw: QEMU's probe on an un-INITed device is answered as TPM 2" {
	vtpm_start
	run tpmraw "w:$CMD_READCLOCK" p:1000 r:1024
	assert_status 0
	assert_eq "${lines[1]}" "poll IN"
	assert_eq "${lines[2]}" "read 10 $RSP_FATAL_TPM2"
}
