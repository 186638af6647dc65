# shellcheck shell=bash
# Helpers for the application tests (apps_*.bats): the programs people run
# on a TPM (systemd, clevis, the OpenSSL provider, tpm2-pkcs11, tpm2-abrmd,
# libvirt), as Debian 12 ships them, against the test's /dev/vtpmN.
#
# On the raw node a client's objects and sessions stay loaded after it
# exits, as on the kernel's /dev/tpm0 (libtpms holds 3 of each): each test
# starts its own vtpmd, and apps_flush clears the TPM between two
# applications, the way a resource manager does when a client closes.
# tabrmd_start puts Debian's tpm2-abrmd in front of the node where one
# application alone needs a resource manager.
#
# Load after lib: `load lib` then `load apps`.

# apps_need CMD...: skip the test unless every CMD is installed.
apps_need() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null || skip "$c is not installed (scripts/install-deps)"
	done
}

# The transient objects and the loaded and saved sessions the TPM holds,
# one handle a line, read through tpm2 (the raw node, or TPM2_TCTI_OVERRIDE).
apps_loaded() {
	local what
	for what in handles-transient handles-loaded-session handles-saved-session; do
		tpm2 getcap "$what" || return 1
	done | sed -n 's/^- //p'
}

# assert_nothing_loaded [WHO]: the TPM holds no transient object and no
# session (WHO names what ran before, for the message).
assert_nothing_loaded() {
	local left
	left=$(apps_loaded) || fail "tpm2_getcap handles failed"
	[[ -z $left ]] || fail "${1:-the clients} left loaded: ${left//$'\n'/ }"
}

# Flushes every transient object and session: what a client that exits
# leaves behind on the raw node.
apps_flush() {
	local class
	for class in -t -l -s; do
		tpm2 flushcontext "$class" >/dev/null || fail "tpm2_flushcontext $class failed"
	done
	assert_nothing_loaded "the flush"
}

# apps_extend PCR BANK...: extends PCR in each BANK (sha1, sha256) with a
# digest of 0xbb bytes, as a boot measurement would.
apps_extend() {
	local pcr=$1 bank spec=
	shift
	for bank in "$@"; do
		case $bank in
		sha1) spec+=${spec:+,}sha1=$(printf 'bb%.0s' {1..20}) ;;
		sha256) spec+=${spec:+,}sha256=$(printf 'bb%.0s' {1..32}) ;;
		*) fail "apps_extend: unknown bank $bank" ;;
		esac
	done
	tpm2 pcrextend "$pcr:$spec" || fail "tpm2_pcrextend $pcr:$spec failed"
}

# assert_openssl_verifies PUBKEY SIG DATA: plain OpenSSL (no provider, no
# TPM) verifies SIG, a sha256 signature of the file DATA, with PUBKEY, and
# rejects it once DATA is altered (the file is changed).
assert_openssl_verifies() {
	run openssl dgst -sha256 -verify "$1" -signature "$2" "$3"
	assert_status 0
	assert_eq "$output" "Verified OK" "openssl dgst -verify"
	printf 'tampered\n' >>"$3"
	run openssl dgst -sha256 -verify "$1" -signature "$2" "$3"
	assert_failed
}

# --- tpm2-abrmd ------------------------------------------------------------------

# tabrmd_start NODE: a D-Bus session bus of the test's own and Debian's
# tpm2-abrmd (default settings) on it, talking to NODE. Exports
# DBUS_SESSION_BUS_ADDRESS and sets TABRMD_TCTI for the clients. As root it
# needs --allow-root (Debian's unit runs it as user tss).
tabrmd_start() {
	local node=$1 dir=$BATS_TEST_TMPDIR/tabrmd
	apps_need dbus-daemon tpm2-abrmd
	mkdir -p "$dir"
	timeout 30 dbus-daemon --session --fork --nopidfile --address="unix:path=$dir/bus" \
		--print-pid=3 3>"$dir/dbus.pid" </dev/null >/dev/null ||
		fail "dbus-daemon did not start"
	TABRMD_DBUS_PID=$(<"$dir/dbus.pid")
	VTPM_PIDS+=("$TABRMD_DBUS_PID")
	export DBUS_SESSION_BUS_ADDRESS="unix:path=$dir/bus"
	tpm2-abrmd --session --tcti="device:$node" --allow-root \
		>"$dir/tabrmd.log" 2>&1 3>&- </dev/null &
	TABRMD_PID=$!
	VTPM_PIDS+=("$TABRMD_PID")
	TABRMD_TCTI=tabrmd:bus_type=session
	wait_until 60 tabrmd_answers ||
		fail "tpm2-abrmd did not answer within 60 s: $(tail -5 "$dir/tabrmd.log")"
}

tabrmd_answers() {
	pid_alive "$TABRMD_PID" || return 1
	timeout 30 tpm2_getrandom -T "$TABRMD_TCTI" 4 >/dev/null 2>&1
}

# Stops tpm2-abrmd (it closes the node) and its bus.
tabrmd_stop() {
	local p
	for p in "$TABRMD_PID" "$TABRMD_DBUS_PID"; do
		kill -TERM "$p" 2>/dev/null || true
		wait_until 30 pid_gone "$p" || fail "process $p ignored SIGTERM"
		_vtpm_forget_pid "$p"
	done
	wait "$TABRMD_PID" 2>/dev/null || true
	unset DBUS_SESSION_BUS_ADDRESS
}

# The resource-managed node vtpmd makes beside the test's /dev/vtpmN (the
# first "tpm" of the name becomes "tpmrm").
apps_rm_node() {
	echo "${VTPM_DEV/tpm/tpmrm}"
}
