# Hardened by default: what a running vtpmd holds, read from
# /proc/PID/task/*/status (every thread), with and without --runas and
# --chroot; start-up errors; and the seccomp filter denying a call made by
# the running daemon itself (tests/tools/syscall_inject).

load lib

ZERO_CAPS=0000000000000000
NR_GETPID=39
NR_EXECVE=59
NR_FCNTL=72
NR_OPENAT=257
F_SETOWN=8
AT_FDCWD=-100
O_RDONLY=0
O_WRONLY_CREAT=0101     # O_WRONLY | O_CREAT, octal
EACCES=-13

# status_field FILE KEY -> the value, whitespace squeezed to single spaces
status_field() {
	sed -n "s/^$2:[[:space:]]*//p" "$1" | tr -s '\t ' '  ' | sed 's/ $//'
}

# assert_locked_down PID UID GID GROUPS SECCOMP: every thread of PID runs as
# UID/GID with GROUPS, holds no capability in any set, has no_new_privs, and
# seccomp mode SECCOMP (2 = filter, 0 = none).
assert_locked_down() {
	local pid=$1 uid=$2 gid=$3 groups=$4 seccomp=$5 t s n=0 key
	for t in /proc/"$pid"/task/*; do
		s="$t/status"
		n=$((n + 1))
		assert_eq "$(status_field "$s" Uid)" "$uid $uid $uid $uid" "Uid of ${t#/proc/}"
		assert_eq "$(status_field "$s" Gid)" "$gid $gid $gid $gid" "Gid of ${t#/proc/}"
		assert_eq "$(status_field "$s" Groups)" "$groups" "Groups of ${t#/proc/}"
		for key in CapEff CapPrm CapInh CapBnd CapAmb; do
			assert_eq "$(status_field "$s" "$key")" "$ZERO_CAPS" "$key of ${t#/proc/}"
		done
		assert_eq "$(status_field "$s" NoNewPrivs)" 1 "NoNewPrivs of ${t#/proc/}"
		assert_eq "$(status_field "$s" Seccomp)" "$seccomp" "Seccomp of ${t#/proc/}"
	done
	# the FUSE loop's worker threads exist and are covered
	(( n >= 2 )) || fail "expected the main thread and FUSE workers, found $n thread(s)"
}

inject() { # PID NR [ARGS...]
	timeout 60 "$VTPM_TOOLS/syscall_inject" "$@"
}

root_groups() {
	status_field /proc/self/status Groups
}

@test "hardening: as root, no capability is left in any thread, no_new_privs, seccomp filter" {
	vtpm_start_ready
	assert_locked_down "$VTPM_PID" 0 0 "$(root_groups)" 2
	run tpm2 getrandom 8 --hex
	assert_status 0
	assert_match "$output" '^[0-9a-f]{16}$'
}

@test "hardening: --runas nobody: uid, gid, groups; state files belong to nobody; state survives a restart" {
	runas_base
	local state="$RUNAS_BASE/state" piddir="$RUNAS_BASE/run"
	mkdir -p "$state" "$piddir"
	chown nobody "$state" "$piddir"
	vtpm_start_as "$VTPM_NAME" "$state" "$piddir/vtpmd.pid" --runas nobody \
		--flags not-need-init,startup-clear
	assert_locked_down "$VTPM_PID" "$(id -u nobody)" "$(id -g nobody)" "$(id -G nobody)" 2
	# created as the user before the drop, written by the user after it
	local f
	for f in "$state"/.lock "$state"/tpm2-00.permall; do
		assert_eq "$(stat -c %U "$f")" nobody "owner of $f"
	done
	run tpm2 nvdefine 0x1500016 -C o -s 8 -a "ownerread|ownerwrite"
	assert_status 0
	run bash -c 'printf 12345678 | timeout 120 tpm2_nvwrite -T "device:$1" 0x1500016 -C o -i -' _ "$VTPM_DEV"
	assert_status 0
	# SIGTERM as nobody: orderly exit; the pid file goes (nobody may write its dir)
	vtpm_stop
	[[ ! -e "$piddir/vtpmd.pid" ]] || fail "pid file left behind"
	vtpm_start_as "$VTPM_NAME" "$state" "$piddir/vtpmd.pid" --runas nobody \
		--flags not-need-init,startup-clear
	run tpm2 nvread 0x1500016 -C o -s 8
	assert_status 0
	assert_eq "$output" 12345678 "NV index after a restart as nobody"
}

@test "hardening: --runas: INIT, STOP and INIT again after the drop" {
	runas_base
	local state="$RUNAS_BASE/state"
	mkdir -p "$state"
	chown nobody "$state"
	vtpm_start_as "$VTPM_NAME" "$state" "$VTPM_PIDFILE" --runas nobody
	run ptm_ioctl -i
	assert_status 0
	run tpm2 startup -c
	assert_status 0
	run tpm2 getrandom 8 --hex
	assert_status 0
	run ptm_ioctl --stop
	assert_status 0
	run ptm_ioctl -i
	assert_status 0
	run tpm2 startup -c
	assert_status 0
	run tpm2 getrandom 8 --hex
	assert_status 0
	assert_match "$output" '^[0-9a-f]{16}$'
	pid_alive "$VTPM_PID"
	# The pid file's directory is root's: nobody cannot remove it. vtpmd
	# tries, as swtpm does, and still exits in order.
	vtpm_stop
	[[ -e "$VTPM_PIDFILE" ]] || fail "expected the pid file to stay (root-owned directory)"
}

@test "hardening: a numeric --runas without passwd entry runs with gid = uid and no other group" {
	runas_base
	local state="$RUNAS_BASE/state"
	mkdir -p "$state"
	chown 4242:4242 "$state"
	vtpm_start_as "$VTPM_NAME" "$state" "$VTPM_PIDFILE" --runas 4242 \
		--flags not-need-init,startup-clear
	assert_locked_down "$VTPM_PID" 4242 4242 4242 2
	run tpm2 getrandom 8 --hex
	assert_status 0
}

@test "hardening: unknown user, unwritable state dir, bad chroot: one line, nothing created" {
	vtpmd_run -n "$VTPM_NAME" --tpmstate "dir=$VTPM_STATE" --runas no-such-user-vtpmd \
		--flags not-need-init
	assert_one_line_error
	[[ "$stderr" == *no-such-user-vtpmd* ]] || fail "error does not name the user: $stderr"
	[[ ! -e "$VTPM_STATE" && ! -e "$VTPM_DEV" ]] || fail "something was created"

	runas_base
	mkdir "$RUNAS_BASE/rootonly"
	vtpmd_run -n "$VTPM_NAME" --tpmstate "dir=$RUNAS_BASE/rootonly" --runas nobody \
		--pid "file=$VTPM_PIDFILE" --log "file=$VTPM_LOG" --flags not-need-init
	assert_one_line_error
	assert_eq "$stderr" "vtpmd: state directory $RUNAS_BASE/rootonly is not writable by user nobody"
	assert_eq "$(dir_list "$RUNAS_BASE/rootonly")" "" "state dir content"
	[[ ! -e "$VTPM_DEV" && ! -e "$VTPM_PIDFILE" ]] || fail "node or pid file created"

	vtpmd_run -n "$VTPM_NAME" --tpmstate "dir=$VTPM_STATE" -R "$BATS_TEST_TMPDIR/no-such-root" \
		--flags not-need-init
	assert_one_line_error
	[[ "$stderr" == *"--chroot $BATS_TEST_TMPDIR/no-such-root"* ]] || fail "error: $stderr"
	[[ ! -e "$VTPM_STATE" && ! -e "$VTPM_DEV" ]] || fail "something was created"
}

# The chroot holds what vtpmd opens by path once inside it: the state
# directory, the log and pid file, and /dev/null for the background start.
# No /dev/cuse: that is opened before the chroot.
make_chroot() { # DIR
	# A sanitizer runtime inside the chroot has neither /proc (the leak
	# check) nor the report directory scripts/check-san set up.
	if [[ -n "${VTPMD_SANITIZER:-}" ]]; then
		export ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1
	fi
	mkdir -p "$1/dev" "$1/state"
	mknod -m 0666 "$1/dev/null" c 1 3
	chown nobody "$1/state"
}

@test "hardening: --chroot with --runas: serves from inside the chroot" {
	runas_base
	local root="$RUNAS_BASE/root"
	make_chroot "$root"
	vtpmd_run -n "$VTPM_NAME" -R "$root" --runas nobody --tpmstate dir=/state \
		--pid file=/vtpmd.pid --log file=/vtpmd.log,level=2 --flags not-need-init,startup-clear
	[[ -s "$root/vtpmd.pid" ]] && VTPM_PIDS+=("$(cat "$root/vtpmd.pid")")
	assert_status 0
	VTPM_PID=$(cat "$root/vtpmd.pid")
	assert_eq "$(readlink "/proc/$VTPM_PID/root")" "$root" "root of the daemon"
	assert_locked_down "$VTPM_PID" "$(id -u nobody)" "$(id -g nobody)" "$(id -G nobody)" 2
	[[ -s "$root/state/tpm2-00.permall" ]] || fail "no state inside the chroot"
	run tpm2 getrandom 8 --hex
	assert_status 0
	vtpm_stop
	# the exit (pthread_cancel of the FUSE workers) works without libgcc_s in the chroot
	grep -q exiting "$root/vtpmd.log" || fail "no orderly exit in the log: $(cat "$root/vtpmd.log")"
}

@test "hardening: inside a chroot a duplicate name is still refused (the kernel aborts it)" {
	vtpm_start_ready
	runas_base
	make_chroot "$RUNAS_BASE/root"
	vtpmd_run -n "$VTPM_NAME" -R "$RUNAS_BASE/root" --tpmstate dir=/state \
		--pid file=/vtpmd.pid --flags not-need-init
	[[ -s "$RUNAS_BASE/root/vtpmd.pid" ]] && VTPM_PIDS+=("$(cat "$RUNAS_BASE/root/vtpmd.pid")")
	assert_failed
	[[ "$stderr" == *"$VTPM_NAME"* ]] || fail "error does not name the device: $stderr"
	[[ ! -e "$RUNAS_BASE/root/vtpmd.pid" ]] || fail "the refused daemon wrote a pid file"
	pid_alive "$VTPM_PID"
	run tpm2 getrandom 8 --hex
	assert_status 0
}

# bats test_tags=plain
@test "hardening: the running daemon's filter kills it for a call outside the list (execve)" {
	vtpm_start_ready
	# an allowed call through the same injection leaves it serving
	run inject "$VTPM_PID" "$NR_GETPID"
	assert_status 0
	assert_eq "$output" "result $VTPM_PID" "injected getpid"
	run tpm2 getrandom 8 --hex
	assert_status 0
	if [[ -n "${VTPMD_SANITIZER:-}" ]]; then
		skip "sanitizer build: the filter logs instead of killing"
	fi
	run inject "$VTPM_PID" "$NR_EXECVE" 0 0 0
	assert_status 0
	assert_eq "$output" "killed SYS" "injected execve"
	wait_until 10 pid_gone "$VTPM_PID" || fail "vtpmd still alive"
	_vtpm_forget_pid "$VTPM_PID"
	wait_until 10 test ! -e "$VTPM_DEV" || fail "$VTPM_DEV outlived its daemon"
}

# bats test_tags=plain
@test "hardening: --seccomp action=log lets the call through; action=none installs no filter" {
	vtpm_start_ready --seccomp action=log
	assert_locked_down "$VTPM_PID" 0 0 "$(root_groups)" 2
	run inject "$VTPM_PID" "$NR_EXECVE" 0 0 0
	assert_status 0
	assert_eq "$output" "result -14" "execve(NULL) under action=log: EFAULT, not killed"
	run tpm2 getrandom 8 --hex
	assert_status 0
	vtpm_stop

	vtpm_start_ready --seccomp action=none
	# capabilities go whatever the filter
	assert_locked_down "$VTPM_PID" 0 0 "$(root_groups)" 0
}

# assert_confined PID STATE: the running daemon's own openat() calls,
# injected into it: a file is created in its state directory; outside it
# nothing opens, neither for writing nor (but in a sanitizer build, which
# reads its binaries and /proc) for reading: EACCES from Landlock.
assert_confined() {
	local pid=$1 state=$2 r
	run inject "$pid" "$NR_OPENAT" "$AT_FDCWD" "str:$state/landlock-probe" "$O_WRONLY_CREAT" 0600
	assert_status 0
	assert_match "$output" '^result [0-9]+$' "openat in the state directory"
	[[ -e "$state/landlock-probe" ]] || fail "no file made in $state"
	rm -f "$state/landlock-probe"
	run inject "$pid" "$NR_OPENAT" "$AT_FDCWD" "str:/tmp/vtpmd-landlock-probe" "$O_WRONLY_CREAT" 0600
	assert_eq "$output" "result $EACCES" "openat(O_CREAT) of /tmp/vtpmd-landlock-probe"
	[[ ! -e /tmp/vtpmd-landlock-probe ]] || fail "the daemon created a file outside its state directory"
	run inject "$pid" "$NR_OPENAT" "$AT_FDCWD" "str:/etc/passwd" "$O_WRONLY_CREAT" 0
	assert_eq "$output" "result $EACCES" "openat(O_WRONLY) of /etc/passwd"
	if [[ -z "${VTPMD_SANITIZER:-}" ]]; then
		run inject "$pid" "$NR_OPENAT" "$AT_FDCWD" "str:/etc/passwd" "$O_RDONLY" 0
		assert_eq "$output" "result $EACCES" "openat(O_RDONLY) of /etc/passwd"
	fi
	# and it still serves
	pid_alive "$pid" || fail "vtpmd died"
}

# bats test_tags=plain
@test "hardening: Landlock confines the serving daemon to its state directory, as root and as --runas" {
	vtpm_start_ready
	grep -q "Landlock (ABI [0-9]*): the file system is confined to $VTPM_STATE" "$VTPM_LOG" ||
		fail "log: $(cat "$VTPM_LOG")"
	assert_confined "$VTPM_PID" "$VTPM_STATE"
	run tpm2 getrandom 8 --hex
	assert_status 0
	# the pid file's directory lets it remove the pid file, nothing more
	vtpm_stop
	[[ ! -e "$VTPM_PIDFILE" ]] || fail "pid file left behind"

	runas_base
	mkdir -p "$RUNAS_BASE/state"
	chown nobody "$RUNAS_BASE/state"
	vtpm_start_as "$VTPM_NAME" "$RUNAS_BASE/state" "$VTPM_PIDFILE" --runas nobody \
		--flags not-need-init,startup-clear
	assert_confined "$VTPM_PID" "$RUNAS_BASE/state"
}

@test "hardening: the daemon is not dumpable, and uid 0 without --runas says so in its log" {
	vtpm_start_ready
	grep -q "serving as uid 0 (no --runas)" "$VTPM_LOG" || fail "log: $(cat "$VTPM_LOG")"
	vtpm_stop
	runas_base
	mkdir -p "$RUNAS_BASE/state"
	chown nobody "$RUNAS_BASE/state"
	vtpm_start_as "$VTPM_NAME" "$RUNAS_BASE/state" "$VTPM_PIDFILE" --runas nobody \
		--flags not-need-init,startup-clear --log "file=$BATS_TEST_TMPDIR/nobody.log,level=2"
	# not dumpable: /proc/PID's files belong to root, not to the process's
	# user (no core file, no ptrace by another process of that user)
	assert_eq "$(stat -c %U "/proc/$VTPM_PID/environ")" root "owner of /proc/PID/environ as nobody"
	grep -q "serving as uid $(id -u nobody) gid" "$BATS_TEST_TMPDIR/nobody.log" &&
		! grep -q "serving as uid 0" "$BATS_TEST_TMPDIR/nobody.log" ||
		fail "log: $(cat "$BATS_TEST_TMPDIR/nobody.log")"
}

# bats test_tags=plain
@test "hardening: fcntl(F_SETOWN) is outside the allow-list: the filter kills the daemon" {
	vtpm_start_ready
	if [[ -n "${VTPMD_SANITIZER:-}" ]]; then
		skip "sanitizer build: the filter logs instead of killing"
	fi
	run inject "$VTPM_PID" "$NR_FCNTL" 0 "$F_SETOWN" 1
	assert_status 0
	assert_eq "$output" "killed SYS" "injected fcntl(F_SETOWN)"
	wait_until 10 pid_gone "$VTPM_PID" || fail "vtpmd still alive"
	_vtpm_forget_pid "$VTPM_PID"
}
