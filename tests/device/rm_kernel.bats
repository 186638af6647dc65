#!/usr/bin/env bats
# Side by side with the kernel's own resource manager (issue 21): Debian's
# swtpm in chardev mode behind tpm_vtpm_proxy gives a kernel /dev/tpmrmN;
# the same scripted workload (tests/tools/rmsteps: objects, sessions,
# listings, and the error paths -- an unknown command, another file's and
# physical handles, a flushed handle, more objects and sessions than the
# kernel keeps) runs on it and on vtpmd's /dev/vtpmrmN, and the answers
# match step by step, except where vtpmd is better on purpose, each named
# below. The table is printed to the test's output.
load lib
load rm

# step -> why vtpmd answers otherwise (global: bats loads this file in a
# function)
declare -gA BETTER=(
	[createprimary-4]="limits: 27 objects per open file (the kernel: 3)"
	[A-lists-transient-4]="limits: the fourth object is there"
	[startauthsession-4]="limits: the TPM's 64 sessions shared fairly (the kernel: 3 per open file)"
	[B-lists-saved-sessions]="isolation: a file lists only its own sessions (the kernel: every session the TPM holds)"
)

# Start Debian's swtpm as a kernel TPM; KERNEL_RM is its /dev/tpmrmN.
kernel_tpm_start() {
	[[ -d /sys/module/tpm_vtpm_proxy ]] || modprobe tpm_vtpm_proxy 2>/dev/null ||
		skip "no tpm_vtpm_proxy module"
	command -v swtpm >/dev/null || skip "Debian's swtpm is not installed"
	mkdir -p "$BATS_TEST_TMPDIR/kstate"
	timeout 60 swtpm chardev --vtpm-proxy --tpm2 --tpmstate "dir=$BATS_TEST_TMPDIR/kstate" \
		--flags not-need-init,startup-clear --pid "file=$BATS_TEST_TMPDIR/swtpm.pid" -d \
		>"$BATS_TEST_TMPDIR/swtpm.out" 2>&1 3>&- </dev/null ||
		fail "swtpm chardev: $(cat "$BATS_TEST_TMPDIR/swtpm.out")"
	SW_PID=$(cat "$BATS_TEST_TMPDIR/swtpm.pid")
	VTPM_PIDS+=("$SW_PID")
	local n
	n=$(sed -n 's|^New TPM device: /dev/tpm\([0-9]*\).*|\1|p' "$BATS_TEST_TMPDIR/swtpm.out")
	[[ -n $n ]] || fail "swtpm named no device: $(cat "$BATS_TEST_TMPDIR/swtpm.out")"
	KERNEL_RM=/dev/tpmrm$n
	wait_until 30 test -c "$KERNEL_RM" || fail "$KERNEL_RM did not appear"
}

@test "rm: side by side with the kernel's resource manager: the same workload, step by step" {
	local i k v table="$BATS_TEST_TMPDIR/side-by-side.md" step
	kernel_tpm_start
	run rmsteps "$KERNEL_RM"
	assert_status 0
	local kernel=("${lines[@]}")
	vtpm_start_ready
	run rmsteps "$RM_DEV"
	assert_status 0
	local ours=("${lines[@]}")
	assert_eq "${#ours[@]}" "${#kernel[@]}" "number of steps"
	{
		echo "| step | kernel /dev/tpmrmN | vtpmd /dev/vtpmrmN | |"
		echo "|---|---|---|---|"
	} >"$table"
	for (( i = 0; i < ${#ours[@]}; i++ )); do
		step=${ours[$i]%% *}
		k=${kernel[$i]#* }
		v=${ours[$i]#* }
		assert_eq "${kernel[$i]%% *}" "$step" "step $i"
		if [[ -n ${BETTER[$step]:-} ]]; then
			[[ $k != "$v" ]] || fail "$step: the same answer as the kernel's, expected vtpmd to differ (${BETTER[$step]})"
			echo "| $step | $k | $v | ${BETTER[$step]} |" >>"$table"
		else
			assert_eq "$v" "$k" "$step: vtpmd against the kernel"
			echo "| $step | $k | $v | same |" >>"$table"
		fi
	done
	sed 's/^/# /' "$table" >&3
	kill -TERM "$SW_PID" 2>/dev/null || true
	wait_until 30 pid_gone "$SW_PID" || true
}
