# The shutdown-before-reset rule: on INIT, STOP, SHUTDOWN
# and orderly exit, vtpmd sends TPM2_Shutdown(SU_STATE) unless the client's
# last command was TPM2_Shutdown; --flags disable-auto-shutdown turns it off.
#
# (a) follows swtpm's own test (test_tpm2_avoid_da_lockout): a failed
# authorization on a DA-protected NV index sets the lockout counter to 1; a
# reset without an orderly shutdown would raise it at the next Startup.
# (b) is the firmware suspend sequence.

load lib

NV_DA=0x1000000

# Define the DA-protected index (auth "test", no TPMA_NV_NO_DA) and fail one
# write with an empty password: the counter becomes 1.
da_setup() {
	run tpm2 nvdefine "$NV_DA" -C o -s 8 -a "authread|authwrite" -p test
	assert_status 0
	da_bad_write
	assert_eq "$(lockout_counter)" 0x1 "lockout counter after one failed authorization"
}

da_bad_write() {
	printf 12345678 >"$BATS_TEST_TMPDIR/nvdata"
	run tpm2 nvwrite "$NV_DA" -C "$NV_DA" -i "$BATS_TEST_TMPDIR/nvdata"
	assert_failed
	[[ "$output" == *"ErrorCode (0x0000098e)"* ]] || fail "bad-auth nvwrite: $output"
}

# INIT ioctl (swtpm_ioctl -i), then Startup(CLEAR) from the client.
init_and_startup() {
	run ptm_ioctl -i
	assert_status 0
	run tpm2 startup -c
	assert_status 0
}

@test "auto-shutdown (a): repeated INIT without client Shutdown keeps the lockout counter at 1" {
	vtpm_start_ready
	da_setup
	init_and_startup
	assert_eq "$(lockout_counter)" 0x1 "after the first INIT"
	init_and_startup
	assert_eq "$(lockout_counter)" 0x1 "after the second INIT"
	# A real failure still counts.
	da_bad_write
	assert_eq "$(lockout_counter)" 0x2 "after a second failed authorization"
	init_and_startup
	assert_eq "$(lockout_counter)" 0x2 "after a third INIT"
}

@test "auto-shutdown (a): with disable-auto-shutdown the same INIT raises the counter" {
	vtpm_start_ready --flags not-need-init,startup-clear,disable-auto-shutdown
	da_setup
	init_and_startup
	assert_eq "$(lockout_counter)" 0x2 "after INIT without any Shutdown"
}

@test "auto-shutdown: PTM_SHUTDOWN and SIGTERM also shut the TPM down in order" {
	vtpm_start_ready
	da_setup
	run ptm_ioctl -s
	assert_status 0
	vtpm_wait_exit "$VTPM_PID" 30
	vtpm_start_ready
	assert_eq "$(lockout_counter)" 0x1 "after PTM_SHUTDOWN and restart"
	da_bad_write
	assert_eq "$(lockout_counter)" 0x2
	vtpm_stop
	vtpm_start_ready
	assert_eq "$(lockout_counter)" 0x2 "after SIGTERM and restart"
}

@test "auto-shutdown: with disable-auto-shutdown SIGTERM leaves the TPM unorderly" {
	vtpm_start_ready --flags not-need-init,startup-clear,disable-auto-shutdown
	da_setup
	vtpm_stop
	vtpm_start_ready --flags not-need-init,startup-clear,disable-auto-shutdown
	assert_eq "$(lockout_counter)" 0x2 "after SIGTERM and restart without auto-shutdown"
}

@test "auto-shutdown: STOP sends the Shutdown too" {
	vtpm_start_ready
	da_setup
	run ptm_ioctl --stop
	assert_status 0
	init_and_startup
	assert_eq "$(lockout_counter)" 0x1 "after STOP, INIT"
}

@test "auto-shutdown: a client Shutdown(CLEAR) is not overridden" {
	# The client's own Shutdown(CLEAR) was last: vtpmd must not add one,
	# so Startup(STATE) is refused and PCRs start clean.
	vtpm_start_ready
	run tpm2 pcrextend "5:sha256=$DIGEST_AA"
	assert_status 0
	run tpm2 shutdown -c
	assert_status 0
	run ptm_ioctl -i
	assert_status 0
	run tpm2 startup
	assert_failed
	[[ "$output" == *"ErrorCode (0x000001c4)"* ]] || fail "Startup(STATE) after Shutdown(CLEAR): $output"
	run tpm2 startup -c
	assert_status 0
	assert_eq "$(pcr_value sha256:5)" "0x$(printf '0%.0s' {1..64})"
}

@test "auto-shutdown (b): suspend sequence Startup, Extend, Shutdown(STATE), GetRandom, INIT, Startup(STATE)" {
	vtpm_start
	run ptm_ioctl -i
	assert_status 0
	run tpm2 startup -c
	assert_status 0
	run tpm2 pcrextend "5:sha256=$DIGEST_AA"
	assert_status 0
	assert_eq "$(pcr_value sha256:5)" "0x$PCR_AFTER_AA"
	run tpm2 shutdown
	assert_status 0
	run tpm2 getrandom 8 --hex
	assert_status 0
	run ptm_ioctl -i
	assert_status 0
	run tpm2 startup
	assert_status 0
	assert_eq "$(pcr_value sha256:5)" "0x$PCR_AFTER_AA" "PCR 5 after resume"
}

@test "auto-shutdown (b): without a client Shutdown, INIT + Startup(STATE) resumes" {
	vtpm_start_ready
	run tpm2 pcrextend "5:sha256=$DIGEST_AA"
	assert_status 0
	run ptm_ioctl -i
	assert_status 0
	run tpm2 startup
	assert_status 0
	assert_eq "$(pcr_value sha256:5)" "0x$PCR_AFTER_AA" "PCR 5 after resume"
}

@test "auto-shutdown (b): with disable-auto-shutdown that Startup(STATE) is refused" {
	vtpm_start_ready --flags not-need-init,startup-clear,disable-auto-shutdown
	run tpm2 pcrextend "5:sha256=$DIGEST_AA"
	assert_status 0
	run ptm_ioctl -i
	assert_status 0
	run tpm2 startup
	assert_failed
	[[ "$output" == *"ErrorCode (0x000001c4)"* ]] || fail "Startup(STATE): $output"
}
