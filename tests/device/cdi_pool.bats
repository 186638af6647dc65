#!/usr/bin/env bats
# A fresh vTPM per container, started by the runtime: vtpm-cdi writes a CDI
# spec of slots whose createRuntime hook starts vtpmd for the container and
# whose poststop hook ends it. Through podman (crun) and podman --runtime
# runc: a new TPM per container, gone with it; a slot asked for twice fails
# the second container with a clear error and leaves the first alone;
# --persistent keeps a TPM's state under the container's vtpmd.io/state
# annotation; --setup manufactures new state with vtpm-setup.
load lib
load containers

setup_file() {
	ct_setup_file
	POOL_MAJOR=$(free_char_major) || skip "no free character major in 240-254"
	VTPM_CDI=$(dirname "$VTPMD")/vtpm-cdi
	[[ -x "$VTPM_CDI" ]] || skip "$VTPM_CDI is not built"
	# /run: reachable by a --runas user (bats' own temp dirs are 0700).
	POOL_RUN=$(mktemp -d /run/vtpmtest-pool.XXXXXX)
	chmod 0711 "$POOL_RUN"
	POOL_STATE=$(mktemp -d /var/tmp/vtpmtest-pool-state.XXXXXX)
	export POOL_MAJOR VTPM_CDI POOL_RUN POOL_STATE
	pool slot --slots 3 --first-minor 0 --runas tss
	pool keep --slots 1 --first-minor 10 --persistent --state-dir "$POOL_STATE"
}

teardown_file() {
	local p
	for p in slot keep made; do
		"$VTPM_CDI" pool --remove --dir "$CT_CDI_DIR" --prefix "$p" || true
	done
	ct_teardown_file
	rm -rf "$POOL_RUN" "$POOL_STATE"
}

# pool PREFIX [OPTIONS...]: write the pool spec PREFIX0... on POOL_MAJOR.
pool() {
	local prefix=$1
	shift
	"$VTPM_CDI" pool --major "$POOL_MAJOR" --prefix "$prefix" --dir "$CT_CDI_DIR" \
		--run-dir "$POOL_RUN" --vtpmd "$VTPMD" --timeout 300 "$@" >/dev/null
}

# Every vtpmd of this build: none may outlive its container.
# Every vtpmd of this build: none may outlive its container, and each ended
# in order (on SIGTERM: TPM2_Shutdown, state written), not killed.
assert_no_vtpmd() {
	wait_until 60 test -z "$(vtpmd_pids)" || fail "vtpmd still running: $(vtpmd_pids)"
	[[ "$(hook_log)" != *"was killed"* ]] || fail "a vtpmd had to be killed: $(hook_log)"
}

hook_log() {
	cat "$POOL_RUN/hook.log" 2>/dev/null
}

# bats test_tags=slow
@test "podman --device vtpmd.io/tpm=slot1: a brand-new TPM starts with the container and ends with it (crun, runc)" {
	run ct_run --device "$CT_KIND=slot1" -- "
		stat -c '%F %a %t:%T' /dev/tpm0
		$CT_GETRANDOM
		$CT_EXTEND_AND_READ
		stat -c '%F %a %t:%T' /dev/tpmrm0
		tpm2_getrandom -T device:/dev/tpmrm0 --hex 8 && echo"
	assert_status 0
	assert_eq "${lines[0]}" "character special file 660 $(printf '%x:1' "$POOL_MAJOR")"
	assert_match "${lines[1]}" '^[0-9a-f]{16}$' "tpm2_getrandom"
	assert_eq "${lines[2]}" "pcr16: 0x$PCR_AFTER_AA"
	# the resource-managed node beside it, minor + 65536 (as tpmrmN)
	assert_eq "${lines[3]}" "character special file 660 $(printf '%x:10001' "$POOL_MAJOR")"
	assert_match "${lines[4]}" '^[0-9a-f]{16}$' "tpm2_getrandom on /dev/tpmrm0"
	# Gone with the container: the daemon, the nodes, the claim, the state.
	assert_no_vtpmd
	[[ ! -e /dev/vtpm-slot1 ]] || fail "/dev/vtpm-slot1 outlived the container"
	[[ ! -e /dev/vtpmrm-slot1 ]] || fail "/dev/vtpmrm-slot1 outlived the container"
	assert_eq "$(dir_list "$POOL_RUN")" "hook.log lock" "the run directory"
	[[ "$(hook_log)" == *"create slot1 container "*": /dev/vtpm-slot1 ($POOL_MAJOR:1) started"* ]] ||
		fail "hook log: $(hook_log)"
	[[ "$(hook_log)" == *"poststop slot1 container "*": /dev/vtpm-slot1 stopped"* ]] ||
		fail "hook log: $(hook_log)"

	# The next container on the same slot gets a new TPM (PCR 16 is zero),
	# served as --runas tss; runc runs the same hooks.
	run ct_run --runtime runc --device "$CT_KIND=slot1" -- "$CT_READ_PCR16"
	assert_status 0
	assert_eq "${lines[0]}" "pcr16: $PCR16_ZERO" "PCR 16 of the next container's TPM"
	assert_no_vtpmd
}

# bats test_tags=slow
@test "the same slot twice: the second container fails with a clear error, the first keeps its TPM" {
	local x=$BATS_TEST_TMPDIR/x owner pid
	mkdir -p "$x"
	ct_podman run -d --name vtpmtest-first --network none --log-driver k8s-file \
		-v "$x:/x" --device "$CT_KIND=slot2" --rootfs "$CT_ROOTFS" /bin/sh -c "
		$CT_EXTEND_AND_READ >/x/out
		touch /x/ready
		while [ ! -e /x/go ]; do sleep 0.2; done
		$CT_READ_PCR16 >>/x/out" >/dev/null
	wait_until 120 test -e "$x/ready" || fail "the first container did not start: $(hook_log)"
	owner=$(readlink "$POOL_RUN/slot-2")
	pid=$(cat "$POOL_RUN/c-$owner/vtpmd.pid")
	pid_alive "$pid" || fail "no vtpmd for the first container"
	# The pool's --runas: the slot's vtpmd serves as tss.
	assert_eq "$(sed -n 's/^Uid:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$pid/status")" \
		"$(id -u tss)" "uid of the slot's vtpmd"

	# crun reports the hook's exit status (16: the slot is held) ...
	run ct_run --device "$CT_KIND=slot2" -- 'echo should not run'
	assert_failed
	[[ "$output" == *"exit code: 16"* ]] || fail "podman (crun): $output"
	[[ "$output" != *"should not run"* ]] || fail "the second container ran"
	[[ "$(hook_log)" == *"create slot2 container "*": error: in use by container $owner"* ]] ||
		fail "hook log: $(hook_log)"
	# ... runc shows the hook's own line (and then runs its poststop hook,
	# which must leave the holder alone).
	run ct_run --runtime runc --device "$CT_KIND=slot2" -- 'echo should not run'
	assert_failed
	[[ "$output" == *"vtpm-cdi: slot2: in use by container $owner"* ]] || fail "podman (runc): $output"

	# The first container's TPM is the same one, untouched.
	pid_alive "$pid" || fail "the first container's vtpmd ($pid) was stopped"
	assert_eq "$(readlink "$POOL_RUN/slot-2")" "$owner" "the holder of slot2"
	touch "$x/go"
	run ct_podman wait vtpmtest-first
	assert_eq "$output" 0 "exit status of the first container"
	run cat "$x/out"
	assert_eq "${lines[0]}" "pcr16: 0x$PCR_AFTER_AA"
	assert_eq "${lines[1]}" "pcr16: 0x$PCR_AFTER_AA" "PCR 16 after the second container's attempts"
	ct_podman rm vtpmtest-first >/dev/null
	assert_no_vtpmd
	[[ ! -e "$POOL_RUN/slot-2" ]] || fail "slot2 is still claimed"
}

# bats test_tags=slow
@test "--persistent: the TPM's state outlives the container, found again by its vtpmd.io/state annotation" {
	local nv="-T device:/dev/tpm0 0x1500016 -C o"
	run ct_run --annotation vtpmd.io/state=web1 --device "$CT_KIND=keep0" -- "
		printf 12345678 >/tmp/d
		tpm2_nvdefine $nv -s 8 -a 'ownerread|ownerwrite' >/dev/null &&
		tpm2_nvwrite $nv -i /tmp/d && echo written"
	assert_status 0
	assert_eq "${lines[-1]}" written
	assert_no_vtpmd
	[[ -s "$POOL_STATE/web1/tpm2-00.permall" ]] || fail "no state kept in $POOL_STATE/web1"

	run ct_run --annotation vtpmd.io/state=web1 --device "$CT_KIND=keep0" -- \
		"tpm2_nvread $nv -s 8; echo"
	assert_status 0
	assert_eq "${lines[0]}" 12345678 "the NV index, read by the next container"

	# Another name is another TPM.
	run ct_run --annotation vtpmd.io/state=web2 --device "$CT_KIND=keep0" -- \
		"tpm2_nvread $nv -s 8 >/dev/null 2>&1 && echo found || echo absent"
	assert_eq "${lines[0]}" absent
	assert_eq "$(dir_list "$POOL_STATE")" "web1 web2"

	# A name that cannot be a directory name is refused by the hook.
	run ct_run --annotation vtpmd.io/state=../web1 --device "$CT_KIND=keep0" -- true
	assert_failed
	[[ "$(hook_log)" == *"annotation vtpmd.io/state '../web1' is not"* ]] || fail "hook log: $(hook_log)"
	assert_no_vtpmd
}

# bats test_tags=slow
@test "--setup: each new state is manufactured first by vtpm-setup (EK and its certificate)" {
	local setup=${VTPMD%/*}/vtpm-setup
	pool made --slots 1 --first-minor 20 --setup "$setup" --setup-arg --createek \
		--setup-arg --create-ek-cert --setup-arg --ca-dir --setup-arg "$BATS_TEST_TMPDIR/ca"
	run ct_run --device "$CT_KIND=made0" -- \
		'tpm2_readpublic -T device:/dev/tpm0 -c 0x81010001 | grep -c "^name:";
		 tpm2_nvreadpublic -T device:/dev/tpm0 0x1c00002 | grep -c "^0x1c00002:"'
	assert_status 0
	assert_eq "${lines[0]}" 1 "the EK at 0x81010001 that vtpm-setup made"
	assert_eq "${lines[1]}" 1 "its certificate's NV index"
	assert_no_vtpmd
	"$VTPM_CDI" pool --remove --dir "$CT_CDI_DIR" --prefix made
}
