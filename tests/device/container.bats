#!/usr/bin/env bats
# Containers: a device with fixed numbers (-M/-m), handed to a process in
# fresh mount, PID, UTS and IPC namespaces as its only /dev entry, /dev/tpm0,
# and used there with tpm2-tools. Two containers get two independent TPMs.
load lib

# The lowest character major in the range Linux reserves for local use
# (240-254) that nothing has taken, so -M does not collide with a driver.
free_char_major() {
	local m
	for m in $(seq 240 254); do
		sed -n '/^Character devices:/,/^$/p' /proc/devices | grep -qE "^ *$m " || {
			echo "$m"
			return 0
		}
	done
	return 1
}

# in_container HOSTDEV SCRIPT: run SCRIPT with bash in new namespaces whose
# /dev is a private tmpfs holding only HOSTDEV, bind-mounted as /dev/tpm0.
in_container() {
	timeout 300 unshare --mount --pid --fork --mount-proc --uts --ipc --propagation private \
		bash -c '
			set -e
			newdev=$(mktemp -d)
			mount -t tmpfs -o mode=0755,nosuid tmpfs "$newdev"
			touch "$newdev/tpm0"
			mount --bind "$1" "$newdev/tpm0"
			mount --move "$newdev" /dev
			rmdir "$newdev"
			exec bash -c "$2"
		' container "$1" "$2"
}

start_two_devices() { # MAJOR
	vtpm_start_ready -M "$1" -m 0
	DEV1=$VTPM_DEV PID1=$VTPM_PID
	VTPM2_NAME="${VTPM_NAME}b"
	vtpm_start_as "$VTPM2_NAME" "$BATS_TEST_TMPDIR/state2" "$BATS_TEST_TMPDIR/pid2" \
		--flags not-need-init,startup-clear -M "$1" -m 1
	DEV2=/dev/$VTPM2_NAME PID2=$VTPM_PID
	VTPM_PID=$PID1
}

@test "-M/-m give the node fixed numbers; a second device gets its own" {
	local major
	major=$(free_char_major) || skip "no free character major in 240-254"
	start_two_devices "$major"
	assert_eq "$(stat -c %t:%T "$DEV1")" "$(printf '%x:0' "$major")" "numbers of $DEV1"
	assert_eq "$(stat -c %t:%T "$DEV2")" "$(printf '%x:1' "$major")" "numbers of $DEV2"
	vtpm_stop "$PID2" "$VTPM2_NAME"
	vtpm_stop "$PID1"
}

@test "in fresh namespaces with only /dev/tpm0, tpm2-tools use the device; containers are isolated" {
	local major
	major=$(free_char_major) || skip "no free character major in 240-254"
	start_two_devices "$major"

	# Container 1: its /dev holds tpm0 only, with the numbers of DEV1; it
	# is PID 1 of its namespace and sees no host process (vtpmd included).
	run in_container "$DEV1" '
		echo "dev: $(ls -A /dev)"
		echo "numbers: $(stat -c %t:%T /dev/tpm0)"
		echo "pid: $$"
		echo "procs: $(ls /proc | grep -c "^[0-9]")"
		tpm2_pcrextend -T device:/dev/tpm0 16:sha256='"$DIGEST_AA"'
		tpm2_pcrread -T device:/dev/tpm0 sha256:16 | sed -n "s/^ *16 *: /pcr16: /p"
	'
	assert_status 0
	assert_eq "${lines[0]}" "dev: tpm0"
	assert_eq "${lines[1]}" "numbers: $(printf '%x:0' "$major")"
	assert_eq "${lines[2]}" "pid: 1"
	assert_match "${lines[3]}" '^procs: [1-5]$'
	assert_eq "${lines[4]}" "pcr16: 0x$PCR_AFTER_AA"

	# Container 2 has the other TPM: PCR 16 untouched there.
	run in_container "$DEV2" '
		echo "numbers: $(stat -c %t:%T /dev/tpm0)"
		tpm2_pcrread -T device:/dev/tpm0 sha256:16 | sed -n "s/^ *16 *: /pcr16: /p"
	'
	assert_status 0
	assert_eq "${lines[0]}" "numbers: $(printf '%x:1' "$major")"
	assert_eq "${lines[1]}" "pcr16: 0x$(printf '0%.0s' {1..64})"

	# And on the host, DEV1 kept what container 1 did.
	assert_eq "$(VTPM_DEV=$DEV1 pcr_value sha256:16)" "0x$PCR_AFTER_AA"
	vtpm_stop "$PID2" "$VTPM2_NAME"
	vtpm_stop "$PID1"
}
