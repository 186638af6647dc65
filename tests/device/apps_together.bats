#!/usr/bin/env bats
# Several applications at once on vtpmd's resource-managed node: one podman
# container is given /dev/vtpmrmN as its /dev/tpmrm0 and runs, concurrently
# and for a while, a systemd-creds decrypt loop, an OpenSSL-provider signing
# loop and a clevis decrypt loop. Every run succeeds, each signature
# verifies with plain OpenSSL on the host, and once the container has ended
# the TPM holds no object and no session.
#
# Inside the container the applications find the node as they find the
# kernel's: clevis and the OpenSSL provider look for /dev/tpmrm0 themselves;
# systemd-creds is told (--tpm2-device=/dev/tpmrm0: it looks for "auto"
# only in /sys/class/tpmrm).
#
# The container's root file system is made like make-rootfs's (no image,
# no registry) with the three applications added. Slow: a container
# runtime and three loops under the test VM's TCG.
load lib
load containers
load apps

LOOPS=${VTPMD_APPS_LOOPS:-5}

# Each program the loops run, the libraries they open at run time (tpm2-tss,
# OpenSSL's tpm2 provider) and the tools clevis's tpm2 pin calls.
apps_rootfs_files() {
	local lib f
	lib=$(dirname "$(echo /usr/lib/*/libtss2-esys.so.0)")
	for f in /usr/bin/bash /usr/bin/systemd-creds /usr/bin/openssl /usr/bin/clevis \
		/usr/bin/clevis-decrypt /usr/bin/clevis-decrypt-tpm2 /usr/bin/jose \
		/usr/bin/tpm2_createprimary /usr/bin/tpm2_load /usr/bin/tpm2_unseal \
		/usr/bin/tpm2_flushcontext /usr/bin/tpm2_pcrread \
		"$lib"/libtss2-{esys,rc,mu,tctildr,tcti-device}.so.0 "$lib/ossl-modules/tpm2.so"; do
		echo "$f"
	done
}

setup_file() {
	ct_setup_file
	CT_APPS_ROOTFS=$BATS_RUN_TMPDIR/ct-rootfs-apps
	if [[ ! -e $CT_APPS_ROOTFS.done ]]; then
		local files
		mapfile -t files < <(apps_rootfs_files)
		rm -rf "$CT_APPS_ROOTFS"
		"$BATS_TEST_DIRNAME/make-rootfs" "$CT_APPS_ROOTFS" "${files[@]}"
		# clevis's scripts start with #!/bin/bash; the root file system's
		# /bin holds busybox.
		ln -s /usr/bin/bash "$CT_APPS_ROOTFS/bin/bash"
		touch "$CT_APPS_ROOTFS.done"
	fi
	export CT_APPS_ROOTFS
}

teardown_file() {
	ct_teardown_file
}

# bats test_tags=slow
@test "one podman container runs systemd-creds decrypt, OpenSSL-provider signing and clevis decrypt loops at once on /dev/tpmrm0 (vtpmd's resource-managed node): all succeed, nothing is left loaded" {
	apps_need systemd-creds clevis openssl
	vtpm_start_ready
	local rm w=$BATS_TEST_TMPDIR/work
	rm=$(apps_rm_node)
	[[ -c $rm ]] || fail "vtpmd made no resource-managed node $rm beside $VTPM_DEV"
	apps_extend 7 sha256
	mkdir -p "$w"
	chmod 0755 "$w"

	# Sealed, made and bound on the host, through the same node.
	printf 'db-password-%s\n' "$RANDOM$RANDOM" >"$w/plain"
	printf 'disk-key-%s' "$RANDOM$RANDOM" >"$w/jwe.plain"
	printf 'signed in a container %s\n' "$RANDOM" >"$w/data"
	run systemd-creds encrypt --with-key=tpm2 --tpm2-device="$rm" --name=db "$w/plain" "$w/db.cred"
	assert_status 0
	TPM2OPENSSL_TCTI=device:$rm run openssl genpkey -provider tpm2 -algorithm EC \
		-pkeyopt group:P-256 -out "$w/key.priv"
	assert_status 0
	TPM2OPENSSL_TCTI=device:$rm run openssl pkey -provider tpm2 -provider base \
		-in "$w/key.priv" -pubout -out "$w/key.pub"
	assert_status 0
	TPM2TOOLS_TCTI=device:$rm run --separate-stderr clevis encrypt tpm2 '{"pcr_ids":"7"}' <"$w/jwe.plain"
	assert_status 0
	printf '%s' "$output" >"$w/secret.jwe"
	assert_nothing_loaded "the preparation through $rm"

	# Three loops at once; each writes how many runs succeeded, and the
	# first failure's output.
	local script
	script=$(
		cat <<-EOF
			loop() {
				name=\$1; shift; i=0
				while [ \$i -lt $LOOPS ]; do
					"\$@" >/work/\$name.out.\$i 2>/work/\$name.err || exit 1
					i=\$((i + 1))
				done
				echo \$i >/work/\$name.count
			}
			loop creds systemd-creds decrypt --tpm2-device=/dev/tpmrm0 --name=db /work/db.cred - &
			loop sign openssl pkeyutl -provider tpm2 -provider base -sign -inkey /work/key.priv \
				-rawin -digest sha256 -in /work/data &
			loop clevis sh -c 'clevis decrypt </work/secret.jwe' &
			wait
		EOF
	)
	ct_podman run --rm --network none --log-driver k8s-file --device "$rm:/dev/tpmrm0" \
		-v "$w:/work" --rootfs "$CT_APPS_ROOTFS" /bin/sh -c "$script"
	local app i
	for app in creds sign clevis; do
		[[ $(cat "$w/$app.count" 2>/dev/null) == "$LOOPS" ]] ||
			fail "$app: $(cat "$w/$app.count" 2>/dev/null || echo 0) of $LOOPS runs succeeded: $(cat "$w/$app.err")"
	done
	for ((i = 0; i < LOOPS; i++)); do
		assert_eq "$(cat "$w/creds.out.$i")" "$(cat "$w/plain")" "credential, run $i"
		assert_eq "$(cat "$w/clevis.out.$i")" "$(cat "$w/jwe.plain")" "clevis secret, run $i"
		run openssl dgst -sha256 -verify "$w/key.pub" -signature "$w/sign.out.$i" "$w/data"
		assert_status 0
	done
	assert_nothing_loaded "the three loops on $rm"
	vtpm_stop
}
