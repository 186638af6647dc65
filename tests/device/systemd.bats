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
	assert_eq "${EXEC_START[*]:0:5}" "$VTPMD -f -n vtpm0 --tpmstate" "ExecStart"
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

@test "the unit's ExecStart works within its capability bounding set and NoNewPrivileges" {
	local caps c bset=-all
	caps=$(unit_value CapabilityBoundingSet)
	for c in $caps; do
		c=${c#CAP_}
		bset+=",+${c,,}"
	done
	unit_exec_start "$VTPM_NAME" "$VTPM_STATE"
	expect_ready_then_stopping "$BATS_TEST_TMPDIR/notify" \
		setpriv --bounding-set "$bset" --no-new-privs \
		"${EXEC_START[@]}" --log "file=$VTPM_LOG,level=2"
}
