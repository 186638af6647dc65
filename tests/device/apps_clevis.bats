#!/usr/bin/env bats
# clevis 19 with its tpm2 pin (Debian 12's clevis-tpm2) on vtpmd: a secret
# bound to PCR 16 decrypts, and is refused once PCR 16 has changed. The pin
# drives tpm2-tools (createprimary, create, load, unseal) in separate
# processes.
#
# clevis looks for a TPM only at /dev/tpmrm?; it takes any other through
# TPM2TOOLS_TCTI (its documented override), here device:/dev/vtpmN. Its
# default PCR bank is sha1, which vtpmd's TPM has active beside sha256.
load lib
load apps

@test "clevis-tpm2: a secret bound to PCR 16 on /dev/vtpmN decrypts; after PCR 16 changes, decrypt is refused" {
	apps_need clevis clevis-encrypt-tpm2 jq
	vtpm_start_ready
	local t=$BATS_TEST_TMPDIR
	export TPM2TOOLS_TCTI=device:$VTPM_DEV
	printf 'disk-key-%s' "$RANDOM$RANDOM" >"$t/plain"

	run --separate-stderr clevis encrypt tpm2 '{"pcr_ids":"16"}' <"$t/plain"
	assert_status 0
	printf '%s' "$output" >"$t/secret.jwe"
	# A compact JWE whose protected header names the tpm2 pin and PCR 16.
	local hdr
	hdr=$(cut -d. -f1 <"$t/secret.jwe" | tr '_-' '/+')
	while (( ${#hdr} % 4 )); do hdr+='='; done
	run jq -r '.clevis.pin + " " + .clevis.tpm2.pcr_ids' < <(base64 -d <<<"$hdr")
	assert_status 0
	assert_eq "$output" "tpm2 16" "the JWE's clevis header"
	# Clevis's encrypt leaves a policy session on the raw node.
	apps_flush

	run --separate-stderr clevis decrypt <"$t/secret.jwe"
	assert_status 0
	assert_eq "$output" "$(<"$t/plain")" "decrypted secret"
	apps_flush

	apps_extend 16 sha1 sha256
	run --separate-stderr clevis decrypt <"$t/secret.jwe"
	assert_failed
	assert_eq "$output" "" "plaintext after PCR 16 changed"
	apps_flush
	vtpm_stop
}
