#!/usr/bin/env bats
# A TPM with an identity: vtpm-setup manufactures the EKs, their
# certificates and the PCR banks; what it writes is checked through a real
# /dev/vtpmN with tpm2-tools, against Debian's swtpm_setup 0.7.1 doing the
# same job, in Debian's swtpm 0.7.1 (plain and encrypted), with openssl as
# the verifier, and through the systemd unit's ExecStartPre.
load lib

VTPM_SETUP=${VTPMD%/*}/vtpm-setup
RSA_EK=0x81010001
ECC_EK=0x81010016
RSA_EK_CERT=0x01c00002
ECC_EK_CERT=0x01c00016
PLATFORM_CERT=0x01c08000
UNIT=$BATS_TEST_DIRNAME/../../systemd/vtpmd@.service

# The local CA lives as long as this file's tests, as it would on a host.
CA=$BATS_FILE_TMPDIR/ca
STD=$BATS_FILE_TMPDIR/std

# One TPM made the way libvirt asks swtpm_setup for one (and with --ek-pub),
# which the tests that only read it copy: manufacturing is the slow part
# under an emulated CPU.
setup_file() {
	timeout 300 "$VTPM_SETUP" --tpm2 --tpmstate "$STD" --createek --create-ek-cert \
		--create-platform-cert --lock-nvram --ca-dir "$CA" --vmid vm-identity \
		--ek-pub "$BATS_FILE_TMPDIR/std-ek.pub"
}

# A copy of that TPM as the test's state; its --ek-pub file as ek.pub.
use_std_state() {
	[[ -s "$STD/tpm2-00.permall" ]] || fail "setup_file did not manufacture $STD"
	cp -a "$STD" "$VTPM_STATE"
	cp "$BATS_FILE_TMPDIR/std-ek.pub" "$BATS_TEST_TMPDIR/ek.pub"
}

# vsetup ARGS...: vtpm-setup, like bats' run --separate-stderr.
vsetup() {
	run --separate-stderr timeout 300 "$VTPM_SETUP" "$@"
}

# manufacture DIR [ARGS...]: what libvirt asks swtpm_setup for, and more.
manufacture() {
	local dir=$1
	shift
	vsetup --tpm2 --tpmstate "$dir" --createek --create-ek-cert --create-platform-cert \
		--lock-nvram --ca-dir "$CA" --vmid "vm-$BATS_SUITE_TEST_NUMBER" "$@"
	[[ "$status" -eq 0 ]] || fail "vtpm-setup failed ($status): $stderr"
	[[ -z "$output" && -z "$stderr" ]] || fail "vtpm-setup said something: $output $stderr"
}

# cert_pubkey DERFILE OUT: the public key a certificate certifies, as PEM
# (the same text tpm2-tools write with -f pem).
cert_pubkey() {
	openssl x509 -inform DER -in "$1" -noout -pubkey >"$2" ||
		fail "$1 is not a certificate"
}

same_key() { # PEM PEM WHAT
	cmp -s "$1" "$2" || fail "$3: the keys differ ($1, $2)"
}

verify_chain() { # DERFILE
	run openssl verify -CAfile "$CA/rootca-cert.pem" -untrusted "$CA/issuercert.pem" "$1"
	assert_status 0
	assert_eq "$output" "$1: OK" "openssl verify"
}

# nv_list: "INDEX ATTRIBUTES SIZE" per NV index, from tpm2_nvreadpublic.
nv_list() {
	tpm2 nvreadpublic | awk '/^0x/ { idx = $1 } /^    value: / { attr = $2 }
		/^  size: / { print idx, attr, $2 }'
}

# The banks with PCRs allocated, from tpm2_getcap pcrs ("sha1 sha384").
active_banks() {
	tpm2 getcap pcrs | sed -n 's/^ *- \([a-z0-9_]*\): \[ *[0-9].*/\1/p' | tr '\n' ' ' | sed 's/ $//'
}

# Debian's swtpm_setup; its swtpm_localca signs with vtpm-setup's local CA
# (GnuTLS reads its keys), which spares certtool making a CA of its own.
swtpm_setup_state() {
	local dir=$1
	shift
	run_swtpm_setup "$dir" "$BATS_TEST_TMPDIR" "$CA/signkey.pem" "$CA/issuercert.pem" "$@"
}

# The key in the certificate at INDEX is the EK at HANDLE and the key
# --ek-pub wrote under NAME; with ALG, also the EK tpm2_createek derives,
# and the certificate verifies against the local CA.
check_ek() { # HANDLE INDEX NAME [ALG]
	local t=$BATS_TEST_TMPDIR
	run tpm2 nvread "$2" -C o -o "$t/cert-$2.der"
	assert_status 0
	cert_pubkey "$t/cert-$2.der" "$t/cert-$2.pem"
	run tpm2 readpublic -c "$1" -f pem -o "$t/rp-$1.pem"
	assert_status 0
	same_key "$t/rp-$1.pem" "$t/cert-$2.pem" "tpm2_readpublic -c $1"
	sed -n "/^EK $3,/,/END PUBLIC KEY/p" "$t/ek.pub" | sed 1d >"$t/ekpub-$3.pem"
	same_key "$t/ekpub-$3.pem" "$t/cert-$2.pem" "--ek-pub's $3 key"
	[[ -n "${4:-}" ]] || return 0
	run tpm2 createek -G "$4" -c "$t/ek-$4.ctx" -u "$t/ek-$4.pem" -f pem
	assert_status 0
	run tpm2 flushcontext -t
	same_key "$t/ek-$4.pem" "$t/cert-$2.pem" "tpm2_createek -G $4"
	verify_chain "$t/cert-$2.der"
}

@test "identity: the EK certificates come back through /dev/vtpmN, verify against the CA and certify the TPM's EKs" {
	local t=$BATS_TEST_TMPDIR
	use_std_state
	vtpm_start_ready
	# tpm2_getekcertificate finds the RSA EK certificate where the TCG says,
	# and it is what tpm2_nvread reads there (in check_ek)
	run tpm2 getekcertificate -o "$t/getek.der"
	assert_status 0
	check_ek "$RSA_EK" "$RSA_EK_CERT" rsa2048 rsa
	cmp "$t/getek.der" "$t/cert-$RSA_EK_CERT.der" ||
		fail "tpm2_getekcertificate and tpm2_nvread $RSA_EK_CERT differ"
	check_ek "$ECC_EK" "$ECC_EK_CERT" secp384r1 ecc384
	# the TCG content: SAN with the TPM's identity, EKU, subject = --vmid
	run openssl x509 -inform DER -in "$t/getek.der" -noout -text
	assert_match "$output" "Subject: CN = vm-identity"
	assert_match "$output" "DirName:/2.23.133.2.1=id:[0-9A-F]{8}/2.23.133.2.2=[^/]+/2.23.133.2.3="
	assert_match "$output" "Extended Key Usage: *"$'\n'" *2.23.133.8.1"
	run tpm2 nvread "$PLATFORM_CERT" -C o -o "$t/platform.der"
	assert_status 0
	verify_chain "$t/platform.der"
	cert_pubkey "$t/platform.der" "$t/platform.pem"
	same_key "$t/platform.pem" "$t/cert-$RSA_EK_CERT.pem" "the platform certificate's key"
}

@test "identity: the NV indices and keys are swtpm_setup's: same indices, attributes, persistent handles" {
	local ours theirs
	use_std_state
	swtpm_setup_state "$BATS_TEST_TMPDIR/swtpm-state" --createek --create-ek-cert \
		--create-platform-cert --lock-nvram
	vtpm_start_ready
	ours=$(nv_list)
	local ours_handles
	ours_handles=$(tpm2 getcap handles-persistent | tr '\n' ' ')
	vtpm_stop
	vtpm_start_as "${VTPM_NAME}b" "$BATS_TEST_TMPDIR/swtpm-state" "$BATS_TEST_TMPDIR/b.pid" \
		--flags not-need-init,startup-clear
	TPM2_TCTI_OVERRIDE="device:/dev/${VTPM_NAME}b"
	theirs=$(nv_list)
	assert_eq "$(tpm2 getcap handles-persistent | tr '\n' ' ')" "$ours_handles" "persistent handles"
	unset TPM2_TCTI_OVERRIDE
	echo "vtpm-setup: $ours"
	echo "swtpm_setup: $theirs"
	# same indices with the same attributes (0x62072801: ppwrite,
	# writelocked, writedefine, ppread, ownerread, authread, no_da, written,
	# platformcreate)
	assert_eq "$(cut -d' ' -f1,2 <<<"$ours")" "$(cut -d' ' -f1,2 <<<"$theirs")" \
		"indices and attributes"
	assert_eq "$(cut -d' ' -f2 <<<"$ours" | sort -u)" "0x62072801" "attributes"
	# sizes: DER certificates of the same kind, both under the TPM's limit
	local size
	for size in $(cut -d' ' -f3 <<<"$ours") $(cut -d' ' -f3 <<<"$theirs"); do
		((size > 400 && size < 2048)) || fail "certificate size $size"
	done
}

@test "identity: Debian's swtpm serves vtpm-setup's state, plain and aes-256-cbc, with the same EK" {
	local t=$BATS_TEST_TMPDIR key=$BATS_TEST_TMPDIR/state.key
	use_std_state
	swtpm_run "$VTPM_STATE"
	check_ek "$RSA_EK" "$RSA_EK_CERT" rsa2048
	check_ek "$ECC_EK" "$ECC_EK_CERT" secp384r1
	swtpm_end

	head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$key"
	manufacture "$t/enc" --keyfile "$key" --cipher aes-256-cbc --ek-pub "$t/ek.pub"
	# swtpm's header: flags 0009 = encrypted with a 256-bit key
	assert_eq "$(od -An -tx1 -j4 -N2 "$t/enc/tpm2-00.permall" | tr -d ' \n')" "0009" "header flags"
	swtpm_run "$t/enc" --key "file=$key,mode=aes-256-cbc"
	check_ek "$RSA_EK" "$RSA_EK_CERT" rsa2048
	swtpm_end
	# and vtpmd with the same key, through its device
	vtpm_start_as "${VTPM_NAME}e" "$t/enc" "$t/e.pid" --flags not-need-init,startup-clear \
		--key "file=$key,mode=aes-256-cbc"
	TPM2_TCTI_OVERRIDE="device:/dev/${VTPM_NAME}e"
	check_ek "$ECC_EK" "$ECC_EK_CERT" secp384r1
	unset TPM2_TCTI_OVERRIDE
}

@test "identity: --pcr-banks sha1,sha384 allocates exactly those banks; the default is sha256" {
	vsetup --tpmstate "$VTPM_STATE" --pcr-banks sha1,sha384
	assert_status 0
	vtpm_start_ready
	assert_eq "$(active_banks)" "sha1 sha384" "allocated banks"
	run tpm2 pcrread sha384:0
	assert_status 0
	assert_match "$output" "0 : 0x0{96}"
	vtpm_stop
	vsetup --tpmstate "$VTPM_STATE" --overwrite
	assert_status 0
	vtpm_start_ready
	assert_eq "$(active_banks)" "sha256" "default banks"
	vtpm_stop
	# a bank this TPM lacks: refused, state untouched
	local before
	before=$(sha256sum <"$VTPM_STATE/tpm2-00.permall")
	vsetup --tpmstate "$VTPM_STATE" --overwrite --pcr-banks sha1,sm3-256
	assert_status 1
	assert_eq "${#stderr_lines[@]}" 1 "error lines"
	assert_match "$stderr" "PCR bank sm3-256 is not available"
	assert_eq "$(sha256sum <"$VTPM_STATE/tpm2-00.permall")" "$before" "state after a refusal"
}

@test "identity: --lock-nvram makes tpm2_nvwrite on the certificate index fail; without it the write works" {
	local t=$BATS_TEST_TMPDIR
	printf 'x' >"$t/byte"
	use_std_state
	vtpm_start_ready
	run tpm2 nvwrite "$RSA_EK_CERT" -C p -i "$t/byte"
	assert_failed
	assert_match "$output" "0x148|NV access locked"
	run tpm2 nvwrite "$ECC_EK_CERT" -C p -i "$t/byte"
	assert_failed
	vtpm_stop
	vsetup --tpmstate "$VTPM_STATE" --overwrite --create-ek-cert --ca-dir "$CA"
	assert_status 0
	vtpm_start_ready
	run tpm2 nvwrite "$RSA_EK_CERT" -C p -i "$t/byte"
	assert_status 0
}

@test "identity: a CA of the enterprise: --ek-pub, certificates made elsewhere, --ek-cert" {
	local t=$BATS_TEST_TMPDIR
	vsetup --tpmstate "$VTPM_STATE" --createek --ek-pub "$t/ek.pub"
	assert_status 0
	openssl pkey -pubin -in "$t/ek.pub" -out "$t/rsa.pub"
	sed -n '/^EK secp384r1,/,$p' "$t/ek.pub" | openssl pkey -pubin -out "$t/ecc.pub"
	# the CA signs the EKs' public keys (an EK cannot sign a request)
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=corp-ca \
		-keyout "$t/corp.key" -out "$t/corp.pem" -days 10 2>/dev/null
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=ek \
		-keyout "$t/any.key" -out "$t/any.csr" 2>/dev/null
	openssl x509 -req -in "$t/any.csr" -force_pubkey "$t/rsa.pub" -CA "$t/corp.pem" \
		-CAkey "$t/corp.key" -days 10 -out "$t/rsa.crt" 2>/dev/null
	openssl x509 -req -in "$t/any.csr" -force_pubkey "$t/ecc.pub" -CA "$t/corp.pem" \
		-CAkey "$t/corp.key" -days 10 -outform DER -out "$t/ecc.der" 2>/dev/null
	# a certificate for some other key is refused, and nothing changes
	local before
	before=$(sha256sum <"$VTPM_STATE/tpm2-00.permall")
	vsetup --tpmstate "$VTPM_STATE" --ek-cert "$t/corp.pem"
	assert_status 1
	assert_match "$stderr" "its public key is not one of this TPM's EKs"
	assert_eq "$(sha256sum <"$VTPM_STATE/tpm2-00.permall")" "$before" "state after a refusal"
	vsetup --tpmstate "$VTPM_STATE" --ek-cert "$t/rsa.crt" --ek-cert "$t/ecc.der" --lock-nvram
	assert_status 0
	vtpm_start_ready
	run tpm2 getekcertificate -o "$t/got.der"
	assert_status 0
	openssl x509 -in "$t/rsa.crt" -outform DER -out "$t/rsa.der"
	cmp "$t/got.der" "$t/rsa.der" || fail "the RSA EK certificate is not the one stored"
	run tpm2 nvread "$ECC_EK_CERT" -C o -o "$t/got-ecc.der"
	assert_status 0
	cmp "$t/got-ecc.der" "$t/ecc.der" || fail "the ECC EK certificate is not the one stored"
	openssl x509 -inform DER -in "$t/got-ecc.der" -out "$t/got-ecc.pem"
	run openssl verify -CAfile "$t/corp.pem" "$t/got-ecc.pem"
	assert_status 0
	run tpm2 nvwrite "$ECC_EK_CERT" -C p -i "$t/any.csr"
	assert_failed
}

@test "identity: a state a running vtpmd holds is not replaced; --not-overwrite leaves it and succeeds" {
	local before inode
	use_std_state
	vtpm_start_ready
	before=$(sha256sum <"$VTPM_STATE/tpm2-00.permall")
	inode=$(stat -c %i "$VTPM_STATE")
	vsetup --tpmstate "$VTPM_STATE" --overwrite --createek
	assert_status 1
	assert_eq "${#stderr_lines[@]}" 1 "error lines"
	assert_match "$stderr" "in use by another process"
	vsetup --tpmstate "$VTPM_STATE" --createek
	assert_status 1
	assert_match "$stderr" "already holds a TPM state"
	vsetup --tpmstate "$VTPM_STATE" --not-overwrite --createek
	assert_status 0
	assert_eq "$(sha256sum <"$VTPM_STATE/tpm2-00.permall")" "$before" "state"
	assert_eq "$(stat -c %i "$VTPM_STATE")" "$inode" "directory"
	run tpm2 readpublic -c "$RSA_EK"
	assert_status 0
	[[ -z "$(find "$BATS_TEST_TMPDIR" -maxdepth 1 -name '.state.vtpm-setup-*')" ]] ||
		fail "vtpm-setup left a temporary directory"
}

# The unit's command KEY (ExecStartPre or ExecStart; the Nth of them, default
# the first) for instance NAME with state in DIR, as systemd would run it:
# "+" dropped, this build's binaries, $VTPM_SETUP_ARGS / $VTPMD_ARGS from
# CONF or the unit's default. Sets UNIT_CMD.
unit_cmd() { # KEY NAME DIR CONF [N]
	local line var value
	line=$(sed -n "s/^$1=//p" "$UNIT" | sed -n "${5:-1}p")
	line=${line#+}
	line=${line//\/usr\/local\/bin\/vtpm-setup/$VTPM_SETUP}
	line=${line//\/usr\/local\/bin\/vtpmd/$VTPMD}
	line=${line//\/var\/lib\/vtpmd\/%i/$3}
	line=${line//%i/$2}
	for var in VTPM_SETUP_ARGS VTPMD_ARGS; do
		value=$(sed -n "s/^Environment=\"$var=\(.*\)\"$/\1/p" "$UNIT")
		if grep -q "^$var=" "$4" 2>/dev/null; then
			value=$(set -a && . "$4" && eval "echo \"\$$var\"")
		fi
		line=${line//\$$var/$value}
	done
	read -ra UNIT_CMD <<<"$line"
}

# Start the unit's ExecStart in the foreground, as systemd does; wait for
# the node.
unit_start() { # NAME DIR CONF
	unit_cmd ExecStart "$@"
	"${UNIT_CMD[@]}" --log "file=$VTPM_LOG,level=2" >"$BATS_TEST_TMPDIR/unit.out" 2>&1 3>&- </dev/null &
	VTPM_PID=$!
	VTPM_PIDS+=("$VTPM_PID")
	wait_until 60 test -c "/dev/$1" || fail "the unit's vtpmd did not create /dev/$1: $(cat "$BATS_TEST_TMPDIR/unit.out")"
	wait_until 30 tpm2 getrandom 4 >/dev/null || fail "/dev/$1 does not answer"
}

@test "identity: the systemd unit's ExecStartPre manufactures on the first start and not on the second" {
	local t=$BATS_TEST_TMPDIR conf=$BATS_TEST_TMPDIR/$VTPM_NAME.conf state sum inode serial
	ensure_vtpmd_user               # the unit's vtpmd serves as vtpmd
	runas_base                      # /var/lib/vtpmd is 0755 root: a directory like it
	state=$RUNAS_BASE/$VTPM_NAME
	mkdir -p "$state"               # StateDirectory= makes it, empty
	# the unit's defaults plus a CA of this test (/var/lib/vtpmd/ca on a host)
	printf 'VTPM_SETUP_ARGS="%s --ca-dir %s"\n' \
		"$(sed -n 's/^Environment="VTPM_SETUP_ARGS=\(.*\)"$/\1/p' "$UNIT")" "$t/ca" >"$conf"
	unit_cmd ExecStartPre "$VTPM_NAME" "$state" "$conf"
	assert_eq "${UNIT_CMD[*]:0:3}" "$VTPM_SETUP --not-overwrite --tpmstate" "ExecStartPre"
	# first start: manufactured
	run --separate-stderr timeout 300 "${UNIT_CMD[@]}"
	assert_status 0
	[[ -s "$state/tpm2-00.permall" ]] || fail "no state after the first ExecStartPre"
	# the second hands the state to the user vtpmd serves as
	unit_cmd ExecStartPre "$VTPM_NAME" "$state" "$conf" 2
	assert_eq "${UNIT_CMD[*]:0:1}" /bin/chown "the second ExecStartPre"
	run "${UNIT_CMD[@]}"
	assert_status 0
	unit_start "$VTPM_NAME" "$state" "$conf"
	run tpm2 getekcertificate -o "$t/first.der"
	assert_status 0
	run openssl x509 -inform DER -in "$t/first.der" -noout -subject
	assert_eq "$output" "subject=CN = $VTPM_NAME" "--vmid %i"
	vtpm_stop
	sum=$(sha256sum <"$state/tpm2-00.permall")
	inode=$(stat -c %i "$state")
	serial=$(cat "$t/ca/certserial")
	# second start: left alone
	unit_cmd ExecStartPre "$VTPM_NAME" "$state" "$conf"
	run --separate-stderr timeout 300 "${UNIT_CMD[@]}"
	assert_status 0
	assert_eq "$stderr" "" "ExecStartPre's stderr"
	assert_eq "$(sha256sum <"$state/tpm2-00.permall")" "$sum" "state after the second ExecStartPre"
	assert_eq "$(stat -c %i "$state")" "$inode" "state directory"
	assert_eq "$(cat "$t/ca/certserial")" "$serial" "no certificate issued"
}

@test "identity: every feature --print-capabilities lists works" {
	local t=$BATS_TEST_TMPDIR feature
	printf '%s' "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$t/key"
	printf 'a passphrase' >"$t/pass"
	run timeout 60 "$VTPM_SETUP" --print-capabilities
	assert_status 0
	assert_eq "$(jq -r .type <<<"$output")" "swtpm_setup" "type"
	for feature in $(jq -r '.features[]' <<<"$output"); do
		case $feature in
		tpm-2.0)
			vsetup --tpm2 --tpmstate "$t/$feature" ;;
		cmdarg-keyfile-fd)
			vsetup --tpmstate "$t/$feature" --keyfile-fd 3 --cipher aes-256-cbc 3<"$t/key" ;;
		cmdarg-pwdfile-fd)
			vsetup --tpmstate "$t/$feature" --pwdfile-fd 3 3<"$t/pass" ;;
		tpm2-rsa-keysize-2048 | tpm2-rsa-keysize-3072)
			vsetup --tpmstate "$t/$feature" --createek --rsa-keysize "${feature##*-}" \
				--ek-pub "$t/$feature.pub"
			assert_status 0
			run openssl pkey -pubin -in "$t/$feature.pub" -noout -text
			assert_match "$output" "Public-Key: \(${feature##*-} bit\)" ;;
		*)
			fail "--print-capabilities lists '$feature', which this test does not know" ;;
		esac
		[[ "$status" -eq 0 ]] || fail "$feature: vtpm-setup failed: $stderr"
		[[ -s "$t/$feature/tpm2-00.permall" ]] || fail "$feature: no state"
	done
	# encrypted through the descriptors: swtpm's header says so
	assert_eq "$(od -An -tx1 -j4 -N2 "$t/cmdarg-keyfile-fd/tpm2-00.permall" | tr -d ' \n')" \
		"0009" "--keyfile-fd, aes-256-cbc"
	assert_eq "$(od -An -tx1 -j4 -N2 "$t/cmdarg-pwdfile-fd/tpm2-00.permall" | tr -d ' \n')" \
		"0001" "--pwdfile-fd, aes-128-cbc"
}
