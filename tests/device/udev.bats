#!/usr/bin/env bats
# udev/90-vtpmd.rules with a real systemd-udevd: the client node of a vtpmd
# with a control node becomes root:tss 0660, so members of tss use it (TPM
# commands and harmless queries) and nobody else can open it; the control
# node, a node without one (swtpm's drop-in, which answers every control
# request) and vtpm-cdi's container slot nodes stay root:root 0600.
load lib

RULES=$BATS_TEST_DIRNAME/../../udev/90-vtpmd.rules
# The test VM runs its command in a chroot, where udevadm would otherwise
# answer every request with "Running in chroot, ignoring request".
export SYSTEMD_IGNORE_CHROOT=1
RULES_COPY=/run/udev/rules.d/90-vtpmd.rules

# Use the running udevd if there is one (a real host), else start our own
# (the test VM has none) and stop it at the end.
setup_file() {
	[[ -x /lib/systemd/systemd-udevd ]] || skip "systemd-udevd is not installed (apt-get install udev)"
	mkdir -p /run/udev/rules.d
	cp "$RULES" "$RULES_COPY"
	if udevadm control --ping 2>/dev/null; then
		udevadm control --reload
	else
		/lib/systemd/systemd-udevd >/dev/null 2>&1 3>&- </dev/null &
		echo $! >"$BATS_FILE_TMPDIR/udevd.pid"
		wait_until 30 udevadm control --ping 2>/dev/null ||
			fail "systemd-udevd did not come up"
	fi
}

teardown_file() {
	local pid
	rm -f "$RULES_COPY"
	if [[ -s "$BATS_FILE_TMPDIR/udevd.pid" ]]; then
		pid=$(cat "$BATS_FILE_TMPDIR/udevd.pid")
		kill -TERM "$pid" 2>/dev/null || true
		wait_until 10 pid_gone "$pid" || kill -KILL "$pid" 2>/dev/null || true
		# libdevmapper takes this socket for a running udevd and would
		# wait for it forever (cryptsetup in a later test file)
		rm -f /run/udev/control
	else
		udevadm control --reload 2>/dev/null || true
	fi
}

# Start a device and wait for udev to have handled its "add" event.
start_and_settle() { # vtpm_start_as ARGS...
	vtpm_start_as "$@"
	timeout 60 udevadm settle --timeout=50 || fail "udevadm settle timed out"
}

@test "a vtpm* client node is root:tss 0660 once udev has seen it; its control node stays root:root 0600" {
	start_and_settle "$VTPM_NAME" "$VTPM_STATE" "$VTPM_PIDFILE" --control-node \
		--flags not-need-init,startup-clear
	assert_eq "$(stat -c '%U:%G %a' "$VTPM_DEV")" "root:tss 660" "owner and mode of $VTPM_DEV"
	assert_eq "$(stat -c '%U:%G %a' "$VTPM_DEV-ctl")" "root:root 600" "owner and mode of $VTPM_DEV-ctl"
	vtpm_stop
}

@test "no group the control plane: a node without a control node, and a container slot node, stay root-only" {
	# plain vtpmd answers every control request on its node
	start_and_settle "$VTPM_NAME" "$VTPM_STATE" "$VTPM_PIDFILE" --flags not-need-init
	assert_eq "$(stat -c '%U:%G %a' "$VTPM_DEV")" "root:root 600" "owner and mode of $VTPM_DEV"
	vtpm_stop
	# vtpm-cdi names its slot nodes vtpm-PREFIXn: they are the containers'
	local slot="vtpm-udevtest${BATS_SUITE_TEST_NUMBER}"
	start_and_settle "$slot" "$VTPM_STATE" "$VTPM_PIDFILE" --control-node --flags not-need-init
	assert_eq "$(stat -c '%U:%G %a' "/dev/$slot")" "root:root 600" "owner and mode of /dev/$slot"
	assert_eq "$(stat -c '%U:%G %a' "/dev/$slot-ctl")" "root:root 600" "owner and mode of /dev/$slot-ctl"
	vtpm_stop "$VTPM_PID" "$slot"
}

@test "the rule matches vtpm* only: another CUSE node stays root-only" {
	local name="xtpmtest-$BATS_SUITE_TEST_NUMBER"
	start_and_settle "$name" "$VTPM_STATE" "$VTPM_PIDFILE" --flags not-need-init
	assert_eq "$(stat -c '%U:%G %a' "/dev/$name")" "root:root 600" "owner and mode of /dev/$name"
	vtpm_stop "$VTPM_PID" "$name"
}

@test "a member of tss uses the node with tpm2-tools, not its control plane; a user outside tss gets EACCES" {
	start_and_settle "$VTPM_NAME" "$VTPM_STATE" "$VTPM_PIDFILE" --control-node \
		--flags not-need-init,startup-clear
	local as_tss=(setpriv --reuid=tss --regid=tss --init-groups env HOME=/tmp)
	local as_nobody=(setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME=/tmp)

	run "${as_tss[@]}" id -Gn
	[[ " $output " == *" tss "* ]] || fail "the tss user is not in group tss: $output"
	run --separate-stderr "${as_tss[@]}" timeout 120 tpm2_getrandom -T "device:$VTPM_DEV" --hex 8
	assert_status 0
	assert_match "$output" '^[0-9a-f]{16}$' "tpm2_getrandom as tss"

	# the node's control requests: refused; the control node: not openable
	run "${as_tss[@]}" timeout 60 "$VTPM_TOOLS/ptmctl" "$VTPM_DEV" init
	assert_eq "$output" "errno EPERM" "INIT by a member of tss"
	run "${as_tss[@]}" timeout 60 "$VTPM_TOOLS/ptmctl" "$VTPM_DEV" get-state 1 /tmp/stolen
	assert_eq "$output" "errno EPERM" "GET_STATEBLOB by a member of tss"
	[[ ! -s /tmp/stolen ]] || fail "a state blob left the device"
	run "${as_tss[@]}" bash -c "exec 3<>'$VTPM_DEV-ctl'"
	assert_failed
	[[ "$output" == *"Permission denied"* ]] || fail "open of the control node as tss: $output"

	run "${as_nobody[@]}" bash -c "exec 3<>'$VTPM_DEV'"
	assert_failed
	[[ "$output" == *"Permission denied"* ]] || fail "open as nobody: expected EACCES, got: $output"
	run "${as_nobody[@]}" timeout 120 tpm2_getrandom -T "device:$VTPM_DEV" --hex 8
	assert_failed
	[[ "$output" == *"Permission denied"* ]] || fail "tpm2_getrandom as nobody: $output"
	vtpm_stop
}

@test "a vtpmrmN node is tss:tss 0660, as tpm-udev treats the kernel's tpmrmN, also beside a plain vtpmd's root-only node; a member of tss uses it" {
	local name="vtpm$((700 + BATS_SUITE_TEST_NUMBER))"
	local rm="/dev/vtpmrm$((700 + BATS_SUITE_TEST_NUMBER))"
	start_and_settle "$name" "$VTPM_STATE" "$VTPM_PIDFILE" --flags not-need-init,startup-clear
	assert_eq "$(stat -c '%U:%G %a' "$rm")" "tss:tss 660" "owner and mode of $rm"
	# plain vtpmd (no control node) answers every control request on
	# /dev/NAME: that one stays root's, the commands-only RM node is tss's
	assert_eq "$(stat -c '%U:%G %a' "/dev/$name")" "root:root 600" "owner and mode of /dev/$name"
	run --separate-stderr setpriv --reuid=tss --regid=tss --init-groups env HOME=/tmp \
		timeout 120 tpm2_getrandom -T "device:$rm" --hex 8
	assert_status 0
	assert_match "$output" '^[0-9a-f]{16}$' "tpm2_getrandom as tss on $rm"
	vtpm_stop "$VTPM_PID" "$name"
}
