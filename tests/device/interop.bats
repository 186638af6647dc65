# Interop with Debian's swtpm 0.7.1, both ways, plain and
# encrypted: a state directory manufactured by swtpm_setup (EK, EK
# certificate, platform certificate) runs in vtpmd, and what vtpmd leaves in
# a state directory runs in swtpm (socket mode, tpm2-tools' swtpm TCTI).

load lib

EK_HANDLE=0x81010001            # RSA EK, where swtpm_setup makes it persistent
EK_CERT_NV=0x01c00002           # RSA EK certificate (TCG EK profile)
PLATFORM_CERT_NV=0x01c08000     # platform certificate
NV_IDX=0x1500030
PERSISTENT=0x81000002

# swtpm_setup_state DIR [ARGS...]: what libvirt does for a new vTPM --
# swtpm_setup with EK, EK certificate and platform certificate, signed by a
# local CA (offline: swtpm_localca only). The CA lives as long as this file's
# tests: making its keys is the slow part under an emulated CPU.
# Sets EK_MODULUS (hex, as swtpm_setup handed it to the CA).
swtpm_setup_state() {
	local dir=$1 ca=$BATS_FILE_TMPDIR/ca
	shift
	run_swtpm_setup "$dir" "$ca" "$ca/signkey.pem" "$ca/issuercert.pem" \
		--createek --create-ek-cert --create-platform-cert "$@"
	EK_MODULUS=$(sed -n 's/.*--type ek --ek \([0-9a-f]\{256,\}\) .*/\1/p' \
		"$BATS_TEST_TMPDIR/swtpm_setup.log" | head -n1)
	[[ -n "$EK_MODULUS" ]] || fail "no RSA EK modulus in the swtpm_setup log"
}

# openssl's "Modulus=HEX" -> lower-case hex
modulus_hex() {
	sed 's/^Modulus=//' | tr 'A-F' 'a-f'
}

# The EK at its persistent handle is swtpm_setup's, and the certificates in
# NV are there; the EK certificate certifies exactly that key.
check_ek_and_certs() {
	local t=$BATS_TEST_TMPDIR
	run tpm2 readpublic -c "$EK_HANDLE" -f pem -o "$t/ek.pem"
	assert_status 0
	assert_eq "$(openssl rsa -pubin -in "$t/ek.pem" -noout -modulus | modulus_hex)" \
		"$EK_MODULUS" "EK modulus at $EK_HANDLE"
	run tpm2 nvread "$EK_CERT_NV" -C o -o "$t/ekcert.der"
	assert_status 0
	assert_eq "$(openssl x509 -inform DER -in "$t/ekcert.der" -noout -modulus | modulus_hex)" \
		"$EK_MODULUS" "key in the EK certificate"
	run tpm2 nvread "$PLATFORM_CERT_NV" -C o -o "$t/platform.der"
	assert_status 0
	(($(stat -c %s "$t/platform.der") > 100)) || fail "platform certificate is too small"
}

# An NV index with known content and a persistent ECC key; KEY_NAME is the
# key's name.
define_objects() {
	define_nv_and_key INTEROP!
}

check_objects() {
	run tpm2 nvread "$NV_IDX" -C o -s 8
	assert_status 0
	assert_eq "$output" "INTEROP!" "NV index content"
	assert_eq "$(tpm2 readpublic -c "$PERSISTENT" | sed -n 's/^name: //p')" "$KEY_NAME" \
		"persistent key name"
}

# header_flags FILE -> the blob header's flags field, e.g. 0009
header_flags() {
	od -An -tx1 -j4 -N2 "$1" | tr -d ' \n'
}

@test "interop: swtpm_setup's TPM (EK, EK cert, platform cert) runs in vtpmd" {
	swtpm_setup_state "$VTPM_STATE"
	vtpm_start_ready
	check_ek_and_certs
	vtpm_stop
	# vtpmd wrote it back in a form swtpm still reads
	swtpm_run "$VTPM_STATE"
	check_ek_and_certs
	swtpm_end
}

@test "interop: swtpm_setup's encrypted TPM (--keyfile, aes-256-cbc) runs in vtpmd with --key" {
	local key=$BATS_TEST_TMPDIR/state.key
	head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$key"
	swtpm_setup_state "$VTPM_STATE" --keyfile "$key" --cipher aes-256-cbc
	assert_eq "$(header_flags "$VTPM_STATE/tpm2-00.permall")" "0009" "swtpm_setup's file: encrypted, 256-bit key"
	cp "$VTPM_STATE/tpm2-00.permall" "$BATS_TEST_TMPDIR/permall.swtpm"
	vtpm_start_ready --key "file=$key,mode=aes-256-cbc"
	check_ek_and_certs
	run ptm_ioctl -g
	assert_eq "$output" "ptm configuration flags: 0x1"
	vtpm_stop
	assert_eq "$(header_flags "$VTPM_STATE/tpm2-00.permall")" "0009" "vtpmd's file: still encrypted"
	! cmp -s "$VTPM_STATE/tpm2-00.permall" "$BATS_TEST_TMPDIR/permall.swtpm" ||
		fail "vtpmd did not write the permanent state (the test needs it to)"
	swtpm_run "$VTPM_STATE" --key "file=$key,mode=aes-256-cbc"
	check_ek_and_certs
	swtpm_end
}

@test "interop: an NV index and a persistent key made through vtpmd are there in swtpm" {
	vtpm_start_ready
	define_objects
	vtpm_stop
	swtpm_run "$VTPM_STATE"
	check_objects
	swtpm_end
}

@test "interop: the same through encrypted state (passphrase, PBKDF2) both ways" {
	local pass=$BATS_TEST_TMPDIR/pass
	printf 'a vTPM passphrase\n' >"$pass"
	vtpm_start_ready --key "pwdfile=$pass"
	define_objects
	vtpm_stop
	assert_eq "$(header_flags "$VTPM_STATE/tpm2-00.permall")" "0001" "encrypted, 128-bit key"
	swtpm_run "$VTPM_STATE" --key "pwdfile=$pass"
	check_objects
	# swtpm changes the state; vtpmd reads swtpm's encrypted files back
	printf 'SWTPM-2!' >"$BATS_TEST_TMPDIR/nvdata2"
	run tpm2 nvwrite "$NV_IDX" -C o -i "$BATS_TEST_TMPDIR/nvdata2"
	assert_status 0
	swtpm_end
	vtpm_start_ready --key "pwdfile=$pass"
	run tpm2 nvread "$NV_IDX" -C o -s 8
	assert_eq "$output" "SWTPM-2!"
	assert_eq "$(tpm2 readpublic -c "$PERSISTENT" | sed -n 's/^name: //p')" "$KEY_NAME"
}
