#!/usr/bin/env bats
# Only the host controls a vTPM (issue 17, item 1). With --control-node
# (implied by --cdi and used by every vtpm-cdi slot) /dev/NAME answers TPM
# commands and four harmless queries, exactly what a container or a user
# of the node's group needs; every other control request is refused with
# EPERM, logged once, and changes nothing. The host keeps swtpm's whole
# control plane on /dev/NAME-ctl, root:root 0600, which Debian's
# swtpm_ioctl and vtpmctl drive unchanged. Without the option vtpmd stays
# swtpm's drop-in (ioctl.bats, vtpmctl.bats). The containers' side of
# this is in containers_podman.bats and cdi_pool.bats.
load lib

CTL_DEV=
VTPMCTL=$(dirname "$VTPMD")/vtpmctl
ctl_start() { # [ARGS...]
	vtpm_start --control-node --flags not-need-init,startup-clear "$@"
	CTL_DEV=/dev/${VTPM_NAME}-ctl
}

@test "control: --control-node: NAME answers TPM commands and four queries, every other request is refused with EPERM and changes nothing" {
	ctl_start
	assert_eq "$(stat -c '%F %U:%G %a' "$CTL_DEV")" "character special file root:root 600" "$CTL_DEV"
	run tpm2 pcrextend "16:sha256=$DIGEST_AA"
	assert_status 0
	run ptmctl sweep
	assert_status 0
	assert_eq "$output" "$SWEEP_CLIENT" "every request on the node"
	# nothing happened: the daemon serves, the PCR keeps its value
	pid_alive "$VTPM_PID" || fail "vtpmd ended"
	assert_eq "$(pcr_value sha256:16)" "0x$PCR_AFTER_AA" "PCR 16 after the refused INIT"
	# Debian's swtpm_ioctl on the node: its own wording, the kernel's errno
	run ptm_ioctl -i
	assert_failed
	[[ "$output" == *"PTM_INIT"*"Operation not permitted"* ]] || fail "swtpm_ioctl -i: $output"
	run timeout 60 "$VTPMCTL" --stop "$VTPM_DEV"
	assert_failed
	[[ "$output" == "Could not execute PTM_STOP: Operation not permitted"$'\n'"This node answers TPM commands only; send control requests to its control node (vtpmd names it NAME-ctl)." ]] ||
		fail "vtpmctl: $output"
	# each refused request: one log line, however often it was tried
	assert_eq "$(grep -c 'refused PTM_' "$VTPM_LOG")" 15 "refusal lines"
	assert_eq "$(grep -c 'refused PTM_INIT on the node' "$VTPM_LOG")" 1 "PTM_INIT lines"
	assert_eq "$(grep -c 'refused PTM_GET_STATEBLOB on the node' "$VTPM_LOG")" 1
}

@test "control: the host's swtpm_ioctl and vtpmctl drive every control request on NAME-ctl" {
	local d=$BATS_TEST_TMPDIR
	ctl_start
	run timeout 60 swtpm_ioctl -c "$CTL_DEV"
	assert_eq "$output" "ptm capability is 0x16fff"
	run timeout 60 swtpm_ioctl -g "$CTL_DEV"
	assert_eq "$output" "ptm configuration flags: 0x0"
	# DRTM: locality 4, the hash sequence into PCR 17, the established bit
	run timeout 60 swtpm_ioctl -l 4 "$CTL_DEV"
	assert_status 0
	run timeout 60 swtpm_ioctl -h "drtm" "$CTL_DEV"
	assert_status 0
	run timeout 60 swtpm_ioctl -e "$CTL_DEV"
	assert_eq "$output" "tpmEstablished is 1"
	run timeout 60 swtpm_ioctl -r 3 "$CTL_DEV"
	assert_status 0
	run timeout 60 swtpm_ioctl -l 0 "$CTL_DEV"
	assert_status 0
	# the state leaves and comes back; INIT resets the PCRs
	run tpm2 pcrextend "16:sha256=$DIGEST_AA"
	run timeout 60 swtpm_ioctl --save permanent "$d/perm" "$CTL_DEV"
	assert_status 0
	run timeout 60 "$VTPMCTL" --stop "$CTL_DEV"
	assert_status 0
	run timeout 60 swtpm_ioctl --load permanent "$d/perm" "$CTL_DEV"
	assert_status 0
	run timeout 60 swtpm_ioctl -i "$CTL_DEV"
	assert_status 0
	# TPM commands on the control node too, as swtpm_bios sends them
	run timeout 60 "$VTPMCTL" bios "$CTL_DEV"
	assert_status 0
	assert_eq "$(pcr_value sha256:16)" "0x$(printf '0%.0s' {1..64})" "PCR 16 after INIT"
	run timeout 60 swtpm_ioctl -v "$CTL_DEV"
	assert_status 0
	[[ -s "$VTPM_STATE/tpm2-00.volatilestate" ]] || fail "STORE_VOLATILE wrote nothing"
	run timeout 60 "$VTPMCTL" --lock-storage 0 "$CTL_DEV"     # swtpm_ioctl 0.7.1 has none
	assert_status 0
	run timeout 60 swtpm_ioctl -b 0 "$CTL_DEV"
	assert_eq "${lines[0]}" "TPM buffersize: 4096"
	# the node still serves while the host holds the control node
	exec 7<>"$CTL_DEV"
	run tpm2 getrandom 8 --hex
	assert_status 0
	exec 7>&-
	run timeout 60 swtpm_ioctl -s "$CTL_DEV"
	assert_status 0
	vtpm_wait_exit "$VTPM_PID" 30
	wait_until 10 test ! -e "$VTPM_DEV" -a ! -e "$CTL_DEV" || fail "a node outlived the daemon"
}

@test "control: plain vtpmd has no control node and answers everything (swtpm's drop-in)" {
	vtpm_start_ready
	[[ ! -e "$VTPM_DEV-ctl" ]] || fail "a control node without --control-node"
	run ptmctl caps
	assert_eq "$output" "caps 0x16fff"
	run ptm_ioctl -i
	assert_status 0
	! grep -q 'refused' "$VTPM_LOG" || fail "log: $(cat "$VTPM_LOG")"
}

@test "control: --control-node=NAME names it; a taken name is refused before anything exists" {
	local other=${VTPM_NAME}-host
	vtpm_start --control-node="$other" --flags not-need-init
	[[ -c "/dev/$other" && ! -e "$VTPM_DEV-ctl" ]] || fail "control node: $(ls /dev | grep "$VTPM_NAME")"
	run timeout 60 swtpm_ioctl -c "/dev/$other"
	assert_eq "$output" "ptm capability is 0x16fff"
	# another daemon asking for a control node of that name
	vtpmd_run -n "${VTPM_NAME}x" --tpmstate "dir=$BATS_TEST_TMPDIR/x" --control-node="$other"
	assert_one_line_error
	assert_eq "$stderr" "vtpmd: /dev/$other already exists"
	[[ ! -e "/dev/${VTPM_NAME}x" && ! -e "$BATS_TEST_TMPDIR/x" ]] || fail "something was created"
}

@test "control: LOCK_STORAGE with 2^32-1 retries holds up neither the node's queries and commands nor SIGTERM beyond its bound" {
	local b=${VTPM_NAME}b bpid lockpid t0
	# A holds the state directory; B waits for it (--migration incoming)
	vtpm_start_ready
	vtpm_start_as "$b" "$VTPM_STATE" "$BATS_TEST_TMPDIR/b.pid" --migration incoming \
		--control-node --log "file=$BATS_TEST_TMPDIR/b.log,level=2"
	bpid=$VTPM_PID
	timeout 60 "$VTPM_TOOLS/ptmctl" "/dev/$b-ctl" lock-storage 4294967295 \
		>"$BATS_TEST_TMPDIR/lock.out" 2>&1 &
	lockpid=$!
	sleep 0.5
	# the queries (GET_INFO takes the TPM lock) come back while LOCK_STORAGE
	# still waits: its client is still there after them (no timing: the VM
	# may be slow, but had they waited behind it, it would have ended first)
	run timeout 60 "$VTPM_TOOLS/ptmctl" "/dev/$b" caps
	assert_eq "$output" "caps 0x4804"
	run timeout 60 "$VTPM_TOOLS/ptmctl" "/dev/$b" info 1
	assert_match "$output" '^result 0x0 '
	pid_alive "$lockpid" || fail "LOCK_STORAGE ended before the queries: $(cat "$BATS_TEST_TMPDIR/lock.out")"
	# SIGTERM: B ends within the bound (5 s) and some slack for the VM
	t0=$SECONDS
	kill -TERM "$bpid"
	vtpm_wait_exit "$bpid" 20
	(( SECONDS - t0 <= 15 )) || fail "SIGTERM took $((SECONDS - t0)) s"
	wait "$lockpid" || true
	[[ "$(cat "$BATS_TEST_TMPDIR/lock.out")" == "result 0x9" ||
	   "$(cat "$BATS_TEST_TMPDIR/lock.out")" == "errno "* ]] || fail "LOCK_STORAGE: $(cat "$BATS_TEST_TMPDIR/lock.out")"
	# A never let go and still serves
	run tpm2 getrandom 8 --hex
	assert_status 0
}
