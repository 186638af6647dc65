#!/usr/bin/env bats
# vtpm-setup where users keep TPM state (issue 18): a tmpfs mount point and
# "--tpmstate .", a directory of an unprivileged user in a root-owned
# parent (as that user, and root with --runas), a directory holding other
# files or reached through a symbolic link (--not-overwrite), an --ek-pub
# that cannot be written, signals at each step, a full filesystem, another
# user swapping the temporary directory at each step (tests/tools/fsrace),
# swtpm_localca signing with the same CA, libvirt's --vmid, a locked index
# under --ek-cert, the local CA of a failed run, an expired CA. The states
# are served through /dev/vtpmN and checked with tpm2-tools and openssl.
#
# VTPM_SETUP=/path/to/vtpm-setup runs the file against another build.
load lib

VTPM_SETUP=${VTPM_SETUP:-${VTPMD%/*}/vtpm-setup}
FSRACE=$VTPM_TOOLS/fsrace
RSA_EK=0x81010001
RSA_EK_CERT=0x01c00002

# One TPM with an EK and locked certificates from a local CA, copied by
# the tests that need an old state: manufacturing is slow under TCG.
setup_file() {
	timeout 300 "$VTPM_SETUP" --tpm2 --tpmstate "$BATS_FILE_TMPDIR/std" --createek \
		--create-ek-cert --lock-nvram --ca-dir "$BATS_FILE_TMPDIR/ca" \
		--ek-pub "$BATS_FILE_TMPDIR/std-ek.pub"
}

vsetup() {
	run --separate-stderr timeout 300 "$VTPM_SETUP" "$@"
}

# As bats' run, for vtpm-setup as USER.
vsetup_as() { # USER ARGS...
	local user=$1
	shift
	run --separate-stderr timeout 300 setpriv --reuid "$user" --regid "$user" \
		--clear-groups "$VTPM_SETUP" "$@"
}

sum() { # DIR: the permanent state's digest
	sha256sum <"$1/tpm2-00.permall"
}

old_state() { # DIR: a copy of the standard TPM
	rm -rf "$1"
	cp -a "$BATS_FILE_TMPDIR/std" "$1"
}

# No temporary of vtpm-setup's under DIR.
assert_no_temporaries() { # DIR
	local left
	left=$(find "$1" -name '*vtpm-setup*' 2>/dev/null)
	[[ -z "$left" ]] || fail "temporaries left: $left"
}

# The RSA EK at 0x81010001 of the TPM on the test's device is the first key
# of the --ek-pub file PUB.
assert_rsa_ek_is() { # PUB
	local t=$BATS_TEST_TMPDIR
	run tpm2 readpublic -c "$RSA_EK" -f pem -o "$t/rp.pem"
	assert_status 0
	openssl pkey -pubin -in "$1" -out "$t/want.pem"
	cmp -s "$t/rp.pem" "$t/want.pem" || fail "the EK is not the one in $1"
}

@test "a tmpfs mount point, and --tpmstate .: the state is placed file by file inside, vtpmd serves it" {
	local t=$BATS_TEST_TMPDIR m=$BATS_TEST_TMPDIR/mnt
	mkdir -p "$m"
	mount -t tmpfs -o size=4m,mode=0750 tmpfs "$m"
	VTPM_MOUNTS+=("$m")
	vsetup --tpm2 --tpmstate "$m" --createek --ek-pub "$t/ek1.pub" --logfile "$t/log"
	assert_status 0
	assert_eq "$stderr" "" "stderr"
	grep -qF "Placed the new state in $m file by file inside $m (it is a mount point)." "$t/log" ||
		fail "log: $(cat "$t/log")"
	# replaced in place, as ".": still the mount point, with a new TPM
	run --separate-stderr bash -c "cd '$m' && timeout 300 '$VTPM_SETUP' --tpm2 --tpmstate . \
		--createek --overwrite --ek-pub '$t/ek2.pub'"
	assert_status 0
	assert_eq "$(stat -c %m "$m")" "$m" "mount point"
	! cmp -s "$t/ek1.pub" "$t/ek2.pub" || fail "--overwrite kept the EK"
	assert_eq "$(ls -A "$m" | tr '\n' ' ')" ".lock tpm2-00.permall " "files on the mount"
	vtpm_start_as "$VTPM_NAME" "$m" "$VTPM_PIDFILE" --flags not-need-init,startup-clear
	assert_rsa_ek_is "$t/ek2.pub"
}

@test "an unprivileged owner in a root-owned parent: vtpm-setup as tss, root with --runas tss and the local CA" {
	local t=$BATS_TEST_TMPDIR d
	runas_base
	d=$RUNAS_BASE/state
	mkdir -m 0750 "$d" "$RUNAS_BASE/logs"
	chown tss:tss "$d" "$RUNAS_BASE/logs"
	vsetup_as tss --tpm2 --tpmstate "$d" --createek --logfile "$RUNAS_BASE/logs/log"
	assert_status 0
	assert_eq "$stderr" "" "stderr"
	grep -qF "file by file inside $d (its parent is not writable)" "$RUNAS_BASE/logs/log" ||
		fail "log: $(cat "$RUNAS_BASE/logs/log")"
	assert_eq "$(stat -c %U "$d/tpm2-00.permall")" tss "owner"

	# root makes it again for tss, with certificates from root's CA
	vsetup --tpm2 --tpmstate "$d" --runas tss --overwrite --create-ek-cert --ca-dir "$t/ca" \
		--ek-pub "$t/ek.pub"
	assert_status 0
	assert_eq "$(stat -c '%U %a' "$d")" "tss 750" "owner and mode of DIR"
	assert_eq "$(stat -c %U "$d/tpm2-00.permall" "$d/.lock" | sort -u)" tss "owner of the files"
	assert_eq "$(stat -c '%U %a' "$t/ca/signkey.pem")" "root 600" "the CA's signing key"
	assert_no_temporaries "$RUNAS_BASE"
	# vtpmd as tss serves it; the EK certificate verifies
	vtpm_start_as "$VTPM_NAME" "$d" "$VTPM_PIDFILE" --runas tss --flags not-need-init,startup-clear
	assert_rsa_ek_is "$t/ek.pub"
	run tpm2 getekcertificate -o "$t/ek.der"
	assert_status 0
	run openssl verify -CAfile "$t/ca/rootca-cert.pem" -untrusted "$t/ca/issuercert.pem" "$t/ek.der"
	assert_eq "$output" "$t/ek.der: OK" "openssl verify"
}

@test "--not-overwrite keeps a state whatever else DIR holds, also through a symbolic link" {
	local t=$BATS_TEST_TMPDIR before inode dir
	old_state "$VTPM_STATE"
	printf 00112233 >"$VTPM_STATE/vtpm0.key"
	printf x >"$VTPM_STATE/notes~"
	ln -s "$VTPM_STATE" "$t/link"
	before=$(sum "$VTPM_STATE")
	inode=$(stat -c %i "$VTPM_STATE")
	for dir in "$VTPM_STATE" "$t/link"; do
		vsetup --tpm2 --tpmstate "$dir" --createek --create-ek-cert --not-overwrite \
			--ca-dir "$t/ca"
		assert_status 0
		assert_eq "$stderr" "" "stderr ($dir)"
	done
	# --ek-pub reads that state's EKs, through the link too
	vsetup --tpm2 --tpmstate "$t/link" --createek --not-overwrite --ek-pub "$t/ek.pub"
	assert_status 0
	cmp "$t/ek.pub" "$BATS_FILE_TMPDIR/std-ek.pub" || fail "--ek-pub is not the state's"
	assert_eq "$(sum "$VTPM_STATE")" "$before" "state"
	assert_eq "$(stat -c %i "$VTPM_STATE")" "$inode" "directory"
	assert_eq "$(ls -A "$VTPM_STATE" | tr '\n' ' ')" ".lock notes~ tpm2-00.permall vtpm0.key " "DIR"
	[[ ! -e "$t/ca" ]] || fail "a run that made nothing made a CA"
	# and --overwrite through the link replaces the state, keeping the rest
	vsetup --tpm2 --tpmstate "$t/link" --createek --overwrite --ek-pub "$t/new.pub"
	assert_status 0
	! cmp -s "$t/new.pub" "$t/ek.pub" || fail "--overwrite kept the EK"
	[[ -L "$t/link" && -s "$VTPM_STATE/vtpm0.key" ]] || fail "the link or the key file went"
	assert_no_temporaries "$t"
}

@test "--ek-pub that cannot be written fails before the state is touched, also with --overwrite" {
	local t=$BATS_TEST_TMPDIR before
	old_state "$VTPM_STATE"
	before=$(sum "$VTPM_STATE")
	mkdir "$t/ekdir"
	vsetup --tpm2 --tpmstate "$VTPM_STATE" --createek --overwrite --ek-pub "$t/ekdir"
	assert_status 1
	assert_eq "$stderr" "vtpm-setup: cannot write --ek-pub $t/ekdir: Is a directory"
	vsetup --tpm2 --tpmstate "$VTPM_STATE" --createek --overwrite --ek-pub "$t/none/ek.pub"
	assert_status 1
	assert_eq "$stderr" "vtpm-setup: cannot write --ek-pub $t/none/ek.pub: No such file or directory"
	assert_eq "$(sum "$VTPM_STATE")" "$before" "state"
	assert_no_temporaries "$t"
}

# SIG at each Nth file system event of a replacement: the old state (the
# run stopped, exit 128+SIG) or the new one (the signal came during the
# commit, which finishes), and nothing left.
# bats test_tags=slow
@test "SIGTERM, SIGINT and SIGHUP at each step: the old state or the new one, nothing left" {
	local t=$BATS_TEST_TMPDIR n sig before
	local -a sigs=(15 2 1)
	for ((n = 1; n < 200; n++)); do
		sig=${sigs[n % 3]}
		old_state "$VTPM_STATE"
		before=$(sum "$VTPM_STATE")
		run --separate-stderr timeout 300 "$FSRACE" --at "$n" --watch "$t" \
			--watch "$VTPM_STATE" --signal "$sig" -- "$VTPM_SETUP" --tpm2 \
			--tpmstate "$VTPM_STATE" --overwrite --pcr-banks -
		echo "event $n, signal $sig: status $status, $output, $stderr"
		if [[ "$output" == "no action:"* ]]; then
			assert_status 0
			break
		fi
		case $status in
		$((128 + sig)))
			assert_eq "$(sum "$VTPM_STATE")" "$before" "state after signal $sig at event $n"
			assert_match "$stderr" "^vtpm-setup: stopped by SIG(TERM|INT|HUP); $VTPM_STATE is as it was$" ;;
		0)
			[[ "$(sum "$VTPM_STATE")" != "$before" ]] || fail "event $n: exit 0, old state" ;;
		*)
			fail "event $n, signal $sig: exit status $status: $stderr" ;;
		esac
		assert_no_temporaries "$t"
	done
	((n > 5 && n < 200)) || fail "only $n events"
}

# bats test_tags=slow
@test "SIGKILL at each step: the next run removes what was left; the old state or the new one, whole" {
	local t=$BATS_TEST_TMPDIR n before head
	head=$(od -An -tx1 -N8 "$BATS_FILE_TMPDIR/std/tpm2-00.permall")
	for ((n = 1; n < 200; n += 2)); do
		old_state "$VTPM_STATE"
		before=$(sum "$VTPM_STATE")
		run --separate-stderr timeout 300 "$FSRACE" --at "$n" --watch "$t" \
			--watch "$VTPM_STATE" --signal 9 -- "$VTPM_SETUP" --tpm2 \
			--tpmstate "$VTPM_STATE" --overwrite --pcr-banks -
		echo "event $n: status $status, $output"
		[[ "$output" != "no action:"* ]] || break
		[[ $status -eq 137 || $status -eq 0 ]] || fail "event $n: exit status $status"
		vsetup --tpm2 --tpmstate "$VTPM_STATE" --createek --not-overwrite
		assert_status 0
		assert_eq "$stderr" "" "the next run's stderr"
		assert_no_temporaries "$t"
		assert_eq "$(ls -A "$VTPM_STATE" | tr '\n' ' ')" ".lock tpm2-00.permall " "DIR"
		[[ "$(sum "$VTPM_STATE")" == "$before" ]] ||
			assert_eq "$(od -An -tx1 -N8 "$VTPM_STATE/tpm2-00.permall")" "$head" \
				"a new state's header (event $n)"
	done
	((n > 5 && n < 200)) || fail "only $n events"
}

@test "a full filesystem: one line that says No space left on device, and the state as it was" {
	local m=$BATS_TEST_TMPDIR/full before
	mkdir -p "$m"
	mount -t tmpfs -o size=256k tmpfs "$m"
	VTPM_MOUNTS+=("$m")
	old_state "$m/state"
	before=$(sum "$m/state")
	dd if=/dev/zero of="$m/fill" bs=4k 2>/dev/null || true
	vsetup --tpm2 --tpmstate "$m/state" --createek --overwrite
	assert_status 1
	assert_eq "${#stderr_lines[@]}" 1 "stderr lines"
	assert_match "$stderr" "^vtpm-setup: cannot write the new state of $m/state: No space left on device \("
	assert_eq "$(sum "$m/state")" "$before" "state"
	assert_no_temporaries "$m"
}

# fsrace --swap: while root runs vtpm-setup, tss (who may write where the
# temporary directory is) swaps it for a symbolic link to VICTIM at the Nth
# event. The run fails cleanly or places the new state; VICTIM, outside
# DIR, never changes; what is left is tss's own doing.
race_each_event() { # WATCH DIR ARGS...
	local watch=$1 dir=$2 n before entry
	shift 2
	for ((n = 1; n < 200; n++)); do
		"$@"            # the old state, as the caller makes it
		before=$(sum "$dir")
		run --separate-stderr timeout 300 "$FSRACE" --at "$n" --watch "$watch" \
			--swap "$VICTIM" --as tss -- "$VTPM_SETUP" --tpm2 --tpmstate "$dir" \
			--overwrite --pcr-banks -
		echo "event $n: status $status, $output, $stderr"
		assert_eq "$(stat -c '%U %a' "$VICTIM" "$VICTIM/secret" | tr '\n' ' ')" \
			"root 700 root 600 " "victim after event $n"
		assert_eq "$(ls -A "$VICTIM")" secret "victim's files after event $n"
		assert_eq "$(cat "$VICTIM/secret")" secret "victim's bytes after event $n"
		[[ -d "$dir" && ! -L "$dir" ]] || fail "event $n: $dir is not a directory"
		assert_eq "$(stat -c %U "$dir/tpm2-00.permall")" tss "owner after event $n"
		case $status in
		1) assert_eq "$(sum "$dir")" "$before" "state after a failure at event $n" ;;
		0) [[ "$(sum "$dir")" != "$before" ]] || fail "event $n: exit 0, old state" ;;
		*) fail "event $n: exit status $status: $stderr" ;;
		esac
		for entry in "$watch"/* "$watch"/.[!.]*; do
			[[ -e "$entry" || -L "$entry" ]] || continue
			case $entry in
			"$dir" | "$watch/.lock" | "$watch/tpm2-00.permall" | "$watch/vtpm0.key") ;;
			*~) [[ -z "$(ls -A "$entry")" ]] || fail "event $n: $entry holds $(ls -A "$entry")" ;;
			*) [[ "$(readlink "$entry")" == "$VICTIM" ]] || fail "event $n: $entry was left" ;;
			esac
		done
		[[ "$output" != "no action:"* ]] || break
	done
	((n > 5 && n < 200)) || fail "only $n events"
}

# bats test_tags=slow
@test "another user swaps the temporary directory for a symlink at each step: the run fails cleanly, nothing outside DIR changes" {
	local p
	runas_base
	VICTIM=$RUNAS_BASE/victim
	mkdir -m 0700 "$VICTIM"
	printf secret >"$VICTIM/secret"
	chmod 0600 "$VICTIM/secret"
	# DIR's parent is tss's: the temporary directory beside DIR is in reach
	p=$RUNAS_BASE/p
	mkdir "$p"
	chown tss:tss "$p"
	swap_state() {
		rm -rf "${p:?}"/* "$p"/.[!.]*
		timeout 300 "$VTPM_SETUP" --tpm2 --tpmstate "$p/state" --pcr-banks - ||
			fail "cannot make the old state"
		chown -R tss:tss "$p/state"
	}
	race_each_event "$p" "$p/state" swap_state
	# DIR is tss's and holds another file: the temporary directory is
	# inside DIR, in reach
	in_dir_state() {
		rm -rf "$RUNAS_BASE/d"
		mkdir -m 0750 "$RUNAS_BASE/d"
		timeout 300 "$VTPM_SETUP" --tpm2 --tpmstate "$RUNAS_BASE/d" --pcr-banks - ||
			fail "cannot make the old state"
		printf 00112233 >"$RUNAS_BASE/d/vtpm0.key"
		chown -R tss:tss "$RUNAS_BASE/d"
	}
	race_each_event "$RUNAS_BASE/d" "$RUNAS_BASE/d" in_dir_state
	assert_eq "$(cat "$RUNAS_BASE/d/vtpm0.key")" 00112233 "DIR's other file"
}

# The serial of the RSA EK certificate of the TPM in DIR, through vtpmd.
ek_cert_serial() { # DIR
	vtpm_start_as "$VTPM_NAME" "$1" "$VTPM_PIDFILE" --flags not-need-init,startup-clear
	tpm2 nvread "$RSA_EK_CERT" -C o -o "$BATS_TEST_TMPDIR/ek.der" >/dev/null ||
		fail "no EK certificate in $1"
	vtpm_stop
	openssl x509 -inform DER -in "$BATS_TEST_TMPDIR/ek.der" -noout -serial | sed 's/^serial=//'
}

@test "swtpm_localca signs with vtpm-setup's local CA, and the serial numbers keep increasing" {
	local t=$BATS_TEST_TMPDIR a b c
	vsetup --tpm2 --tpmstate "$t/a" --create-ek-cert --ca-dir "$t/ca"
	assert_status 0
	assert_eq "$(cat "$t/ca/certserial")" 2 "certserial (swtpm_localca's format: no newline)"
	# Debian's swtpm_setup, its swtpm_localca on the same CA and counter
	run_swtpm_setup "$t/b" "$t/ca" "$t/ca/signkey.pem" "$t/ca/issuercert.pem" --createek \
		--create-ek-cert
	(( $(cat "$t/ca/certserial") > 2 )) || fail "swtpm_localca started over: $(cat "$t/ca/certserial")"
	vsetup --tpm2 --tpmstate "$t/c" --create-ek-cert --ca-dir "$t/ca"
	assert_status 0
	a=$(ek_cert_serial "$t/a")
	c=$(ek_cert_serial "$t/c")
	swtpm_run "$t/b"
	run tpm2 nvread "$RSA_EK_CERT" -C o -o "$t/b.der"
	assert_status 0
	swtpm_end
	b=$(openssl x509 -inform DER -in "$t/b.der" -noout -serial | sed 's/^serial=//')
	echo "serials: vtpm-setup $a, swtpm_localca $b, vtpm-setup $c"
	((16#$a < 16#$b && 16#$b < 16#$c)) || fail "serials $a, $b, $c do not increase"
	run openssl verify -CAfile "$t/ca/rootca-cert.pem" -untrusted "$t/ca/issuercert.pem" "$t/b.der"
	assert_status 0
}

@test "--vmid as libvirt passes it (NAME:UUID, longer than 64): the certificates' subject" {
	local t=$BATS_TEST_TMPDIR vmid
	vmid="instance-0000002a:$(cat /proc/sys/kernel/random/uuid)-$(cat /proc/sys/kernel/random/uuid)"
	vsetup --tpm2 --tpmstate "$VTPM_STATE" --create-ek-cert --create-platform-cert \
		--ca-dir "$t/ca" --vmid "$vmid"
	assert_status 0
	vtpm_start_ready
	run tpm2 getekcertificate -o "$t/ek.der"
	assert_status 0
	run openssl x509 -inform DER -in "$t/ek.der" -noout -subject
	assert_eq "$output" "subject=CN = $vmid" "subject"
}

@test "--ek-cert into an index --lock-nvram locked keeps it locked" {
	local t=$BATS_TEST_TMPDIR
	old_state "$VTPM_STATE"
	openssl pkey -pubin -in "$BATS_FILE_TMPDIR/std-ek.pub" -out "$t/rsa.pub"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=corp-ca \
		-keyout "$t/corp.key" -out "$t/corp.pem" -days 10 2>/dev/null
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=ek \
		-keyout "$t/any.key" -out "$t/any.csr" 2>/dev/null
	openssl x509 -req -in "$t/any.csr" -force_pubkey "$t/rsa.pub" -CA "$t/corp.pem" \
		-CAkey "$t/corp.key" -days 10 -outform DER -out "$t/rsa.der" 2>/dev/null
	vsetup --tpm2 --tpmstate "$VTPM_STATE" --ek-cert "$t/rsa.der" --logfile "$t/log"
	assert_status 0
	grep -q "was write-locked: the new certificate is locked too" "$t/log" || fail "log: $(cat "$t/log")"
	vtpm_start_ready
	run tpm2 getekcertificate -o "$t/got.der"
	assert_status 0
	cmp "$t/got.der" "$t/rsa.der" || fail "the certificate stored is not the one given"
	printf x >"$t/byte"
	run tpm2 nvwrite "$RSA_EK_CERT" -C p -i "$t/byte"
	assert_failed
	assert_match "$output" "0x148|NV access locked"
}

@test "a run that fails creates nothing of the local CA and spends no serial; an expired CA is refused" {
	local t=$BATS_TEST_TMPDIR
	vsetup --tpm2 --tpmstate "$VTPM_STATE" --create-ek-cert --ca-dir "$t/lib/ca" \
		--pcr-banks sha1,sm3-256
	assert_status 1
	assert_match "$stderr" "PCR bank sm3-256 is not available"
	[[ ! -e "$t/lib" ]] || fail "the failed run left $(find "$t/lib")"
	vsetup --tpm2 --tpmstate "$VTPM_STATE" --create-ek-cert --ca-dir "$t/ca"
	assert_status 0
	vsetup --tpm2 --tpmstate "$VTPM_STATE" --create-ek-cert --ca-dir "$t/ca" --overwrite \
		--pcr-banks sm3-256
	assert_status 1
	assert_eq "$(cat "$t/ca/certserial")" 2 "serials after a failed run"
	# a CA whose certificate expired
	mkdir -p "$t/old/new"
	touch "$t/old/index.txt"
	printf '[ca]\ndefault_ca=d\n[d]\ndatabase=%s/index.txt\nnew_certs_dir=%s/new\nserial=%s/serial\ndefault_md=sha256\npolicy=p\nx509_extensions=e\n[p]\ncommonName=supplied\n[e]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=keyCertSign\n' \
		"$t/old" "$t/old" "$t/old" >"$t/old/ca.cnf"
	echo 01 >"$t/old/serial"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=old-ca \
		-keyout "$t/old/ca.key" -out "$t/old/ca.csr" 2>/dev/null
	openssl ca -batch -config "$t/old/ca.cnf" -selfsign -keyfile "$t/old/ca.key" \
		-in "$t/old/ca.csr" -out "$t/old/ca.pem" -startdate 20200101000000Z \
		-enddate 20210101000000Z 2>/dev/null || fail "openssl ca"
	vsetup --tpm2 --tpmstate "$t/s" --create-ek-cert --ca-key "$t/old/ca.key" \
		--ca-cert "$t/old/ca.pem"
	assert_status 1
	assert_eq "$stderr" "vtpm-setup: CA certificate $t/old/ca.pem expired on 2021-01-01 00:00:00 UTC"
	[[ ! -e "$t/s" ]] || fail "a refused run left $t/s"
}
