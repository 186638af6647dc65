#!/usr/bin/env bats
# A slot belongs to a container, not to its vtpmd (issue 17, item 2):
# vtpm-cdi's hooks run here as a runtime runs them, with the container's
# state on stdin, and a sleeping process standing in for the container's
# init (its pid in the state, as runc and crun give it). A slot stays taken
# while that process runs, whatever happened to its vtpmd; once it is gone
# without its poststop the next container takes the slot over, with the
# leftover vtpmd stopped and a fresh TPM; a vtpmd whose binary was replaced
# is still stopped by its poststop; a claim in doubt is refused with a line
# saying why. The same through podman is in cdi_pool.bats.
load lib
load containers

setup_file() {
	SLOT_MAJOR=$(free_char_major) || skip "no free character major in 240-254"
	VTPM_CDI=$(dirname "$VTPMD")/vtpm-cdi
	[[ -x "$VTPM_CDI" ]] || skip "$VTPM_CDI is not built"
	export SLOT_MAJOR VTPM_CDI
}

setup() {
	# lib's setup, then a run directory the vtpmd user can reach
	VTPM_NAME="vtpmtest-${BATS_SUITE_TEST_NUMBER}"
	VTPM_DEV="/dev/$VTPM_NAME"
	VTPM_PIDS=()
	VTPM_MOUNTS=()
	VTPM_LOG=$BATS_TEST_TMPDIR/none.log
	ensure_vtpmd_user
	RUN=$(mktemp -d /run/vtpmtest-slots.XXXXXX)
	chmod 0711 "$RUN"
	# a vtpmd of its own, which a test may replace as an upgrade would
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	SLOT_VTPMD=$BATS_TEST_TMPDIR/bin/vtpmd
	cp "$VTPMD" "$SLOT_VTPMD"
	SLOT_DEV=/dev/vtpm-sl0
	INITS=()
}

teardown() {
	local p
	for p in "${INITS[@]}"; do
		kill -KILL "$p" 2>/dev/null || true
	done
	# any vtpmd of the slot's copy still running is a failure
	for p in $(find /proc -mindepth 2 -maxdepth 2 -name exe -lname "$SLOT_VTPMD*" 2>/dev/null); do
		p=${p#/proc/}
		p=${p%/exe}
		kill -KILL "$p" 2>/dev/null && echo "teardown: killed vtpmd $p" >&2
	done
	rm -rf "$RUN"
}

# A stand-in for a container's init process; its pid in INIT.
start_init() {
	sleep 1000 </dev/null >/dev/null 2>&1 &
	INIT=$!
	INITS+=("$INIT")
}

# hook create|poststop ID PID: the hook as the runtime runs it for slot 0.
hook() {
	local json
	json=$(printf '{"ociVersion":"1.0.2","id":"%s","pid":%s,"status":"creating","bundle":"/"}' "$2" "$3")
	run --separate-stderr timeout 300 "$VTPM_CDI" hook "$1" --slot 0 --major "$SLOT_MAJOR" \
		--first-minor 40 --prefix sl --run-dir "$RUN" --vtpmd "$SLOT_VTPMD" <<<"$json"
}

slot_pid() { # ID -> the pid of that container's vtpmd
	cat "$RUN/c-$1/vtpmd.pid"
}

hook_log() {
	cat "$RUN/hook.log" 2>/dev/null
}

pcr16() {
	timeout 120 tpm2_pcrread -T "device:$SLOT_DEV" sha256:16 | sed -n 's/^ *16 *: //p'
}

extend16() {
	timeout 120 tpm2_pcrextend -T "device:$SLOT_DEV" "16:sha256=$DIGEST_AA"
}

# bats test_tags=plain
@test "slots: held while the container's init runs, even after its vtpmd was killed (its vtpmd: user vtpmd, no capabilities, Landlock, F_SETOWN kills it)" {
	local pid
	start_init
	hook create ctr-a "$INIT"
	assert_status 0
	pid=$(slot_pid ctr-a)
	# served as the system user vtpmd, not uid 0
	assert_eq "$(sed -n 's/^Uid:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$pid/status")" \
		"$(id -u vtpmd)" "uid of the slot's vtpmd"
	assert_eq "$(sed -n 's/^CapEff:[[:space:]]*//p' "/proc/$pid/status")" 0000000000000000 "CapEff"
	# Landlock: the daemon's own openat() outside its state directory
	run timeout 60 "$VTPM_TOOLS/syscall_inject" "$pid" 257 -100 "str:/tmp/vtpmd-landlock-probe" 0101 0600
	assert_eq "$output" "result -13" "openat(/tmp/..., O_CREAT) by the slot's vtpmd"
	# the slot's node is a client's; the host's control node is beside it
	run timeout 60 "$VTPM_TOOLS/ptmctl" "$SLOT_DEV" init
	assert_eq "$output" "errno EPERM" "INIT on the slot's node"
	assert_eq "$(stat -c '%U:%G %a' "$SLOT_DEV-ctl")" "root:root 600"
	# its own fcntl(F_SETOWN) is outside the allow-list: the filter kills it
	# (a sanitizer build's filter logs instead: killed from the host)
	if [[ -z "${VTPMD_SANITIZER:-}" ]]; then
		run timeout 60 "$VTPM_TOOLS/syscall_inject" "$pid" 72 0 8 1
		assert_eq "$output" "killed SYS" "fcntl(F_SETOWN) by the slot's vtpmd"
	else
		kill -KILL "$pid"
	fi
	wait_until 30 pid_gone "$pid" || fail "vtpmd $pid survived SIGKILL"
	wait_until 30 test ! -e "$SLOT_DEV" || fail "$SLOT_DEV outlived its vtpmd"

	start_init
	hook create ctr-b "$INIT"
	assert_status 16
	assert_eq "$stderr" "vtpm-cdi: sl0: in use by container ctr-a (its init, pid ${INITS[0]}, still runs); give this container another slot"
	[[ ! -e "$SLOT_DEV" ]] || fail "a vtpmd was started for ctr-b"
	[[ -d "$RUN/c-ctr-a" && ! -e "$RUN/c-ctr-b" ]] || fail "run directory: $(dir_list "$RUN")"
	assert_eq "$(readlink "$RUN/claim-sl0")" "ctr-a ${INITS[0]} $(awk '{print $22}' "/proc/${INITS[0]}/stat") $(cat /proc/sys/kernel/random/boot_id)" "the claim"

	# its poststop (its vtpmd already gone) frees the slot for the next one
	hook poststop ctr-a 0
	assert_status 0
	[[ "$(hook_log)" == *"poststop sl0 container ctr-a: /dev/vtpm-sl0 stopped (it was not running)"* ]] ||
		fail "hook log: $(hook_log)"
	hook create ctr-b "$INIT"
	assert_status 0
	hook poststop ctr-b 0
	assert_status 0
	assert_eq "$(dir_list "$RUN")" "hook.log lock" "the run directory"
}

@test "slots: a container gone without its poststop leaves a slot the next one takes over, with a fresh TPM" {
	local pid
	start_init
	hook create ctr-a "$INIT"
	assert_status 0
	pid=$(slot_pid ctr-a)
	run extend16
	assert_status 0
	assert_eq "$(pcr16)" "0x$PCR_AFTER_AA" "PCR 16 of ctr-a's TPM"
	# the container ends, its runtime never runs poststop
	kill -KILL "$INIT"
	wait "$INIT" 2>/dev/null || true

	start_init
	hook create ctr-b "$INIT"
	assert_status 0
	[[ "$(hook_log)" == *"create sl0 container ctr-b: container ctr-a left this slot without its poststop (its init, pid ${INITS[0]}, is gone); its vtpmd stopped: taken over"* ]] ||
		fail "hook log: $(hook_log)"
	pid_gone "$pid" || fail "ctr-a's vtpmd $pid still runs"
	[[ ! -e "$RUN/c-ctr-a" ]] || fail "ctr-a's run directory (its TPM state) is still there"
	assert_eq "$(pcr16)" "0x$(printf '0%.0s' {1..64})" "PCR 16 of ctr-b's TPM"
	assert_eq "$(readlink "$RUN/claim-sl0")" "ctr-b $INIT $(awk '{print $22}' "/proc/$INIT/stat") $(cat /proc/sys/kernel/random/boot_id)"
	hook poststop ctr-b 0
	assert_status 0
	[[ "$(hook_log)" != *"was killed"* ]] || fail "a vtpmd had to be killed: $(hook_log)"
}

@test "slots: a vtpmd whose binary was replaced (an upgrade) is still known and stopped by its poststop" {
	local pid
	start_init
	hook create ctr-a "$INIT"
	assert_status 0
	pid=$(slot_pid ctr-a)
	cp "$VTPMD" "$SLOT_VTPMD.new"
	mv "$SLOT_VTPMD.new" "$SLOT_VTPMD"
	[[ "$(readlink "/proc/$pid/exe")" == *" (deleted)" ]] || fail "exe: $(readlink "/proc/$pid/exe")"

	# still held while ctr-a runs
	start_init
	hook create ctr-b "$INIT"
	assert_status 16
	pid_alive "$pid" || fail "ctr-a's vtpmd was stopped"

	hook poststop ctr-a 0
	assert_status 0
	[[ "$(hook_log)" == *"poststop sl0 container ctr-a: /dev/vtpm-sl0 stopped"* &&
	   "$(hook_log)" != *"not running"* && "$(hook_log)" != *"was killed"* ]] ||
		fail "hook log: $(hook_log)"
	wait_until 30 pid_gone "$pid" || fail "the replaced vtpmd $pid still runs"
	[[ ! -e "$RUN/c-ctr-a" && ! -e "$RUN/claim-sl0" ]] || fail "run directory: $(dir_list "$RUN")"
}

@test "slots: a claim in doubt is refused with a line that says why; a state without the init's pid too" {
	start_init
	ln -s ctr-old "$RUN/claim-sl0"
	hook create ctr-b "$INIT"
	assert_status 16
	assert_eq "$stderr" "vtpm-cdi: sl0: not handed out: container ctr-old claimed it without recording its init process; once that container is gone, remove $RUN/claim-sl0"
	[[ ! -e "$SLOT_DEV" ]] || fail "a vtpmd was started"
	assert_eq "$(readlink "$RUN/claim-sl0")" ctr-old "the claim in doubt, untouched"
	rm "$RUN/claim-sl0"

	hook create ctr-b 0
	assert_status 1
	assert_eq "$stderr" "vtpm-cdi: sl0: the container state on stdin names no init process (pid 0): No such process"
	[[ ! -e "$RUN/claim-sl0" ]] || fail "slot claimed without an init"
}
