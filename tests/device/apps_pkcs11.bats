#!/usr/bin/env bats
# tpm2-pkcs11 1.9.0 (Debian 12's libtpm2-pkcs11-1, tpm2_ptool of
# libtpm2-pkcs11-tools) and OpenSC's pkcs11-tool 0.23 on vtpmd: tpm2_ptool
# makes a store, a token and an EC key; pkcs11-tool, through the module
# libtpm2_pkcs11.so, finds the token and signs with the key, and plain
# OpenSSL verifies the signature with the public key pkcs11-tool exports.
#
# tpm2_ptool runs tpm2-tools in steps that hand objects to each other in
# context files; on a raw node they all stay loaded, and its addtoken finds
# the TPM full (TPM_RC_OBJECT_MEMORY), as on the kernel's /dev/tpm0. So the
# test runs on vtpmd's resource-managed node /dev/vtpmrmN, as one would on
# the kernel's /dev/tpmrm0 (TPM2TOOLS_TCTI for tpm2_ptool, TPM2_PKCS11_TCTI
# for the module).
load lib
load apps

@test "tpm2-pkcs11: tpm2_ptool makes a token and an EC key on /dev/vtpmN (through the resource-managed node /dev/vtpmrmN); pkcs11-tool signs; plain OpenSSL verifies" {
	apps_need tpm2_ptool pkcs11-tool
	local module t=$BATS_TEST_TMPDIR
	module=$(echo /usr/lib/*/pkcs11/libtpm2_pkcs11.so)
	[[ -e $module ]] || skip "libtpm2_pkcs11.so is not installed (package libtpm2-pkcs11-1)"
	vtpm_start_ready
	mkdir "$t/store"
	export TPM2_PKCS11_STORE=$t/store TPM2TOOLS_TCTI=device:$(apps_rm_node) \
		TPM2_PKCS11_TCTI=device:$(apps_rm_node)

	run tpm2_ptool init
	assert_status 0
	assert_match "$output" 'id: 1' "tpm2_ptool init"
	run tpm2_ptool addtoken --pid=1 --sopin=so-secret --userpin=user-secret --label=vtpmd
	assert_status 0
	run tpm2_ptool addkey --label=vtpmd --userpin=user-secret --algorithm=ecc256 --key-label=signer
	assert_status 0

	local p11=(timeout 300 pkcs11-tool --module "$module" --token-label vtpmd)
	run timeout 300 pkcs11-tool --module "$module" --list-token-slots
	assert_status 0
	assert_match "$output" 'token label +: vtpmd' "the token in pkcs11-tool's slot list"
	printf 'signed through PKCS#11 %s\n' "$RANDOM" >"$t/data"
	run --separate-stderr "${p11[@]}" --login --pin user-secret --sign --mechanism ECDSA-SHA256 \
		--label signer --signature-format openssl --input-file "$t/data" --output-file "$t/data.sig"
	assert_status 0
	run --separate-stderr "${p11[@]}" --read-object --type pubkey --label signer \
		--output-file "$t/signer.der"
	assert_status 0
	unset TPM2TOOLS_TCTI TPM2_PKCS11_TCTI
	assert_nothing_loaded "tpm2_ptool and pkcs11-tool through the resource-managed node"

	run openssl pkey -pubin -inform DER -in "$t/signer.der" -out "$t/signer.pem"
	assert_status 0
	assert_openssl_verifies "$t/signer.pem" "$t/data.sig" "$t/data"
	vtpm_stop
}
