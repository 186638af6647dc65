#!/usr/bin/env bats
# A guest operating system uses vtpmd's TPM through QEMU's passthrough
# backend. Nested QEMU (TCG inside the test VM) boots the test VM's own
# kernel with the initramfs of tests/guest/, whose init uses the TPM through
# the kernel's driver and reports on the serial console what it saw
# (qemu_guest.bash says how the guest boots and why). From those reports the
# test checks that the guest kernel's driver bound to a TPM 2.0 with its
# hierarchies on, that the firmware measured the boot if it was the one that
# started the TPM, and that the guest read a PCR through sysfs, extended it
# and got random bytes through /dev/tpmrm0; once QEMU has ended, that vtpmd
# holds the PCR value the guest made.
#
# Slow: one guest boot takes one to three minutes (TCG inside TCG).
load lib
load qemu_guest

GUEST_PCR=23
ZERO_PCR=0000000000000000000000000000000000000000000000000000000000000000
# TPM2_GetCapability's response for TPM_PT_STARTUP_CLEAR, as a regular
# expression up to the value: header (27 bytes, success), moreData (NO or
# YES), TPM_CAP_TPM_PROPERTIES, one property, TPM_PT_STARTUP_CLEAR.
RSP_GETCAP_STARTUP_CLEAR=80010000001b000000000[01]000000060000000100000201
# Two boots and the checks must fit into one test.
if ((${BATS_TEST_TIMEOUT:-0} < 3 * GUEST_BOOT_BUDGET)); then
	BATS_TEST_TIMEOUT=$((3 * GUEST_BOOT_BUDGET))
fi

# lib.bash's teardown under another name, so this file's can wrap it: a
# guest still running goes before the daemon it uses.
eval "$(declare -f teardown | sed '1s/^teardown /lib_teardown /')"
teardown() {
	guest_kill
	lib_teardown
}

# assert_hierarchies_on BOOT: in report BOOT, TPMA_STARTUP_CLEAR has phEnable,
# shEnable and ehEnable: the firmware left the guest a TPM it can use.
assert_hierarchies_on() {
	local r
	r=$(guest_field "$1" startup-clear)
	assert_match "$r" "^resp ${RSP_GETCAP_STARTUP_CLEAR}[0-9a-f]{8}\$" \
		"boot $1: TPM2_GetCapability(TPM_PT_STARTUP_CLEAR)"
	(((0x${r: -8} & 7) == 7)) || fail "boot $1: hierarchies off: TPMA_STARTUP_CLEAR 0x${r: -8}"
}

# The guest's firmware starts the TPM: vtpmd runs it with not-need-init and
# no Startup, and SeaBIOS sends TPM2_Startup and a full TPM2_SelfTest, measures
# the boot and sets a random platform password. tpm-tis only: see the next test.
# bats test_tags=slow
@test "QEMU passthrough, tpm-tis, firmware starts the TPM: the guest kernel uses it, also after system_reset" {
	guest_prepare
	vtpm_start --flags not-need-init
	guest_start tpm-tis "GUEST_PCR=$GUEST_PCR" "GUEST_DIGEST=$DIGEST_AA"
	guest_wait_reports 1
	local first=$((SECONDS - GUEST_START))
	guest_monitor system_reset
	guest_wait_reports 2
	echo "# tpm-tis: report after ${first} s, after system_reset $((SECONDS - GUEST_START)) s" >&3
	guest_quit

	local after2 pcr0
	after2=$(sha256_extend "$PCR_AFTER_AA" "$DIGEST_AA")
	assert_guest_report 1 tpm_tis "$ZERO_PCR" "$PCR_AFTER_AA"
	assert_hierarchies_on 1
	pcr0=$(guest_field 1 pcr0)
	assert_match "$pcr0" '^[0-9A-F]{64}$' "boot 1: PCR 0"
	[[ $pcr0 != "$ZERO_PCR" ]] || fail "boot 1: PCR 0 is zero: the firmware measured nothing"
	# Resetting the machine does not reset a passthrough TPM: the PCRs keep
	# their values; SeaBIOS's TPM2_Startup gets TPM_RC_INITIALIZE, so it
	# measures nothing, and its try to turn the hierarchies off fails on the
	# platform password it set on the first boot.
	assert_guest_report 2 tpm_tis "$PCR_AFTER_AA" "$after2"
	assert_eq "$(guest_field 2 pcr0)" "$pcr0" "boot 2: PCR 0"
	assert_hierarchies_on 2
	assert_no_tpm_errors

	# What the guest left in the TPM, read through vtpmd.
	assert_eq "$(pcr_value "sha256:$GUEST_PCR")" "0x$after2" "PCR $GUEST_PCR read through $VTPM_DEV"
	vtpm_stop
}

# The host starts the TPM before QEMU opens it, as a platform's firmware does
# for a hardware TPM: INIT, TPM2_Startup, a random platform password (vtpmctl
# bios -u) and a full self test, so the guest kernel's TPM2_SelfTest finds
# nothing left to test. tpm-crb needs this: QEMU's CRB buffer holds 3968
# bytes, and QEMU 7.2 refuses a passthrough TPM whose commands may be longer,
# which it assumes of a TPM it cannot ask (one not started yet); so the
# buffer size is set before INIT, and the TPM is started before QEMU.
# bats test_tags=slow
@test "QEMU passthrough, tpm-crb, host starts the TPM: the guest kernel uses it" {
	guest_prepare
	vtpm_start
	guest_tpm_host_start
	guest_start tpm-crb "GUEST_PCR=$GUEST_PCR" "GUEST_DIGEST=$DIGEST_AA"
	guest_wait_reports 1
	echo "# tpm-crb: report after $((SECONDS - GUEST_START)) s" >&3
	guest_quit

	assert_guest_report 1 tpm_crb "$ZERO_PCR" "$PCR_AFTER_AA"
	# SeaBIOS's TPM2_Startup gets TPM_RC_INITIALIZE: no measurements, and
	# the hierarchies stay on (the platform password is not empty).
	assert_eq "$(guest_field 1 pcr0)" "$ZERO_PCR" "boot 1: PCR 0"
	assert_hierarchies_on 1
	assert_no_tpm_errors

	assert_eq "$(pcr_value "sha256:$GUEST_PCR")" "0x$PCR_AFTER_AA" "PCR $GUEST_PCR read through $VTPM_DEV"
	vtpm_stop
}
