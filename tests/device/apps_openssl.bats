#!/usr/bin/env bats
# tpm2-openssl 1.1.1 (Debian 12's OpenSSL 3 provider) on vtpmd: a key made
# in the TPM (openssl genpkey -provider tpm2) signs through the provider,
# and plain OpenSSL, without the provider, verifies the signature with the
# public key alone. The private key file is a TPM-wrapped blob
# (TSS2 PRIVATE KEY) that OpenSSL cannot use by itself.
#
# The provider reads its TCTI from TPM2OPENSSL_TCTI (its default is
# whatever libtss2-tctildr finds first: tpm2-abrmd, /dev/tpmrm0, /dev/tpm0).
# It loads its keys with `-provider tpm2 -provider base` (base decodes the
# PEM file; default would take the signature itself and fail).
load lib
load apps

need_tpm2_provider() {
	apps_need openssl
	local dir
	dir=$(openssl version -m | sed -n 's/^MODULESDIR: "\(.*\)"$/\1/p')
	[[ -e $dir/tpm2.so ]] || skip "OpenSSL's tpm2 provider is not installed (package tpm2-openssl)"
}

# openssl_key_roundtrip ALG OPTION: genpkey, sign, verify, for one key type.
openssl_key_roundtrip() {
	local alg=$1 opt=$2 t=$BATS_TEST_TMPDIR
	export TPM2OPENSSL_TCTI=device:$VTPM_DEV
	printf 'signed by a key in the TPM %s\n' "$RANDOM" >"$t/data"

	run --separate-stderr openssl genpkey -provider tpm2 -algorithm "$alg" -pkeyopt "$opt" \
		-out "$t/key.priv"
	assert_status 0
	assert_eq "$(head -n 1 "$t/key.priv")" "-----BEGIN TSS2 PRIVATE KEY-----" "key file"
	run --separate-stderr openssl pkey -provider tpm2 -provider base -in "$t/key.priv" \
		-pubout -out "$t/key.pub"
	assert_status 0
	run --separate-stderr openssl pkeyutl -provider tpm2 -provider base -sign \
		-inkey "$t/key.priv" -rawin -digest sha256 -in "$t/data" -out "$t/data.sig"
	assert_status 0
	assert_nothing_loaded "the tpm2 provider"
	unset TPM2OPENSSL_TCTI

	# Plain OpenSSL: no provider, no TPM.
	assert_openssl_verifies "$t/key.pub" "$t/data.sig" "$t/data"
	# Without the provider, the private key is an opaque blob.
	run openssl pkey -in "$t/key.priv" -noout
	assert_failed
}

@test "tpm2-openssl provider: an RSA-2048 key made in the TPM on /dev/vtpmN signs; plain OpenSSL verifies" {
	need_tpm2_provider
	vtpm_start_ready
	openssl_key_roundtrip RSA bits:2048
	vtpm_stop
}

@test "tpm2-openssl provider: an EC P-256 key made in the TPM on /dev/vtpmN signs; plain OpenSSL verifies" {
	need_tpm2_provider
	vtpm_start_ready
	openssl_key_roundtrip EC group:P-256
	vtpm_stop
}
