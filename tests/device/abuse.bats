# Abuse through the real kernel: tests/tools/abuse throws
# random ioctls, garbage writes, short and huge reads, polls and open/close
# storms at the node for a bounded time, under the default seccomp filter.
# Afterwards the daemon must be alive and answer, end in order on SIGTERM,
# and its state directory must load again.

load lib

ABUSE_SECONDS=${VTPMD_ABUSE_SECONDS:-30}

@test "abuse: $ABUSE_SECONDS s of junk; the daemon survives, answers, and its state loads again" {
	vtpm_start_ready
	local seed
	seed=${VTPMD_ABUSE_SEED:-$RANDOM$RANDOM}
	run timeout $((ABUSE_SECONDS + 300)) "$VTPM_TOOLS/abuse" "$VTPM_DEV" "$ABUSE_SECONDS" "$seed"
	echo "$output"
	assert_status 0
	pid_alive "$VTPM_PID" || fail "vtpmd died under abuse (seed $seed)"
	[[ -c "$VTPM_DEV" ]] || fail "$VTPM_DEV is gone (seed $seed)"

	# Whatever state the junk left (stopped TPM, blob transfer, locality,
	# buffer size), a client can bring the TPM back and use it.
	run ptm_ioctl --stop
	assert_status 0
	run ptm_ioctl -b 4096
	assert_status 0
	run ptm_ioctl -i
	assert_status 0
	run ptm_ioctl -l 0
	assert_status 0
	run tpm2 startup -c
	run tpm2 getrandom 8 --hex
	assert_status 0
	assert_match "$output" '^[0-9a-f]{16}$'

	vtpm_stop
	vtpm_start_ready
	run tpm2 getrandom 8 --hex
	assert_status 0
	assert_match "$output" '^[0-9a-f]{16}$'
}
