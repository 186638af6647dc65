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
	ensure_vtpmd_user
	POOL_MAJOR=$(free_char_major) || skip "no free character major in 240-254"
	VTPM_CDI=$(dirname "$VTPMD")/vtpm-cdi
	[[ -x "$VTPM_CDI" ]] || skip "$VTPM_CDI is not built"
	# /run: reachable by a --runas user (bats' own temp dirs are 0700).
	POOL_RUN=$(mktemp -d /run/vtpmtest-pool.XXXXXX)
	chmod 0711 "$POOL_RUN"
	POOL_STATE=$(mktemp -d /var/tmp/vtpmtest-pool-state.XXXXXX)
	chmod 0711 "$POOL_STATE"        # the slots' vtpmd (user vtpmd) reach below it
	export POOL_MAJOR VTPM_CDI POOL_RUN POOL_STATE
	pool slot --slots 3 --first-minor 0 --runas tss
	pool keep --slots 1 --first-minor 10 --persistent --state-dir "$POOL_STATE"
}

teardown_file() {
	local p
	for p in slot keep made own; do
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

no_container_dirs() {
	! compgen -G "$POOL_RUN/c-*" >/dev/null
}

# bats test_tags=slow
@test "podman --device vtpmd.io/tpm=slot1: a brand-new TPM starts with the container and ends with it (crun, runc)" {
	run ct_run "${CT_PTMCTL[@]}" --device "$CT_KIND=slot1" -- "
		stat -c '%F %a %t:%T' /dev/tpm0
		$CT_GETRANDOM
		$CT_EXTEND_AND_READ
		/ptmctl /dev/tpm0 sweep
		$CT_READ_PCR16
		stat -c '%F %a %t:%T' /dev/tpmrm0
		tpm2_getrandom -T device:/dev/tpmrm0 --hex 8 && echo"
	assert_status 0
	assert_eq "${lines[0]}" "character special file 660 $(printf '%x:1' "$POOL_MAJOR")"
	assert_match "${lines[1]}" '^[0-9a-f]{16}$' "tpm2_getrandom"
	assert_eq "${lines[2]}" "pcr16: 0x$PCR_AFTER_AA"
	# root in the container: of the control plane, the four queries only
	assert_eq "$(printf '%s\n' "${lines[@]:3:20}")" "$SWEEP_CLIENT" "control requests from the container"
	assert_eq "${lines[23]}" "pcr16: 0x$PCR_AFTER_AA" "PCR 16 after the container's INIT"
	# the resource-managed node beside it, minor + 65536 (as tpmrmN)
	assert_eq "${lines[24]}" "character special file 660 $(printf '%x:10001' "$POOL_MAJOR")"
	assert_match "${lines[25]}" '^[0-9a-f]{16}$' "tpm2_getrandom on /dev/tpmrm0"
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
	owner=$(readlink "$POOL_RUN/claim-slot2")
	owner=${owner%% *}
	pid=$(cat "$POOL_RUN/c-$owner/vtpmd.pid")
	pid_alive "$pid" ||
		fail "no vtpmd ($pid) for the first container ($owner): $(cat "$POOL_RUN/c-$owner/vtpmd.log"; hook_log; dir_list "$POOL_RUN")"
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
	assert_eq "$(readlink "$POOL_RUN/claim-slot2" | cut -d' ' -f1)" "$owner" "the holder of slot2"
	touch "$x/go"
	run ct_podman wait vtpmtest-first
	assert_eq "$output" 0 "exit status of the first container"
	run cat "$x/out"
	assert_eq "${lines[0]}" "pcr16: 0x$PCR_AFTER_AA"
	assert_eq "${lines[1]}" "pcr16: 0x$PCR_AFTER_AA" "PCR 16 after the second container's attempts"
	ct_podman rm vtpmtest-first >/dev/null
	assert_no_vtpmd
	[[ ! -e "$POOL_RUN/claim-slot2" ]] || fail "slot2 is still claimed"
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
@test "--runas tss --setup vtpm-setup --create-ek-cert: the EK and its certificate, read through the container's TPM, verify against root's CA" {
	local setup=${VTPMD%/*}/vtpm-setup x=$BATS_TEST_TMPDIR/x ca=$BATS_TEST_TMPDIR/ca
	mkdir -p "$x"
	# the man page's example: the setup program runs as root with --runas
	# tss, so the CA (root's, 0700) signs and tss never reads its key
	pool made --slots 1 --first-minor 20 --runas tss --setup "$setup" --setup-arg --createek \
		--setup-arg --create-ek-cert --setup-arg --ca-dir --setup-arg "$ca"
	run ct_run -v "$x:/x" --device "$CT_KIND=made0" -- '
		tpm2_nvread -T device:/dev/tpm0 0x1c00002 -C o -o /x/ek.der &&
		tpm2_readpublic -T device:/dev/tpm0 -c 0x81010001 -f pem -o /x/ek.pem >/dev/null &&
		echo read'
	assert_status 0
	assert_eq "${lines[-1]}" read "the container's reads: $output $(hook_log)"
	run openssl verify -CAfile "$ca/rootca-cert.pem" -untrusted "$ca/issuercert.pem" "$x/ek.der"
	assert_eq "$output" "$x/ek.der: OK" "openssl verify"
	openssl x509 -inform DER -in "$x/ek.der" -noout -pubkey >"$x/cert.pem"
	cmp -s "$x/cert.pem" "$x/ek.pem" || fail "the certificate is not for the container's EK"
	assert_eq "$(stat -c '%U %a' "$ca" "$ca/signkey.pem" | tr '\n' ' ')" "root 750 root 600 " \
		"the CA's directory and key"
	assert_no_vtpmd
	"$VTPM_CDI" pool --remove --dir "$CT_CDI_DIR" --prefix made

	# a setup that fails: the container does not start, and hook.log
	# keeps what the setup program said (its setup.log goes with the
	# container's directory)
	pool made --slots 1 --first-minor 20 --runas tss --setup "$setup" --setup-arg --pcr-banks \
		--setup-arg sm3-256
	run ct_run --device "$CT_KIND=made0" -- 'echo should not run'
	assert_failed
	[[ "$output" != *"should not run"* ]] || fail "the container ran"
	[[ "$(hook_log)" == *"create made0 container "*": setup: vtpm-setup: PCR bank sm3-256 is not available"* ]] ||
		fail "hook log: $(hook_log)"
	[[ "$(hook_log)" == *"error: $setup failed (exit status 1): vtpm-setup: PCR bank sm3-256"* ]] ||
		fail "hook log: $(hook_log)"
	assert_no_vtpmd
	"$VTPM_CDI" pool --remove --dir "$CT_CDI_DIR" --prefix made
}

# first_container X SLOT: a detached container on SLOT that extends PCR 16,
# says so in X/ready and waits for X/go; then reads PCR 16 and tries a
# GetRandom again into X/out. Prints the holder's id once it runs.
first_container() {
	local x=$1 slot=$2 owner
	rm -f "$x/ready" "$x/go" "$x/out"
	ct_podman run -d --name vtpmtest-own --network none --log-driver k8s-file \
		-v "$x:/x" --device "$CT_KIND=$slot" --rootfs "$CT_ROOTFS" /bin/sh -c "
		$CT_EXTEND_AND_READ >/x/out
		touch /x/ready
		while [ ! -e /x/go ]; do sleep 0.2; done
		{ $CT_GETRANDOM; } >>/x/out 2>&1 || echo getrandom-failed >>/x/out" >/dev/null
	wait_until 120 test -e "$x/ready" || fail "the first container did not start: $(hook_log)"
	owner=$(readlink "$POOL_RUN/claim-own0")
	echo "${owner%% *}"
}

# bats test_tags=slow
@test "a slot is its container's: its vtpmd killed from the host, the next container is refused while it runs and gets a fresh TPM once it is gone; the same after the vtpmd binary is replaced" {
	local x=$BATS_TEST_TMPDIR/x copy=$BATS_TEST_TMPDIR/bin/vtpmd owner pid
	mkdir -p "$x" "${copy%/*}"
	cp "$VTPMD" "$copy"
	pool own --slots 1 --first-minor 30 --vtpmd "$copy"

	# A's vtpmd dies (SIGKILL from the host; a PTM_SHUTDOWN does the same)
	owner=$(first_container "$x" own0)
	pid=$(cat "$POOL_RUN/c-$owner/vtpmd.pid")
	# the slot's vtpmd: not uid 0, no capabilities, Landlock; the host
	# drives its control plane on vtpm-own0-ctl
	assert_eq "$(sed -n 's/^Uid:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$pid/status")" "$(id -u vtpmd)" "uid"
	assert_eq "$(sed -n 's/^CapEff:[[:space:]]*//p' "/proc/$pid/status")" 0000000000000000 "CapEff"
	run timeout 60 "$VTPM_TOOLS/syscall_inject" "$pid" 257 -100 "str:/tmp/vtpmd-landlock-probe" 0101 0600
	assert_eq "$output" "result -13" "openat(/tmp/..., O_CREAT) by the slot's vtpmd"
	run timeout 60 swtpm_ioctl -c /dev/vtpm-own0-ctl
	assert_eq "$output" "ptm capability is 0x16fff"
	assert_eq "$(stat -c '%U:%G %a' /dev/vtpm-own0-ctl)" "root:root 600"
	kill -KILL "$pid"
	wait_until 30 pid_gone "$pid" || fail "vtpmd $pid survived SIGKILL"
	run ct_run --device "$CT_KIND=own0" -- 'echo should not run'
	assert_failed
	[[ "$output" == *"exit code: 16"* && "$output" != *"should not run"* ]] || fail "podman: $output"
	[[ "$(hook_log)" == *"create own0 container "*": error: in use by container $owner (its init, pid "*", still runs)"* ]] ||
		fail "hook log: $(hook_log)"
	# A's node reaches no TPM at all, no other container's
	touch "$x/go"
	run ct_podman wait vtpmtest-own
	ct_podman rm vtpmtest-own >/dev/null
	run cat "$x/out"
	assert_eq "${lines[0]}" "pcr16: 0x$PCR_AFTER_AA"
	assert_eq "${lines[-1]}" getrandom-failed "A's TPM after its vtpmd was killed"
	# A is gone: the next container gets a fresh TPM on the slot
	run ct_run --device "$CT_KIND=own0" -- "$CT_READ_PCR16"
	assert_status 0
	assert_eq "${lines[0]}" "pcr16: $PCR16_ZERO" "PCR 16 of the next container's TPM"

	# An upgrade replaces the vtpmd binary under a running container
	owner=$(first_container "$x" own0)
	pid=$(cat "$POOL_RUN/c-$owner/vtpmd.pid")
	cp "$VTPMD" "$copy.new"
	mv "$copy.new" "$copy"
	[[ "$(readlink "/proc/$pid/exe")" == *" (deleted)" ]] || fail "exe: $(readlink "/proc/$pid/exe")"
	run ct_run --device "$CT_KIND=own0" -- 'echo should not run'
	assert_failed
	pid_alive "$pid" || fail "A's vtpmd was stopped by the refused container"
	touch "$x/go"
	run ct_podman wait vtpmtest-own
	ct_podman rm vtpmtest-own >/dev/null
	run cat "$x/out"
	[[ "${lines[-1]}" =~ ^[0-9a-f]{16}$ ]] || fail "A's TPM after the upgrade: $output"
	# its poststop stopped it in order, though /proc/PID/exe says "(deleted)"
	wait_until 60 pid_gone "$pid" || fail "the replaced vtpmd $pid outlived its container"
	[[ "$(hook_log)" != *"was killed"* ]] || fail "hook log: $(hook_log)"
	# podman runs the poststop hook after "podman wait" returns: wait for it
	wait_until 60 no_container_dirs || fail "container directories left: $(dir_list "$POOL_RUN")"
	run ct_run --device "$CT_KIND=own0" -- "$CT_READ_PCR16"
	assert_status 0
	assert_eq "${lines[0]}" "pcr16: $PCR16_ZERO"
}

@test "pool refuses what would only fail when a container starts: a major the kernel refuses or gave away, an unknown --runas user, a spec directory others may write" {
	local d=$BATS_TEST_TMPDIR
	run "$VTPM_CDI" pool --slots 1 --major 512 --dir "$d/cdi" --vtpmd "$VTPMD"
	assert_status 1
	assert_eq "$output" "vtpm-cdi: --major: '512' is not a major from 1 to 511"
	run "$VTPM_CDI" pool --slots 1 --major 1 --dir "$d/cdi" --vtpmd "$VTPMD"
	assert_status 1
	assert_eq "$output" "vtpm-cdi: --major 1 is the kernel's 'mem' (/proc/devices); pick one it does not list (240-254 are for local use)"
	run "$VTPM_CDI" pool --slots 1 --major "$POOL_MAJOR" --runas no-such-user --dir "$d/cdi" \
		--vtpmd "$VTPMD"
	assert_status 1
	assert_match "$output" "no such user 'no-such-user'"
	mkdir -m 1777 "$d/open"
	run "$VTPM_CDI" pool --slots 1 --major "$POOL_MAJOR" --dir "$d/open" --vtpmd "$VTPMD"
	assert_status 1
	assert_match "$output" "$d/open may be written by others \\(owner 0, mode 1777\\)"
	[[ -z "$(ls -A "$d/open")" ]] || fail "a spec was written into $d/open"
}
