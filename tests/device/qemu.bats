#!/usr/bin/env bats
# QEMU's passthrough backend on /dev/vtpmN: a nested TCG guest with no disk
# opens the node, passes QEMU's TPM probe (it would exit otherwise), and its
# SeaBIOS firmware sends TPM2_Startup and TPM2_SelfTest. QEMU sends no
# ioctls, so the TPM runs with --flags not-need-init (powered on, no Startup:
# the firmware sends it).
#
# TCG inside the test VM's TCG is slow: SeaBIOS needs about 45 s on an idle
# machine. The guest is stopped once SeaBIOS reports "No bootable device", or
# after QEMU_BUDGET seconds.
load lib

QEMU_BUDGET=${QEMU_BUDGET:-150}
# TPM2_Startup(SU_CLEAR), as bytes in a pcapng file.
STARTUP_CLEAR_BYTES='\x80\x01\x00\x00\x00\x0c\x00\x00\x01\x44\x00\x00'

# tshark_field FILE FILTER FIELD: FIELD of each frame FILTER selects.
tshark_field() {
	timeout 300 tshark -r "$1" -Y "$2" -T fields -e "$3" 2>/dev/null
}

# bats test_tags=slow
@test "QEMU passthrough: the probe passes and the guest firmware's TPM2_Startup reaches the TPM" {
	command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is not installed"
	local pcap=$BATS_TEST_TMPDIR/qemu.pcapng serial=$BATS_TEST_TMPDIR/serial.log
	vtpm_start --flags not-need-init --pcap "file=$pcap"

	qemu-system-x86_64 -machine q35,accel=tcg -nodefaults -nographic -m 128 \
		-monitor none -serial "file:$serial" -net none \
		-tpmdev "passthrough,id=tpm0,path=$VTPM_DEV,cancel-path=/dev/null" \
		-device tpm-tis,tpmdev=tpm0 \
		>"$BATS_TEST_TMPDIR/qemu.out" 2>&1 3>&- </dev/null &
	local qemu=$! i
	for (( i = 0; i < QEMU_BUDGET; i++ )); do
		grep -q "No bootable device" "$serial" 2>/dev/null && break
		pid_alive "$qemu" || break
		sleep 1
	done
	pid_alive "$qemu" ||
		fail "QEMU exited by itself: $(cat "$BATS_TEST_TMPDIR/qemu.out")"
	kill -TERM "$qemu"
	wait "$qemu" || true
	echo "# SeaBIOS after ${i}s: $(tr -d '\r' <"$serial" | grep -a -c 'No bootable device') 'No bootable device'" >&3

	# What the TPM received: QEMU's probe (TPM2_ReadClock, before any
	# Startup, so TPM_RC_INITIALIZE), then the firmware's Startup(SU_CLEAR).
	run tshark_field "$pcap" 'tcp.dstport == 2321' tpm.req.cc
	assert_status 0
	assert_eq "${lines[0]}" 0x00000181 "QEMU's probe command"
	[[ " ${lines[*]} " == *" 0x00000144 "* ]] ||
		fail "no TPM2_Startup from the firmware; commands: ${lines[*]}"
	run tshark_field "$pcap" 'tcp.srcport == 2321' tpm.resp.rc
	assert_status 0
	assert_eq "${lines[0]}" 0x00000100 "the probe's response code"
	LC_ALL=C grep -qaP "$STARTUP_CLEAR_BYTES" "$pcap" || fail "the Startup was not Startup(SU_CLEAR)"

	# The firmware went on: its TPM2_SelfTest ran and succeeded (each
	# command's frame is followed by its response's).
	run timeout 300 tshark -r "$pcap" -Y tpm -T fields -E separator=, \
		-e tpm.req.cc -e tpm.resp.rc 2>/dev/null
	assert_status 0
	local k found=
	for (( k = 0; k + 1 < ${#lines[@]}; k++ )); do
		[[ ${lines[k]} == 0x00000143, && ${lines[k + 1]} == ,0x00000000 ]] && found=yes
	done
	[[ -n $found ]] || fail "no successful TPM2_SelfTest from the firmware: ${lines[*]}"

	# The device shows it too: a client's Startup now gets TPM_RC_INITIALIZE
	# (already started), and commands work without one.
	run tpmraw "x:$CMD_STARTUP_CLEAR"
	assert_status 0
	assert_eq "$output" "resp $RSP_NOT_STARTED_TPM2" "client TPM2_Startup after the firmware's"
	run tpm2 getrandom --hex 8
	assert_status 0
	vtpm_stop
}
