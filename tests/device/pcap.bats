#!/usr/bin/env bats
# --pcap: the TPM traffic as pcapng, decoded by Debian's tshark as TPM 2.0.
load lib

# tshark_fields FILE FIELD...: one line per TPM frame, fields separated by
# commas (a tab would let `read` merge empty fields).
tshark_fields() {
	local file=$1 args=() f
	shift
	for f in "$@"; do
		args+=(-e "$f")
	done
	timeout 300 tshark -r "$file" -Y tpm -T fields -E separator=, "${args[@]}" 2>/dev/null
}

@test "--pcap file=: tshark decodes every command and response, vtpmd's own included" {
	local pcap=$BATS_TEST_TMPDIR/tpm.pcapng
	vtpm_start_ready --pcap "file=$pcap,mode=0600"
	tpm2 getrandom --hex 8 >/dev/null
	tpm2 pcrread sha256:0 >/dev/null
	vtpm_stop
	assert_eq "$(stat -c %a "$pcap")" 600 "pcap file mode"

	# Commands go to port 2321, responses come back from it.
	run tshark_fields "$pcap" tcp.dstport tpm.req.cc tpm.resp.rc
	assert_status 0
	local cmds=() rcs=() port cc rc
	while IFS=, read -r port cc rc; do
		if [[ $port == 2321 ]]; then
			[[ -n $cc ]] || fail "a frame to 2321 without a command code: $output"
			cmds+=("$cc")
		else
			[[ -n $rc ]] || fail "a frame from 2321 without a response code: $output"
			rcs+=("$rc")
		fi
	done <<<"$output"
	assert_eq "${#rcs[@]}" "${#cmds[@]}" "responses vs commands"
	# The Startup of --flags startup-clear, the client's commands, and the
	# Shutdown(SU_STATE) vtpmd sends on SIGTERM.
	assert_eq "${cmds[0]} ${rcs[0]}" "0x00000144 0x00000000" "first exchange"
	[[ " ${cmds[*]} " == *" 0x0000017b "* ]] || fail "no TPM2_GetRandom in ${cmds[*]}"
	[[ " ${cmds[*]} " == *" 0x0000017e "* ]] || fail "no TPM2_PCR_Read in ${cmds[*]}"
	assert_eq "${cmds[-1]} ${rcs[-1]}" "0x00000145 0x00000000" "last exchange"

	# The verbose decode names the TPM fields; checksums and TCP are clean.
	# tshark checks checksums only when told; it then says "[Header checksum
	# status: Good]" (IPv4) and "[Checksum Status: Good]" (TCP), or "Bad".
	local check=(-o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE)
	run timeout 300 tshark -r "$pcap" -V "${check[@]}"
	assert_status 0
	[[ "$output" == *"TPM2.0 Protocol"* ]] || fail "no TPM2.0 Protocol in tshark -V"
	[[ "$output" == *"Command Code: TPM2_CC_GetRandom (0x0000017b)"* ]] ||
		fail "tshark -V does not name TPM2_CC_GetRandom"
	[[ "$output" == *"Startup type: TPM_SU_CLEAR"* ]] || fail "tshark -V shows no Startup type"
	[[ "$output" == *"[Header checksum status: Good]"* &&
	   "$output" == *"[Checksum Status: Good]"* ]] || fail "tshark checked no checksum"
	[[ "$output" != *"hecksum status: Bad]"* && "$output" != *"Checksum Status: Bad]"* ]] ||
		fail "bad checksums in tshark -V"
	run timeout 300 tshark -r "$pcap" -q -z expert,warn "${check[@]}"
	assert_status 0
	[[ "$output" != *Warning* && "$output" != *Error* ]] || fail "tshark expert info: $output"
}

@test "--pcap fd=: written to an inherited descriptor; truncate starts the file over" {
	local pcap=$BATS_TEST_TMPDIR/fd.pcapng
	echo "old content" >"$pcap"
	vtpm_start_ready --pcap fd=5 5>>"$pcap"
	tpm2 getrandom --hex 4 >/dev/null
	vtpm_stop
	# Appended after the old bytes, as a complete recording of its own.
	assert_eq "$(head -c 11 "$pcap")" "old content"
	tail -c +13 "$pcap" >"$BATS_TEST_TMPDIR/tail.pcapng"
	run tshark_fields "$BATS_TEST_TMPDIR/tail.pcapng" tpm.req.cc
	assert_status 0
	[[ "$output" == *0x0000017b* ]] || fail "no TPM2_GetRandom in the fd= recording: $output"

	vtpm_start_ready --pcap "file=$pcap,truncate"
	tpm2 getrandom --hex 4 >/dev/null
	vtpm_stop
	run tshark_fields "$pcap" tpm.req.cc
	assert_status 0
	[[ "$output" == *0x0000017b* ]] || fail "no TPM2_GetRandom after truncate: $output"
}

@test "--pcap to a path that cannot be written: one-line error, no device" {
	vtpmd_run -n "$VTPM_NAME" --tpmstate "dir=$VTPM_STATE" --pcap file=/nonexistent/dir/x.pcapng
	assert_one_line_error
	[[ "$stderr" == *pcap* ]] || fail "the error does not name --pcap: $stderr"
	[[ ! -e "$VTPM_DEV" ]] || fail "$VTPM_DEV exists"
}
