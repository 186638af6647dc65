#!/usr/bin/env bats
# podman 4.3 (Debian 12, crun) gives containers a vtpmd device: by CDI name
# (vtpmd --cdi, podman run --device vtpmd.io/tpm=NAME: root in the container
# gets TPM commands and harmless queries, never the control plane, which the
# host drives on NAME-ctl) and by path (--device /dev/NAME:/dev/tpm0). tpm2-tools inside the container use it; a container
# without it has no TPM; two containers with two devices are isolated; a
# --runas vtpmd behind udev's rule serves containers, and the host node's
# group decides who may use it through --device.
load lib
load containers

setup_file() {
	ct_setup_file
}

teardown_file() {
	ct_teardown_file
}

# bats test_tags=slow
@test "podman --device vtpmd.io/tpm=NAME: tpm2-tools in the container use the TPM; without it there is none" {
	vtpm_start_ready --cdi "$CT_CDI_DIR"

	run ct_run -- 'ls /dev; ls /sys/class/tpm 2>&1 | head -1'
	assert_status 0
	[[ "$output" != *tpm* ]] || fail "a container without the device has a TPM: $output"

	run ct_run --device "$CT_KIND=$VTPM_NAME" -- "
		stat -c '%F %a %t:%T' /dev/tpm0
		$CT_GETRANDOM
		$CT_EXTEND_AND_READ"
	assert_status 0
	local nums
	nums=$(stat -c %t:%T "$VTPM_DEV")
	assert_eq "${lines[0]}" "character special file 660 $nums" "/dev/tpm0 in the container"
	assert_match "${lines[1]}" '^[0-9a-f]{16}$' "tpm2_getrandom"
	assert_eq "${lines[2]}" "pcr16: 0x$PCR_AFTER_AA"
	# The host reads what the container extended.
	assert_eq "$(pcr_value sha256:16)" "0x$PCR_AFTER_AA"

	# Root in the container: TPM commands, and of the control plane the
	# four queries only; the host's control node is not in its /dev.
	run ct_run "${CT_PTMCTL[@]}" --device "$CT_KIND=$VTPM_NAME" -- "
		id -u
		/ptmctl /dev/tpm0 sweep
		ls /dev | grep -c ctl || true
		$CT_GETRANDOM"
	assert_eq "${lines[0]}" 0 "uid in the container"
	assert_eq "$(printf '%s\n' "${lines[@]:1:20}")" "$SWEEP_CLIENT" "control requests from the container"
	assert_eq "${lines[21]}" 0 "control nodes in the container's /dev"
	assert_match "${lines[22]}" '^[0-9a-f]{16}$' "tpm2_getrandom after the sweep"
	assert_eq "$(pcr_value sha256:16)" "0x$PCR_AFTER_AA" "PCR 16 after the container's INIT"
	# The host's swtpm_ioctl drives all of it on the control node.
	run timeout 60 swtpm_ioctl -c "$VTPM_DEV-ctl"
	assert_eq "$output" "ptm capability is 0x16fff"
	run timeout 60 swtpm_ioctl --save permanent "$BATS_TEST_TMPDIR/perm" "$VTPM_DEV-ctl"
	assert_status 0
	run timeout 60 swtpm_ioctl -i "$VTPM_DEV-ctl"
	assert_status 0
	run tpm2 startup -c
	assert_status 0
	assert_eq "$(pcr_value sha256:16)" "$PCR16_ZERO" "PCR 16 after the host's INIT"

	# As a user: the node belongs to the container's user.
	run ct_run --user tss --device "$CT_KIND=$VTPM_NAME" -- "id -un; stat -c '%U %a' /dev/tpm0; $CT_GETRANDOM"
	assert_status 0
	assert_eq "${lines[0]}" tss
	assert_eq "${lines[1]}" "tss 660" "owner and mode of /dev/tpm0 for --user tss"
	assert_match "${lines[2]}" '^[0-9a-f]{16}$' "tpm2_getrandom as tss"

	vtpm_stop
	# Its spec went with it: podman no longer knows the name.
	run ct_run --device "$CT_KIND=$VTPM_NAME" -- true
	assert_failed
	[[ "$output" == *"unresolvable CDI devices"* ]] || fail "podman: $output"
}

# bats test_tags=slow
@test "podman --device /dev/NAME:/dev/tpm0 (fixed numbers); two containers with two devices are isolated" {
	local major
	major=$(free_char_major) || skip "no free character major in 240-254"
	vtpm_start_ready -M "$major" -m 0
	local dev1=$VTPM_DEV pid1=$VTPM_PID name2=${VTPM_NAME}b
	vtpm_start_as "$name2" "$BATS_TEST_TMPDIR/state2" "$BATS_TEST_TMPDIR/pid2" \
		--flags not-need-init,startup-clear -M "$major" -m 1
	local pid2=$VTPM_PID
	VTPM_PID=$pid1

	run ct_run --device "$dev1:/dev/tpm0" -- "stat -c %t:%T /dev/tpm0; $CT_EXTEND_AND_READ"
	assert_status 0
	assert_eq "${lines[0]}" "$(printf '%x:0' "$major")"
	assert_eq "${lines[1]}" "pcr16: 0x$PCR_AFTER_AA"

	run ct_run --device "/dev/$name2:/dev/tpm0" -- "stat -c %t:%T /dev/tpm0; $CT_READ_PCR16"
	assert_status 0
	assert_eq "${lines[0]}" "$(printf '%x:1' "$major")"
	assert_eq "${lines[1]}" "pcr16: $PCR16_ZERO" "PCR 16 in the other container"

	assert_eq "$(VTPM_DEV=$dev1 pcr_value sha256:16)" "0x$PCR_AFTER_AA"
	assert_eq "$(VTPM_DEV=/dev/$name2 pcr_value sha256:16)" "$PCR16_ZERO"
	vtpm_stop "$pid2" "$name2"
	vtpm_stop "$pid1"
}

# The udev rule as in udev.bats, with a systemd-udevd of our own where none runs.
start_udevd() {
	export SYSTEMD_IGNORE_CHROOT=1
	[[ -x /lib/systemd/systemd-udevd ]] || skip "systemd-udevd is not installed"
	mkdir -p /run/udev/rules.d
	cp "$BATS_TEST_DIRNAME/../../udev/90-vtpmd.rules" /run/udev/rules.d/
	if udevadm control --ping 2>/dev/null; then
		udevadm control --reload
	else
		/lib/systemd/systemd-udevd >/dev/null 2>&1 3>&- </dev/null &
		UDEVD_PID=$!
		wait_until 30 udevadm control --ping 2>/dev/null || fail "systemd-udevd did not come up"
	fi
}

stop_udevd() {
	rm -f /run/udev/rules.d/90-vtpmd.rules
	if [[ -n "${UDEVD_PID:-}" ]]; then
		kill -TERM "$UDEVD_PID" 2>/dev/null || true
		wait_until 10 pid_gone "$UDEVD_PID" || kill -KILL "$UDEVD_PID" 2>/dev/null || true
	fi
}

# bats test_tags=slow
@test "--runas tss behind udev's rule: the host node is root:tss 0660; through --device tss may use it, nobody may not" {
	start_udevd
	local base
	base=$(mktemp -d /tmp/vtpmd-ct.XXXXXX)
	chmod 0755 "$base"
	mkdir "$base/state"
	chown tss "$base/state"
	vtpm_start_as "$VTPM_NAME" "$base/state" "$VTPM_PIDFILE" --runas tss \
		--flags not-need-init,startup-clear --cdi "$CT_CDI_DIR"
	timeout 60 udevadm settle --timeout=50 || fail "udevadm settle timed out"
	assert_eq "$(stat -c '%U:%G %a' "$VTPM_DEV")" "root:tss 660" "the host node"
	assert_eq "$(sed -n 's/^Uid:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$VTPM_PID/status")" \
		"$(id -u tss)" "vtpmd's uid"

	# --device copies the host node as it is: the group decides.
	run ct_run --user tss --device "$VTPM_DEV:/dev/tpm0" -- "$CT_GETRANDOM"
	assert_status 0
	assert_match "${lines[0]}" '^[0-9a-f]{16}$' "tpm2_getrandom as tss"
	run ct_run --user nobody --device "$VTPM_DEV:/dev/tpm0" -- 'exec 3<>/dev/tpm0 && echo opened'
	assert_failed
	[[ "$output" == *"Permission denied"* ]] || fail "open as nobody: $output"

	# By CDI name the runtime makes the node for the container's user.
	run ct_run --device "$CT_KIND=$VTPM_NAME" -- "$CT_EXTEND_AND_READ"
	assert_status 0
	assert_eq "${lines[0]}" "pcr16: 0x$PCR_AFTER_AA"
	vtpm_stop
	stop_udevd
	[[ -s "$base/state/tpm2-00.permall" ]] || fail "no state written by the tss daemon"
	assert_eq "$(stat -c %U "$base/state/tpm2-00.permall")" tss "owner of the state"
	rm -rf "$base"
}
