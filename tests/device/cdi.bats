#!/usr/bin/env bats
# vtpmd --cdi: the Container Device Interface spec a running vtpmd publishes
# for its node (read back with jq, against the node's real numbers), and its
# removal by the janitor process however the daemon ends: SIGTERM, SIGKILL,
# serving as --runas inside a --chroot. No container runtime here (see
# containers_podman.bats for podman reading these specs).
load lib

ZERO_CAPS=0000000000000000

setup_file() {
	command -v jq >/dev/null || skip "jq is not installed"
}


spec_of() { # DIR NAME
	echo "$1/vtpmd-dev-$2.json"
}

status_field() { # PID KEY
	sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status" | tr -s '\t ' '  ' | sed 's/ $//'
}

# PROC_INFO="COMM PPID STATE" of process P, with builtins only: a fork
# costs ~0.1 s under the VM's TCG, and /proc holds a hundred processes.
proc_info() { # P
	local comm stat fields
	read -r comm 2>/dev/null <"/proc/$1/comm" || return 1
	read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
	read -ra fields <<<"${stat##*) }"
	PROC_INFO="$comm ${fields[1]} ${fields[0]}"
}

# The janitor of daemon PID: its live child named vtpmd-cdi.
janitor_of() {
	local p
	for p in /proc/[0-9]*; do
		proc_info "${p#/proc/}" || continue
		[[ "$PROC_INFO" == "vtpmd-cdi $1 "[^Z] ]] && echo "${p#/proc/}"
	done
	return 0
}

no_janitor_left() {
	local p
	for p in /proc/[0-9]*; do
		proc_info "${p#/proc/}" || continue
		[[ "$PROC_INFO" == "vtpmd-cdi "* && "$PROC_INFO" != *" Z" ]] && return 1
	done
	return 0
}

# assert_spec FILE NAME KIND CONTAINER-PATH [RM-PATH]: one device, NAME,
# with the numbers of /dev/NAME, and with RM-PATH its resource-managed node
# with the numbers of /dev/RMNAME (vtpmd's naming rule); exactly the fields
# vtpmd writes.
assert_spec() {
	local f=$1 name=$2 kind=$3 path=$4 rmpath=${5:-} major minor rm rmmajor=0 rmminor=0
	major=$((16#$(stat -c %t "/dev/$name")))
	minor=$((16#$(stat -c %T "/dev/$name")))
	rm=${name/tpm/tpmrm}
	if [[ -n $rmpath ]]; then
		rmmajor=$((16#$(stat -c %t "/dev/$rm")))
		rmminor=$((16#$(stat -c %T "/dev/$rm")))
	fi
	run jq -c . "$f"
	assert_status 0
	assert_eq "$output" "$(jq -cn --arg k "$kind" --arg n "$name" --arg p "$path" \
		--argjson M "$major" --argjson m "$minor" --arg rp "$rmpath" --arg rn "$rm" \
		--argjson RM "$rmmajor" --argjson rm "$rmminor" \
		'{cdiVersion: "0.5.0", kind: $k, devices: [{name: $n, containerEdits:
		  {deviceNodes: ([{path: $p, hostPath: ("/dev/" + $n), type: "c", major: $M,
		   minor: $m, fileMode: 432, permissions: "rw"}] +
		   if $rp == "" then [] else [{path: $rp, hostPath: ("/dev/" + $rn), type: "c",
		   major: $RM, minor: $rm, fileMode: 432, permissions: "rw"}] end)}}]}')" "the spec"
}

@test "--cdi DIR: the spec names /dev/NAME's own numbers as vtpmd returns; SIGTERM removes it" {
	local dir=$BATS_TEST_TMPDIR/cdi f janitor
	vtpm_start_ready --cdi "$dir"
	f=$(spec_of "$dir" "$VTPM_NAME")
	# dynamic numbers (no -M): whatever the kernel chose; the
	# resource-managed node beside it, as the container's /dev/tpmrm0
	assert_spec "$f" "$VTPM_NAME" vtpmd.io/tpm /dev/tpm0 /dev/tpmrm0
	assert_eq "$(stat -c '%U %a' "$dir")" "root 755" "the directory vtpmd created"
	assert_eq "$(stat -c '%U %a' "$f")" "root 644" "the spec"
	assert_eq "$(dir_list "$dir")" "${f##*/}" "files in $dir (no temporary left)"
	run tpm2 getrandom 8 --hex
	assert_status 0

	# The janitor: uid 0 without capabilities, under a filter, and only it.
	janitor=$(janitor_of "$VTPM_PID")
	[[ -n "$janitor" ]] || fail "no vtpmd-cdi child of $VTPM_PID"
	assert_eq "$(status_field "$janitor" Uid)" "0 0 0 0" "janitor uid"
	assert_eq "$(status_field "$janitor" CapEff)" "$ZERO_CAPS" "janitor CapEff"
	assert_eq "$(status_field "$janitor" CapBnd)" "$ZERO_CAPS" "janitor CapBnd"
	assert_eq "$(status_field "$janitor" NoNewPrivs)" 1 "janitor NoNewPrivs"
	assert_eq "$(status_field "$janitor" Seccomp)" 2 "janitor Seccomp"
	local fds=("/proc/$janitor/fd"/*)
	assert_eq "${#fds[@]}" 3 "janitor's open files"

	vtpm_stop
	[[ ! -e "$f" ]] || fail "$f is still there after vtpmd exited"
	wait_until 10 no_janitor_left || fail "the janitor outlived the daemon"
	grep -q "CDI: ${f##*/} removed" "$VTPM_LOG" || fail "no removal in the log"
}

@test "--cdi kind=,path=,pathrm=, --runas inside --chroot: the spec lands in the host's directory and is removed" {
	runas_base
	local root=$RUNAS_BASE/root dir=$RUNAS_BASE/cdi f
	if [[ -n "${VTPMD_SANITIZER:-}" ]]; then
		export ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1
	fi
	mkdir -p "$root/dev" "$root/state" "$dir"
	mknod -m 0666 "$root/dev/null" c 1 3
	chown nobody "$root/state"
	vtpmd_run -n "$VTPM_NAME" -R "$root" --runas nobody --tpmstate dir=/state \
		--pid file=/vtpmd.pid --log file=/vtpmd.log,level=2 --flags not-need-init,startup-clear \
		--cdi "$dir,kind=example.com/virtual-tpm,path=/dev/tpm1,pathrm=/dev/tpmrm1"
	[[ -s "$root/vtpmd.pid" ]] && VTPM_PIDS+=("$(cat "$root/vtpmd.pid")")
	assert_status 0
	VTPM_PID=$(cat "$root/vtpmd.pid")
	assert_eq "$(status_field "$VTPM_PID" Uid)" "$(id -u nobody) $(id -u nobody) $(id -u nobody) $(id -u nobody)" "daemon uid"
	f=$(spec_of "$dir" "$VTPM_NAME")
	assert_spec "$f" "$VTPM_NAME" example.com/virtual-tpm /dev/tpm1 /dev/tpmrm1
	[[ ! -e "$root$dir" ]] || fail "a spec directory appeared inside the chroot"
	run tpm2 getrandom 8 --hex
	assert_status 0
	vtpm_stop
	[[ ! -e "$f" ]] || fail "$f is still there: the --runas daemon could not remove it"
	wait_until 10 no_janitor_left || fail "the janitor outlived the daemon"
}

@test "--cdi: SIGKILL of the daemon still removes the spec; a second device's spec stays" {
	local dir=$BATS_TEST_TMPDIR/cdi f f2 other=${VTPM_NAME}b
	vtpm_start_ready --cdi "$dir"
	# (the second without its resource-managed node: a spec of one node)
	vtpm_start_as "$other" "$BATS_TEST_TMPDIR/state2" "$BATS_TEST_TMPDIR/pid2" \
		--flags not-need-init,startup-clear --cdi "$dir" --resource-manager off
	local pid2=$VTPM_PID
	VTPM_PID=$(<"$VTPM_PIDFILE")
	f=$(spec_of "$dir" "$VTPM_NAME")
	f2=$(spec_of "$dir" "$other")
	assert_eq "$(dir_list "$dir")" "$(printf '%s\n' "${f##*/}" "${f2##*/}" | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')"
	kill -KILL "$VTPM_PID"
	vtpm_wait_exit "$VTPM_PID"
	wait_until 10 test ! -e "$f" || fail "$f outlived its SIGKILLed daemon"
	assert_spec "$f2" "$other" vtpmd.io/tpm /dev/tpm0
	vtpm_stop "$pid2" "$other"
	[[ ! -e "$f2" ]] || fail "$f2 is still there"
	wait_until 10 no_janitor_left || fail "a janitor outlived its daemon"
}

@test "--cdi: a directory that is not root's, or a start that fails, leaves no spec and one line" {
	local dir=$BATS_TEST_TMPDIR/cdi
	mkdir -m 0755 "$dir"
	chown nobody "$dir"
	vtpmd_run -n "$VTPM_NAME" --tpmstate "dir=$VTPM_STATE" --flags not-need-init --cdi "$dir"
	assert_one_line_error
	[[ "$stderr" == *"must belong to root"* ]] || fail "error: $stderr"
	[[ ! -e "$VTPM_DEV" ]] || fail "$VTPM_DEV was created"

	chown root "$dir"
	# The pid file cannot be written: the start fails after the node appeared.
	vtpmd_run -n "$VTPM_NAME" --tpmstate "dir=$VTPM_STATE" --flags not-need-init --cdi "$dir" \
		--pid "file=$BATS_TEST_TMPDIR/no/such/dir/pid"
	assert_one_line_error
	assert_eq "$(dir_list "$dir")" "" "files in $dir"
	wait_until 10 test ! -e "$VTPM_DEV" || fail "$VTPM_DEV outlived the failed start"

	# A name runtimes would refuse is refused before anything happens.
	vtpmd_run -n "${VTPM_NAME}-" --tpmstate "dir=$VTPM_STATE" --cdi "$dir"
	assert_one_line_error
	[[ "$stderr" == *"not a CDI device name"* ]] || fail "error: $stderr"
}
