#!/usr/bin/env bats
# systemd/vtpmd@.service and the readiness protocol: the unit verifies clean,
# READY=1 arrives on $NOTIFY_SOCKET once the node opens and answers, and
# STOPPING=1 follows SIGTERM. tests/tools/notify_wait plays systemd's part.
load lib

UNIT=$BATS_TEST_DIRNAME/../../systemd/vtpmd@.service

# The unit's value of KEY (first occurrence).
unit_value() {
	sed -n "s/^$1=//p" "$UNIT" | head -n 1
}

# ExecStart of instance NAME as words, with this build's vtpmd, state in DIR
# and $VTPMD_ARGS from the unit's Environment= default. Sets EXEC_START.
unit_exec_start() { # NAME DIR
	local args line
	args=$(sed -n 's/^Environment="VTPMD_ARGS=\(.*\)"$/\1/p' "$UNIT")
	line=$(unit_value ExecStart)
	line=${line//\/usr\/local\/bin\/vtpmd/$VTPMD}
	line=${line//\/var\/lib\/vtpmd\/%i/$2}
	line=${line//%i/$1}
	line=${line//\$VTPMD_ARGS/$args}
	read -ra EXEC_START <<<"$line"
}

# notify_wait SOCKET COMMAND...: run COMMAND under tests/tools/notify_wait for
# the test's device; checks the whole exchange.
expect_ready_then_stopping() { # SOCKET COMMAND...
	local sock=$1
	shift
	run timeout 300 "$VTPM_TOOLS/notify_wait" "$sock" "$VTPM_DEV" 240 -- "$@"
	assert_status 0
	assert_match "${lines[0]}" '^pid [0-9]+$'
	# The node exists before READY=1; it opens and answers a command the
	# moment READY=1 arrives; STOPPING=1 comes after SIGTERM; clean exit.
	local want="node-before-ready yes|msg READY=1|ready-open ok|ready-probe 00000000|sent SIGTERM|msg STOPPING=1|exit 0"
	local got
	got=$(printf '%s|' "${lines[@]:1}")
	assert_eq "${got%|}" "$want" "notify exchange"
	[[ ! -e "$VTPM_DEV" ]] || fail "$VTPM_DEV still exists after exit"
}

@test "systemd-analyze verify: the unit is clean" {
	command -v systemd-analyze >/dev/null || skip "systemd-analyze is not installed"
	local dir=$BATS_TEST_TMPDIR/units
	mkdir -p "$dir"
	# verify needs the Exec binaries to exist: use this build's.
	sed -e "s|/usr/local/bin/vtpmd|$VTPMD|" \
		-e "s|/usr/local/bin/vtpm-setup|${VTPMD%/*}/vtpm-setup|" "$UNIT" >"$dir/vtpmd@.service"
	cp "$dir/vtpmd@.service" "$dir/vtpmd@vtpm0.service"
	# --man=no: the man page is checked where it is installed, not here.
	run timeout 120 systemd-analyze verify --man=no "$dir/vtpmd@vtpm0.service"
	assert_status 0
	assert_eq "$output" "" "systemd-analyze verify output"
	assert_eq "$(unit_value Type)" notify "Type="
	unit_exec_start vtpm0 /var/lib/vtpmd/vtpm0
	assert_eq "${EXEC_START[*]:0:9}" "$VTPMD -f -n vtpm0 --control-node --runas vtpmd --tpmstate dir=/var/lib/vtpmd/vtpm0" "ExecStart"
	# the CA's key is vtpm-setup's alone: hidden from the serving sandbox
	assert_eq "$(unit_value StateDirectory)" "vtpmd/%i"
	assert_eq "$(unit_value InaccessiblePaths)" "-/var/lib/vtpmd/ca"
	# The hardening stays: systemd's own rating of the unit's exposure.
	run timeout 120 systemd-analyze security --offline=yes "$dir/vtpmd@vtpm0.service"
	assert_match "$output" 'Overall exposure level for vtpmd@vtpm0.service: [0-4]\.[0-9] ' "exposure"
}

@test "READY=1 once the node opens, STOPPING=1 after SIGTERM (socket path)" {
	expect_ready_then_stopping "$BATS_TEST_TMPDIR/notify" \
		"$VTPMD" -f -n "$VTPM_NAME" --tpmstate "dir=$VTPM_STATE" \
		--flags not-need-init,startup-clear --log "file=$VTPM_LOG,level=2"
}

@test "READY=1 and STOPPING=1 over an abstract socket (@name)" {
	expect_ready_then_stopping "@vtpmd-test-$$-$BATS_SUITE_TEST_NUMBER" \
		"$VTPMD" -f -n "$VTPM_NAME" --tpmstate "dir=$VTPM_STATE" \
		--flags not-need-init,startup-clear --log "file=$VTPM_LOG,level=2"
}

# The unit's ExecStartPre lines for instance NAME on DIR, run as systemd
# runs them ("+": outside the sandbox), with this build's programs.
unit_exec_start_pre() { # NAME DIR
	local line args
	args=$(sed -n 's/^Environment="VTPM_SETUP_ARGS=\(.*\)"$/\1/p' "$UNIT")
	while read -r line; do
		line=${line#+}
		line=${line//\/usr\/local\/bin\/vtpm-setup/${VTPMD%/*}/vtpm-setup}
		line=${line//\/var\/lib\/vtpmd\/%i/$2}
		line=${line//%i/$1}
		line=${line//\$VTPM_SETUP_ARGS/$args --ca-dir $BATS_TEST_TMPDIR/ca}
		read -ra cmd <<<"$line"
		"${cmd[@]}" || fail "ExecStartPre failed: $line"
	done <<<"$(sed -n 's/^ExecStartPre=//p' "$UNIT")"
}

# True once the test's node exists, or PID has ended (no use waiting).
node_or_gone() {
	[[ -c "$VTPM_DEV" ]] || pid_gone "$1"
}

# The capability bounding set of the unit, as setpriv spells it.
unit_bounding_set() {
	local caps c bset=-all
	caps=$(unit_value CapabilityBoundingSet)
	for c in $caps; do
		c=${c#CAP_}
		bset+=",+${c,,}"
	done
	echo "$bset"
}

@test "the unit's ExecStart works within its capability bounding set and NoNewPrivileges" {
	ensure_vtpmd_user
	runas_base      # a state directory the user vtpmd can reach
	mkdir -p "$RUNAS_BASE/state"
	chown vtpmd:vtpmd "$RUNAS_BASE/state"
	unit_exec_start "$VTPM_NAME" "$RUNAS_BASE/state"
	expect_ready_then_stopping "$BATS_TEST_TMPDIR/notify" \
		setpriv --bounding-set "$(unit_bounding_set)" --no-new-privs \
		"${EXEC_START[@]}" --log "file=$VTPM_LOG,level=2"
}

# bats test_tags=plain
@test "the unit's instance: manufactured, handed to the user vtpmd, served without uid 0, capabilities or the rest of the file system, F_SETOWN kills it; its node answers TPM commands, NAME-ctl the rest" {
	local pid s state
	ensure_vtpmd_user
	runas_base      # /var/lib/vtpmd is 0755 root: a directory like it
	state=$RUNAS_BASE/$VTPM_NAME
	unit_exec_start_pre "$VTPM_NAME" "$state"
	assert_eq "$(stat -c %U "$state" "$state/tpm2-00.permall" | sort -u)" vtpmd \
		"owner of the state after ExecStartPre"
	unit_exec_start "$VTPM_NAME" "$state"
	setpriv --bounding-set "$(unit_bounding_set)" --no-new-privs \
		"${EXEC_START[@]}" --log "file=$VTPM_LOG,level=2" \
		</dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/unit.err" &
	pid=$!
	VTPM_PIDS+=("$pid")
	wait_until 120 node_or_gone "$pid" || fail "vtpmd ended: $(cat "$BATS_TEST_TMPDIR/unit.err")"
	[[ -c "$VTPM_DEV" ]] || fail "no $VTPM_DEV: $(cat "$BATS_TEST_TMPDIR/unit.err")"
	wait_until 60 grep -q "confined to" "$VTPM_LOG" || fail "log: $(cat "$VTPM_LOG")"
	s=/proc/$pid/status
	assert_eq "$(sed -n 's/^Uid:[[:space:]]*//p' "$s" | tr -s '\t' ' ')" \
		"$(id -u vtpmd) $(id -u vtpmd) $(id -u vtpmd) $(id -u vtpmd)" "Uid"
	assert_eq "$(sed -n 's/^CapEff:[[:space:]]*//p' "$s")" 0000000000000000 "CapEff"
	assert_eq "$(sed -n 's/^NoNewPrivs:[[:space:]]*//p' "$s")" 1 "NoNewPrivs"
	# Landlock: its own openat() of a file outside the state directory
	run timeout 60 "$VTPM_TOOLS/syscall_inject" "$pid" 257 -100 "str:/tmp/vtpmd-landlock-probe" 0101 0600
	assert_eq "$output" "result -13" "openat(/tmp/..., O_CREAT) by the unit's vtpmd"
	run tpm2 getrandom 8 --hex
	assert_status 0
	run timeout 60 "$VTPM_TOOLS/ptmctl" "$VTPM_DEV" init
	assert_eq "$output" "errno EPERM" "INIT on the unit's node"
	run timeout 60 swtpm_ioctl -c "$VTPM_DEV-ctl"
	assert_eq "$output" "ptm capability is 0x16fff"
	if [[ -n "${VTPMD_SANITIZER:-}" ]]; then
		vtpm_stop "$pid"
		return
	fi
	# its own fcntl(F_SETOWN) is outside the allow-list: the filter kills it
	run timeout 60 "$VTPM_TOOLS/syscall_inject" "$pid" 72 0 8 1
	assert_eq "$output" "killed SYS" "fcntl(F_SETOWN) by the unit's vtpmd"
	wait_until 10 pid_gone "$pid" || fail "vtpmd still alive"
	_vtpm_forget_pid "$pid"
}
