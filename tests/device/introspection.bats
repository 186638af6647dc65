#!/usr/bin/env bats
# --print-capabilities and --print-info: what this build says about itself,
# and that what it says is true (a listed option works, an unlisted one is
# refused).
load lib

# Runs vtpmd with an option, on a device name whose node already exists
# (/dev/null), so that an accepted option gets as far as that check, the
# first step of start-up, and nothing is created. Sets REFUSED=no when vtpmd
# stopped there, REFUSED=yes when it stopped earlier, at the option.
option_refused() {
	vtpmd_run -n null --tpmstate "dir=$BATS_TEST_TMPDIR/state" "$@"
	assert_failed
	if [[ "${stderr_lines[*]}" == "vtpmd: /dev/null already exists" ]]; then
		REFUSED=no
	else
		REFUSED=yes
	fi
}

capabilities() {
	vtpmd_run --print-capabilities "$@"
	assert_status 0
	CAPS=$output
}

listed() { # FEATURE
	jq -e --arg f "$1" '.features | index($f) != null' <<<"$CAPS" >/dev/null
}

@test "--print-capabilities: swtpm's JSON shape on one line" {
	capabilities
	[[ ${#lines[@]} -eq 1 ]] || fail "expected one line, got: $output"
	run jq -r '.type, (.features | type), .version' <<<"$CAPS"
	assert_status 0
	assert_eq "${lines[*]}" "swtpm array $("$VTPMD" --version | sed -n 's/^vtpmd \([^ ]*\).*/\1/p')"
	for f in tpm-2.0 tpm-1.2 flags-opt-startup cmdarg-print-info cmdarg-pcap systemd-notify; do
		listed "$f" || fail "$f is not listed: $CAPS"
	done
	# CUSE has no --ctrl, so neither the send-command header nor terminate.
	! listed tpm-send-command-header || fail "tpm-send-command-header listed"
	! listed ctrl-opt-terminate || fail "ctrl-opt-terminate listed"
	# The RSA key sizes are libtpms' own, as in its feature info.
	vtpmd_run --print-info 4
	assert_status 0
	local sizes
	sizes=$(jq -r '.TPMFeatures.RSAKeySizes | map("rsa-keysize-\(.)") | join(" ")' <<<"$output")
	assert_eq "$(jq -r '[.features[] | select(startswith("rsa-keysize-"))] | join(" ")' <<<"$CAPS")" "$sizes"
	[[ -n "$sizes" ]] || fail "libtpms reported no RSA key sizes"
}

@test "--print-capabilities lists exactly the optional options this build accepts" {
	local feature args
	capabilities
	while IFS='|' read -r feature args; do
		read -ra argv <<<"$args"
		option_refused "${argv[@]}"
		if listed "$feature"; then
			assert_eq "$REFUSED" no "$feature is listed but ${argv[*]} is refused: $stderr"
		else
			assert_eq "$REFUSED" yes "$feature is not listed but ${argv[*]} is accepted"
		fi
	done <<-EOF
		cmdarg-key-fd|--key fd=0
		cmdarg-pwd-fd|--key pwdfd=0
		cmdarg-chroot|--chroot /
		cmdarg-migration|--migration incoming
		tpmstate-dir-backend-opt-backup|--tpmstate dir=$BATS_TEST_TMPDIR/state,backup
		nvram-backend-dir|--tpmstate backend-uri=dir://$BATS_TEST_TMPDIR/state
		nvram-backend-file|--tpmstate backend-uri=file://$BATS_TEST_TMPDIR/state.img
		cmdarg-pcap|--pcap file=$BATS_TEST_TMPDIR/x.pcapng
		nvram-backend-file|--tpmstate backend-uri=file://$BATS_TEST_TMPDIR/tpm.img
		ctrl-opt-terminate|--ctrl type=unixio,path=$BATS_TEST_TMPDIR/ctrl,terminate
	EOF
	vtpmd_run --print-states --tpmstate "dir=$BATS_TEST_TMPDIR/state"
	if listed cmdarg-print-states; then
		[[ $status -eq 0 ]] || fail "cmdarg-print-states is listed but --print-states failed: $stderr"
	else
		[[ $status -ne 0 ]] || fail "--print-states works but cmdarg-print-states is not listed"
	fi
}

@test "cmdarg-seccomp is listed exactly when the running daemon has a seccomp filter" {
	capabilities
	vtpm_start_ready
	local mode
	mode=$(sed -n 's/^Seccomp:[[:space:]]*//p' "/proc/$VTPM_PID/status")
	if listed cmdarg-seccomp; then
		assert_eq "$mode" 2 "seccomp mode of a daemon with the default --seccomp"
	else
		assert_eq "$mode" 0 "seccomp mode (cmdarg-seccomp is not listed)"
	fi
	vtpm_stop
}

@test "--print-info FLAGS prints libtpms' info for the chosen TPM version" {
	vtpmd_run --print-info 1
	assert_status 0
	assert_eq "$(jq -r .TPMSpecification.family <<<"$output")" 2.0
	vtpmd_run --tpm12 --print-info 1
	assert_status 0
	assert_eq "$(jq -r .TPMSpecification.family <<<"$output")" 1.2
	vtpmd_run --print-info 3
	assert_status 0
	assert_eq "$(jq -r 'keys | join(" ")' <<<"$output")" "TPMAttributes TPMSpecification"
	vtpmd_run --print-info nonsense
	assert_failed
	[[ "${stderr_lines[0]}" == *"--print-info"* ]] || fail "error does not name --print-info: $stderr"
}
