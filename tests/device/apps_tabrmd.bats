#!/usr/bin/env bats
# tpm2-abrmd 3.0 (Debian 12), the user-space resource manager, in front of
# vtpmd: `tpm2-abrmd --tcti=device:/dev/vtpmN` on a D-Bus session bus of the
# test's own, with tpm2-tools clients through `-T tabrmd:bus_type=session`.
# abrmd holds the node (a single-open node: it is the one opener) and gives
# each client connection its own objects and sessions, swapping them in and
# out of the TPM with TPM2_ContextSave, ContextLoad and FlushContext.
load lib
load apps

# ta TOOL ARGS...: tpm2_TOOL through tpm2-abrmd.
ta() {
	local tool=$1
	shift
	timeout 120 "tpm2_$tool" -T "$TABRMD_TCTI" "$@"
}

@test "tpm2-abrmd on /dev/vtpmN: clients that leave objects loaded run past the TPM's 3 slots, two at once, and nothing is left when abrmd stops" {
	vtpm_start_ready
	local t=$BATS_TEST_TMPDIR i
	# On the raw node, each tpm2_createprimary leaves its object loaded:
	# the fourth finds the TPM full.
	for i in 1 2 3; do
		run tpm2 createprimary -C o -c "$t/raw$i.ctx"
		assert_status 0
	done
	run tpm2 createprimary -C o -c "$t/raw4.ctx"
	assert_failed
	assert_match "$output" 'Esys_CreatePrimary\(0x902\)' "the fourth primary on the raw node"
	apps_flush

	tabrmd_start "$VTPM_DEV"
	for i in 1 2 3 4 5 6; do
		run ta createprimary -C o -c "$t/p$i.ctx"
		assert_status 0
	done
	# A key made and used across processes, each handing the next a
	# context file: create, load, sign, verify.
	run ta create -C "$t/p1.ctx" -G ecc256 -u "$t/key.pub" -r "$t/key.priv"
	assert_status 0
	run ta load -C "$t/p1.ctx" -u "$t/key.pub" -r "$t/key.priv" -c "$t/key.ctx"
	assert_status 0
	echo "signed through tpm2-abrmd" >"$t/data"
	run ta sign -c "$t/key.ctx" -g sha256 -o "$t/data.sig" "$t/data"
	assert_status 0
	run ta verifysignature -c "$t/key.ctx" -g sha256 -m "$t/data" -s "$t/data.sig"
	assert_status 0

	# Two clients at once, each making and dropping objects.
	local pids=() rcs=()
	for i in a b; do
		(
			for n in 1 2 3 4; do
				ta createprimary -C o -G ecc256 -c "$t/$i$n.ctx" >/dev/null || exit 1
				ta getrandom --hex 16 >/dev/null || exit 1
			done
		) 2>"$t/client-$i.err" &
		pids+=($!)
	done
	for i in "${pids[@]}"; do
		wait "$i"
		rcs+=($?)
	done
	assert_eq "${rcs[*]}" "0 0" "exit status of the two clients ($(cat "$t"/client-*.err))"
	run ta getcap handles-transient
	assert_status 0
	assert_eq "$output" "" "transient handles a new connection sees"

	tabrmd_stop
	assert_nothing_loaded "tpm2-abrmd's clients"
	vtpm_stop
}

@test "tpm2-abrmd on /dev/vtpmN: a policy session started by one client is extended by two more and flushed by a fourth" {
	vtpm_start_ready
	apps_extend 16 sha256
	local t=$BATS_TEST_TMPDIR kind
	tabrmd_start "$VTPM_DEV"
	# The same policy (PCR 16, then the Unseal command) built in a trial
	# session and in a real one, each passed from process to process in a
	# context file: abrmd keeps a session when its client's connection ends.
	for kind in trial policy; do
		local opt=()
		[[ $kind == policy ]] && opt=(--policy-session)
		run ta startauthsession "${opt[@]}" -S "$t/$kind.ctx"
		assert_status 0
		run ta policypcr -S "$t/$kind.ctx" -l sha256:16 -L "$t/$kind-pcr.digest"
		assert_status 0
		run ta policycommandcode -S "$t/$kind.ctx" TPM2_CC_Unseal -L "$t/$kind.digest"
		assert_status 0
		run ta flushcontext "$t/$kind.ctx"
		assert_status 0
	done
	# tpm2_createpolicy computes the PCR step in a session of its own.
	run ta createpolicy --policy-pcr -l sha256:16 -L "$t/pcr.digest"
	assert_status 0
	assert_eq "$(od -An -tx1 "$t/policy-pcr.digest" | tr -d ' \n')" \
		"$(od -An -tx1 "$t/pcr.digest" | tr -d ' \n')" "the policy session's PCR step"
	assert_eq "$(od -An -tx1 "$t/policy.digest" | tr -d ' \n')" \
		"$(od -An -tx1 "$t/trial.digest" | tr -d ' \n')" "the policy session's digest"
	[[ $(stat -c %s "$t/policy.digest") == 32 ]] || fail "the policy digest is not 32 bytes"
	tabrmd_stop
	assert_nothing_loaded "tpm2-abrmd's clients"
	vtpm_stop
}
