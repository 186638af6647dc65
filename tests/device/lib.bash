# shellcheck shell=bash disable=SC2034  # constants used by the .bats files
# Helpers for the device tests: start and stop vtpmd, talk to its node with
# tpm2-tools, swtpm_ioctl and the raw clients in tests/tools/, and clean up
# whatever a test leaves behind, also when it fails.
#
# tests/device/run exports VTPMD (the daemon) and VTPM_TOOLS (built clients).
# Every test gets its own device name and state directory.

bats_require_minimum_version 1.5.0

: "${VTPMD:?VTPMD is not set; run the suite with tests/device/run BUILD_DIR}"
: "${VTPM_TOOLS:?VTPM_TOOLS is not set; run the suite with tests/device/run BUILD_DIR}"

# Raw TPM 2.0 commands and responses (hex) used by several files.
CMD_GETRANDOM8=80010000000c0000017b0008       # TPM2_GetRandom(8)
CMD_STARTUP_CLEAR=80010000000c000001440000    # TPM2_Startup(SU_CLEAR)
CMD_READCLOCK=80010000000a00000181            # TPM2_ReadClock (QEMU's probe)
RSP_FATAL_TPM2=80010000000a00000101           # tag NO_SESSIONS, TPM_RC_FAILURE
RSP_OK_TPM2=80010000000a00000000
RSP_NOT_STARTED_TPM2=80010000000a00000100     # TPM_RC_INITIALIZE
# TPM 1.2
CMD12_STARTUP_CLEAR=00c10000000c000000990001  # TPM_Startup(ST_CLEAR)
CMD12_GETCAP_VERSION=00c100000012000000650000000600000000 # TPM_GetCapability(CAP_VERSION)
RSP12_GETCAP_VERSION=00c400000012000000000000000401010000 # version 1.1.0.0
RSP12_OK=00c40000000a00000000
RSP12_FATAL=00c40000000a00000009              # tag RSP_COMMAND, TPM_FAIL

# What `ptmctl DEV sweep` (every PTM request once) gets from a client's
# node: TPM commands aside, four queries answered, the rest refused.
SWEEP_CLIENT="GET_CAPABILITY caps 0x4804
GET_CONFIG result 0x0
GET_TPMESTABLISHED result 0x0
GET_INFO result 0x0
CANCEL_TPM_CMD errno EPERM
SET_LOCALITY errno EPERM
HASH_START errno EPERM
HASH_DATA errno EPERM
HASH_END errno EPERM
RESET_TPMESTABLISHED errno EPERM
STORE_VOLATILE errno EPERM
SET_BUFFERSIZE errno EPERM
LOCK_STORAGE errno EPERM
GET_STATEBLOB_DECRYPTED errno EPERM
GET_STATEBLOB errno EPERM
SET_STATEBLOB errno EPERM
SET_DATAFD errno EPERM
INIT errno EPERM
STOP errno EPERM
SHUTDOWN errno EPERM"

# sha256 PCR value after extending an all-zero PCR with 32 bytes of 0xaa.
DIGEST_AA=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
PCR_AFTER_AA=9EF814B42FA0BE12D197C44D3E8E03441A4B1118237658368BA1351090E556ED

# --- assertions --------------------------------------------------------------

fail() {
	printf '%s\n' "$*" >&2
	return 1
}

assert_eq() { # ACTUAL EXPECTED [WHAT]
	[[ "$1" == "$2" ]] || fail "${3:-value}: expected '$2', got '$1'"
}

assert_match() { # STRING REGEX [WHAT]
	[[ "$1" =~ $2 ]] || fail "${3:-value}: '$1' does not match /$2/"
}

assert_status() { # N  (after run)
	[[ "$status" -eq "$1" ]] || fail "exit status: expected $1, got $status; output: ${output:-} ${stderr:-}"
}

assert_failed() { # (after run) non-zero exit
	[[ "$status" -ne 0 ]] || fail "expected a non-zero exit status; output: ${output:-}"
}

# After vtpmd_run: failed with exactly one non-empty line on stderr.
assert_one_line_error() {
	assert_failed
	[[ "${#stderr_lines[@]}" -eq 1 && -n "${stderr_lines[0]}" ]] ||
		fail "expected one line on stderr, got ${#stderr_lines[@]}: '${stderr:-}'"
}

# --- processes -----------------------------------------------------------------

# True while PID exists and is not a zombie. (Builtins only: under the test
# VM's emulated CPU every fork+exec costs about 0.1 s.)
pid_alive() {
	local stat
	[[ -n "$1" ]] && read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
	stat=${stat##*) }
	[[ "${stat:0:1}" != Z ]]
}

# wait_until SECONDS CMD...: run CMD every 0.1 s until it succeeds.
wait_until() {
	local limit=$(( $1 * 10 )) i
	shift
	for (( i = 0; i < limit; i++ )); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

pid_gone() { ! pid_alive "$1"; }

# Every vtpmd process of the binary under test, one pid a line.
vtpmd_pids() {
	local want p
	want=$(readlink -f "$VTPMD")
	# shellcheck disable=SC2044 # /proc/PID/exe paths have no blanks
	for p in $(find /proc -mindepth 2 -maxdepth 2 -name exe -lname "$want" 2>/dev/null); do
		p=${p#/proc/}
		p=${p%/exe}
		pid_alive "$p" && echo "$p"
	done
	return 0
}

_vtpm_forget_pid() {
	local keep=() p
	for p in "${VTPM_PIDS[@]}"; do
		[[ "$p" == "$1" ]] || keep+=("$p")
	done
	VTPM_PIDS=("${keep[@]}")
}

# --- per-test setup and teardown ------------------------------------------------

setup() {
	VTPM_NAME="vtpmtest-${BATS_SUITE_TEST_NUMBER}"
	VTPM_DEV="/dev/$VTPM_NAME"
	VTPM_STATE="$BATS_TEST_TMPDIR/state"
	VTPM_PIDFILE="$BATS_TEST_TMPDIR/vtpmd.pid"
	VTPM_LOG="$BATS_TEST_TMPDIR/vtpmd.log"
	VTPM_PID=
	VTPM_PIDS=()
	VTPM_MOUNTS=()
	VTPM_LOOPS=()
	unset TPM2_TCTI_OVERRIDE
	[[ ! -e "$VTPM_DEV" ]] || fail "$VTPM_DEV exists before the test started"
}

# Stops every daemon the test started (SIGTERM, then SIGKILL), then any other
# vtpmd of this build left running, which fails the test.
teardown() {
	local p leftover=() rc=0
	for p in "${VTPM_PIDS[@]}"; do
		pid_alive "$p" || continue
		kill -TERM "$p" 2>/dev/null || true
		if ! wait_until 30 pid_gone "$p"; then
			echo "teardown: vtpmd $p ignored SIGTERM for 30 s; SIGKILL" >&2
			kill -KILL "$p" 2>/dev/null || true
			rc=1
		fi
	done
	for p in $(vtpmd_pids); do
		leftover+=("$p")
		kill -KILL "$p" 2>/dev/null || true
	done
	if (( ${#leftover[@]} )); then
		echo "teardown: killed vtpmd processes the test did not start or stop: ${leftover[*]}" >&2
		rc=1
	fi
	for p in "${VTPM_MOUNTS[@]}"; do
		umount "$p" 2>/dev/null || true
	done
	for p in "${VTPM_LOOPS[@]}"; do
		losetup -d "$p" 2>/dev/null || true
	done
	[[ -z "${RUNAS_BASE:-}" ]] || rm -rf "$RUNAS_BASE"
	if [[ -s "$VTPM_LOG" ]]; then
		echo "--- $VTPM_LOG"
		tail -n 40 "$VTPM_LOG"
	fi
	return "$rc"
}

# loop_device FILE SIZE: a loop block device on FILE (made SIZE bytes long,
# as truncate takes it) in LOOP_DEV; teardown detaches it. Skips the test
# where the kernel has no loop devices.
loop_device() {
	truncate -s "$2" "$1"
	[[ -e /dev/loop-control ]] || modprobe loop 2>/dev/null || true
	LOOP_DEV=$(losetup --find --show "$1" 2>/dev/null) || skip "no loop devices here"
	VTPM_LOOPS+=("$LOOP_DEV")
}

# runas_base: a directory the --runas user can reach (bats' own temp dirs
# are 0700), in RUNAS_BASE; teardown removes it.
runas_base() {
	RUNAS_BASE=$(mktemp -d /tmp/vtpmd-runas.XXXXXX)
	chmod 0755 "$RUNAS_BASE"
}

# The system user vtpm-cdi and vtpmd@.service run vtpmd as
# (systemd/vtpmd.sysusers), made with systemd-sysusers where it is missing
# (the test VM's /etc is a throw-away overlay).
ensure_vtpmd_user() {
	id vtpmd >/dev/null 2>&1 && return 0
	systemd-sysusers "$BATS_TEST_DIRNAME/../../systemd/vtpmd.sysusers" >/dev/null 2>&1 ||
		fail "cannot create the system user vtpmd"
}

# --- running vtpmd -------------------------------------------------------------

# vtpmd_run ARGS...: run vtpmd to completion, like bats' run --separate-stderr,
# but with output in files so a daemon that (wrongly) keeps stdout open cannot
# hang the test. Sets status, output, lines, stderr, stderr_lines.
vtpmd_run() {
	local out="$BATS_TEST_TMPDIR/run.out" err="$BATS_TEST_TMPDIR/run.err"
	status=0
	timeout 60 "$VTPMD" "$@" >"$out" 2>"$err" 3>&- </dev/null || status=$?
	output=$(<"$out")
	stderr=$(<"$err")
	mapfile -t lines <"$out"
	mapfile -t stderr_lines <"$err"
}

# tpmstate_of STATE: TPMSTATE_ARG becomes --tpmstate's value: dir=STATE for
# a directory, STATE itself when it is swtpm's spelling of another backend
# (backend-uri=file://PATH...). A builtin: no subshell.
tpmstate_of() {
	TPMSTATE_ARG="dir=$1"
	[[ "$1" != backend-uri=* ]] || TPMSTATE_ARG=$1
}

# vtpm_start_as NAME DIR PIDFILE [ARGS...]: start a daemon in background mode
# (DIR: a directory, or see tpmstate_of) and check what the parent's exit
# promises: the node is a char device, the pid file names a live process.
# Sets VTPM_PID. Adds --log unless ARGS has one.
vtpm_start_as() {
	local name=$1 dir=$2 pidfile=$3 a log=(--log "file=$BATS_TEST_TMPDIR/$1.log,level=2")
	shift 3
	for a in "$@"; do
		[[ "$a" == --log ]] && log=()
	done
	if [[ "$name" == "$VTPM_NAME" && ${#log[@]} -gt 0 ]]; then
		log=(--log "file=$VTPM_LOG,level=2")
	fi
	tpmstate_of "$dir"
	vtpmd_run -n "$name" --tpmstate "$TPMSTATE_ARG" --pid "file=$pidfile" "${log[@]}" "$@"
	if [[ -s "$pidfile" ]]; then
		VTPM_PIDS+=("$(<"$pidfile")")
	fi
	[[ "$status" -eq 0 ]] ||
		fail "vtpmd -n $name $* exited $status: $stderr"
	[[ -c "/dev/$name" ]] || fail "vtpmd returned 0 but /dev/$name is not a character device"
	[[ -s "$pidfile" ]] || fail "vtpmd returned 0 but wrote no pid file $pidfile"
	VTPM_PID=$(<"$pidfile")
	pid_alive "$VTPM_PID" || fail "pid file names $VTPM_PID, which is not running"
}

# vtpm_start [ARGS...]: the test's own device (VTPM_NAME, VTPM_STATE).
vtpm_start() {
	vtpm_start_as "$VTPM_NAME" "$VTPM_STATE" "$VTPM_PIDFILE" "$@"
}

# A running TPM 2.0 that has seen Startup(CLEAR).
vtpm_start_ready() {
	vtpm_start --flags not-need-init,startup-clear "$@"
}

# vtpm_start_fg [ARGS...]: start the test's device with -f as a child of this
# shell; waits up to 60 s for the node. Sets VTPM_PID (= $!).
vtpm_start_fg() {
	tpmstate_of "$VTPM_STATE"
	"$VTPMD" -f -n "$VTPM_NAME" --tpmstate "$TPMSTATE_ARG" --pid "file=$VTPM_PIDFILE" \
		--log "file=$VTPM_LOG,level=2" "$@" \
		>"$BATS_TEST_TMPDIR/fg.out" 2>"$BATS_TEST_TMPDIR/fg.err" 3>&- </dev/null &
	VTPM_PID=$!
	VTPM_PIDS+=("$VTPM_PID")
	local i
	for (( i = 0; i < 600; i++ )); do
		[[ -c "$VTPM_DEV" ]] && return 0
		pid_alive "$VTPM_PID" || break
		sleep 0.1
	done
	[[ -c "$VTPM_DEV" ]] && return 0
	fail "vtpmd -f did not create $VTPM_DEV: $(cat "$BATS_TEST_TMPDIR/fg.err")"
}

# vtpm_wait_exit PID [SECONDS]: wait for a daemon to end (no signal sent).
vtpm_wait_exit() {
	wait_until "${2:-30}" pid_gone "$1" || fail "vtpmd $1 still running after ${2:-30} s"
	_vtpm_forget_pid "$1"
}

# vtpm_stop [PID [NAME]]: SIGTERM, wait up to 30 s for the process to end and
# the node to go; SIGKILL and fail if it does not.
vtpm_stop() {
	local pid=${1:-$VTPM_PID} name=${2:-$VTPM_NAME}
	kill -TERM "$pid" || fail "cannot signal vtpmd $pid"
	if ! wait_until 30 pid_gone "$pid"; then
		kill -KILL "$pid" 2>/dev/null || true
		wait_until 10 pid_gone "$pid" || true
		_vtpm_forget_pid "$pid"
		fail "vtpmd $pid did not exit within 30 s of SIGTERM"
	fi
	_vtpm_forget_pid "$pid"
	wait_until 5 test ! -e "/dev/$name" || fail "/dev/$name still exists after vtpmd exited"
}

# --- clients ---------------------------------------------------------------------

# tpm2 TOOL ARGS...: tpm2_TOOL against the test's device (or the TCTI in
# TPM2_TCTI_OVERRIDE, e.g. swtpm:path=SOCKET for an interop peer).
tpm2() {
	local tool=$1
	shift
	timeout 120 "tpm2_$tool" -T "${TPM2_TCTI_OVERRIDE:-device:$VTPM_DEV}" "$@"
}

# ptm_ioctl ARGS...: Debian's swtpm_ioctl against the test's device.
ptm_ioctl() {
	timeout 60 swtpm_ioctl "$@" "$VTPM_DEV"
}

# The C clients (tests/tools/).
tpmraw() {
	timeout 600 "$VTPM_TOOLS/tpmraw" "$VTPM_DEV" "$@"
}

ptmctl() {
	timeout 600 "$VTPM_TOOLS/ptmctl" "$VTPM_DEV" "$@"
}

# The value of TPM_PT_LOCKOUT_COUNTER, e.g. 0x1.
lockout_counter() {
	tpm2 getcap properties-variable | sed -n 's/^TPM2_PT_LOCKOUT_COUNTER: //p'
}

# pcr_value ALG:N -> the value tpm2_pcrread prints (0x..., upper case).
pcr_value() {
	local n=${1#*:}
	tpm2 pcrread "$1" | sed -n "s/^ *$n *: //p"
}

# define_nv_and_key CONTENT: through tpm2 (the test's device or the TCTI
# override), the NV index NV_IDX holding the 8 bytes CONTENT and a persistent
# ECC primary at PERSISTENT (both set by the caller); the key's name goes to
# KEY_NAME.
define_nv_and_key() {
	run tpm2 nvdefine "$NV_IDX" -C o -s 8 -a "ownerread|ownerwrite"
	assert_status 0
	printf '%s' "$1" >"$BATS_TEST_TMPDIR/nvdata"
	run tpm2 nvwrite "$NV_IDX" -C o -i "$BATS_TEST_TMPDIR/nvdata"
	assert_status 0
	run tpm2 createprimary -C o -G ecc256 -c "$BATS_TEST_TMPDIR/primary.ctx"
	assert_status 0
	run tpm2 evictcontrol -C o -c "$BATS_TEST_TMPDIR/primary.ctx" "$PERSISTENT"
	assert_status 0
	run tpm2 flushcontext -t
	KEY_NAME=$(tpm2 readpublic -c "$PERSISTENT" | sed -n 's/^name: //p')
	assert_match "$KEY_NAME" '^000b[0-9a-f]{64}$' "name of the persistent key"
}

# nv_write VALUE: the 8 bytes VALUE into NV_IDX (set by the caller), and
# nv_expect VALUE WHAT: NV_IDX holds them, through tpm2.
nv_write() {
	printf '%s' "$1" >"$BATS_TEST_TMPDIR/nvdata"
	run tpm2 nvwrite "$NV_IDX" -C o -i "$BATS_TEST_TMPDIR/nvdata"
	assert_status 0
}

nv_expect() {
	run tpm2 nvread "$NV_IDX" -C o -s 8
	assert_status 0
	assert_eq "$output" "$1" "$2"
}

# ls -A of a directory as one line.
dir_list() {
	(cd "$1" && ls -A | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')
}

# run_swtpm_setup DIR CA_STATEDIR SIGNKEY ISSUERCERT [ARGS...]: Debian's
# swtpm_setup on DIR, certificates signed offline by swtpm_localca with
# SIGNKEY and ISSUERCERT (made there on first use if missing); its log is
# $BATS_TEST_TMPDIR/swtpm_setup.log. Fails the test if swtpm_setup does.
run_swtpm_setup() {
	local dir=$1 castate=$2 key=$3 cert=$4 t=$BATS_TEST_TMPDIR
	shift 4
	mkdir -p "$dir" "$castate"
	cat >"$t/localca.conf" <<-EOF
		statedir = $castate
		signingkey = $key
		issuercert = $cert
		certserial = $castate/certserial
	EOF
	cat >"$t/swtpm_setup.conf" <<-EOF
		create_certs_tool = /usr/bin/swtpm_localca
		create_certs_tool_config = $t/localca.conf
		create_certs_tool_options = /etc/swtpm-localca.options
		active_pcr_banks = sha256
	EOF
	run timeout 600 swtpm_setup --tpm2 --tpmstate "$dir" --config "$t/swtpm_setup.conf" \
		--logfile "$t/swtpm_setup.log" "$@"
	[[ "$status" -eq 0 ]] || fail "swtpm_setup failed ($status): $(tail -5 "$t/swtpm_setup.log")"
}

# swtpm_run DIR [ARGS...]: Debian's swtpm in socket mode on DIR (or a
# backend, see tpmstate_of), TCP ports of its own; TPM2_TCTI_OVERRIDE then
# points tpm2-tools at it. swtpm_end stops it through its control channel.
swtpm_run() {
	local dir=$1
	shift
	SW_PORT=$((21000 + BATS_SUITE_TEST_NUMBER * 10))
	tpmstate_of "$dir"
	timeout 60 swtpm socket --tpm2 --tpmstate "$TPMSTATE_ARG" \
		--server "type=tcp,port=$SW_PORT" --ctrl "type=tcp,port=$((SW_PORT + 1))" \
		--flags not-need-init,startup-clear --pid "file=$BATS_TEST_TMPDIR/swtpm.pid" \
		--log "file=$BATS_TEST_TMPDIR/swtpm.log" -d "$@" 3>&- ||
		fail "swtpm did not start on $dir: $(tail -3 "$BATS_TEST_TMPDIR/swtpm.log")"
	SW_PID=$(cat "$BATS_TEST_TMPDIR/swtpm.pid")
	VTPM_PIDS+=("$SW_PID")          # teardown stops it if the test fails
	TPM2_TCTI_OVERRIDE="swtpm:port=$SW_PORT"
}

swtpm_end() {
	unset TPM2_TCTI_OVERRIDE
	run timeout 30 swtpm_ioctl -s --tcp ":$((SW_PORT + 1))"
	assert_status 0
	wait_until 30 pid_gone "$SW_PID" || fail "swtpm did not exit"
	_vtpm_forget_pid "$SW_PID"
}
