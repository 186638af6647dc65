#!/usr/bin/env bats
# systemd 252 (Debian 12) on vtpmd: systemd-creds seals a service credential
# to the TPM and to PCRs; systemd-cryptenroll binds a LUKS2 volume to PCR 7
# and systemd-cryptsetup unlocks it with the TPM alone. Each refuses once a
# bound PCR has changed.
#
# systemd finds a TPM for "auto" only under /sys/class/tpmrm, where a CUSE
# node is not: every command names the node (--tpm2-device=, tpm2-device=).
# PCR 7 is extended first, as firmware does, so that systemd enforces it
# (on an all-zero PCR it warns that the policy is "effectively unenforced").
load lib
load apps

# The message systemd 252 gives when the PCRs differ from the sealed policy.
POLICY_MISMATCH='policy digest does not match'
CRYPTSETUP_HELPER=/lib/systemd/systemd-cryptsetup

# The device-mapper name of this test's volume; teardown removes it if the
# test left it open (lib.bash's teardown renamed, so this one can wrap it).
dm_name() { echo "vtpmd-apps-$BATS_SUITE_TEST_NUMBER"; }
eval "$(declare -f teardown | sed '1s/^teardown /lib_teardown /')"
teardown() {
	if [[ -e /dev/mapper/$(dm_name) ]]; then
		dmsetup remove "$(dm_name)" || true
	fi
	lib_teardown
}

@test "systemd-creds: a credential sealed to the TPM on /dev/vtpmN (and to PCRs 7+16) decrypts; after PCR 16 changes, only the PCR-bound one is refused" {
	apps_need systemd-creds
	vtpm_start_ready
	apps_extend 7 sha256
	local t=$BATS_TEST_TMPDIR
	printf 'db-password-%s\n' "$RANDOM$RANDOM" >"$t/plain"

	run --separate-stderr systemd-creds encrypt --with-key=tpm2 --tpm2-device="$VTPM_DEV" \
		--name=db "$t/plain" "$t/db.cred"
	assert_status 0
	[[ $stderr != *unenforced* ]] || fail "systemd does not enforce PCR 7: $stderr"
	run --separate-stderr systemd-creds encrypt --with-key=tpm2 --tpm2-device="$VTPM_DEV" \
		--tpm2-pcrs=7+16 --name=db "$t/plain" "$t/db16.cred"
	assert_status 0
	assert_nothing_loaded "systemd-creds encrypt"

	# systemd-creds decrypt leaves its HMAC session loaded: flush it, as a
	# resource manager would, so that each run starts on an empty TPM.
	local cred
	for cred in db.cred db16.cred; do
		run --separate-stderr systemd-creds decrypt --tpm2-device="$VTPM_DEV" --name=db "$t/$cred" -
		assert_status 0
		assert_eq "$output" "$(<"$t/plain")" "$cred decrypted"
		apps_flush
	done

	apps_extend 16 sha256
	run --separate-stderr systemd-creds decrypt --tpm2-device="$VTPM_DEV" --name=db "$t/db16.cred" -
	assert_failed
	assert_eq "$output" "" "plaintext after PCR 16 changed"
	[[ $stderr == *"$POLICY_MISMATCH"* ]] || fail "refused for another reason: $stderr"
	apps_flush
	run --separate-stderr systemd-creds decrypt --tpm2-device="$VTPM_DEV" --name=db "$t/db.cred" -
	assert_status 0
	assert_eq "$output" "$(<"$t/plain")" "the credential bound to PCR 7 only"
	vtpm_stop
}


# systemd-cryptenroll opens the TPM a second time in the same process
# (systemd 252 does not close the first TCTI), which a single-open node
# refuses with EBUSY, as the kernel's /dev/tpm0 does: enrolling needs a
# resource manager, here tpm2-abrmd in front of the node. Unlocking opens
# it once, and uses the raw node alone.
@test "systemd-cryptenroll binds a LUKS2 volume to PCR 7 (on the resource-managed node /dev/vtpmrmN); systemd-cryptsetup unlocks it with /dev/vtpmN alone, and refuses once PCR 7 changes" {
	apps_need systemd-cryptenroll cryptsetup dmsetup
	[[ -x $CRYPTSETUP_HELPER ]] || skip "$CRYPTSETUP_HELPER is not installed (package systemd)"
	[[ -c /dev/mapper/control ]] || modprobe dm_crypt 2>/dev/null ||
		skip "no device mapper with dm-crypt in this kernel"
	vtpm_start_ready
	apps_extend 7 sha256
	local t=$BATS_TEST_TMPDIR name
	name=$(dm_name)
	truncate -s 32M "$t/luks.img"
	printf 'passphrase-%s' "$RANDOM$RANDOM" >"$t/pass"
	# PBKDF2 with few iterations: LUKS2's default (Argon2id, 1 GiB, 2 s
	# of a real CPU) would take minutes under the test VM's TCG. The TPM
	# path does not depend on it.
	run cryptsetup luksFormat --type luks2 --batch-mode --pbkdf pbkdf2 \
		--pbkdf-force-iterations 1000 --key-file "$t/pass" "$t/luks.img"
	assert_status 0

	PASSWORD=$(<"$t/pass") run --separate-stderr systemd-cryptenroll \
		--tpm2-device="$(apps_rm_node)" --tpm2-pcrs=7 "$t/luks.img"
	assert_status 0
	assert_nothing_loaded "systemd-cryptenroll through the resource-managed node"
	run cryptsetup luksDump "$t/luks.img"
	assert_status 0
	[[ $output == *systemd-tpm2* ]] || fail "no systemd-tpm2 token in the LUKS2 header: $output"
	assert_match "$output" $'tpm2-hash-pcrs:[ \t]+7\n' "the token's PCRs"

	# The TPM alone (no passphrase: headless) opens the volume.
	run --separate-stderr "$CRYPTSETUP_HELPER" attach "$name" "$t/luks.img" - \
		"tpm2-device=$VTPM_DEV,headless=true"
	assert_status 0
	[[ -b /dev/mapper/$name ]] || fail "no /dev/mapper/$name after attach: $stderr"
	printf 'written-through-the-tpm-key' | dd of="/dev/mapper/$name" conv=notrunc status=none
	run "$CRYPTSETUP_HELPER" detach "$name"
	assert_status 0
	apps_flush
	# The passphrase's key slot opens the same volume and reads the data:
	# the TPM released the volume key itself.
	run cryptsetup open --key-file "$t/pass" "$t/luks.img" "$name"
	assert_status 0
	assert_eq "$(head -c 27 "/dev/mapper/$name")" written-through-the-tpm-key "data read back"
	run cryptsetup close "$name"
	assert_status 0

	apps_extend 7 sha256
	run --separate-stderr "$CRYPTSETUP_HELPER" attach "$name" "$t/luks.img" - \
		"tpm2-device=$VTPM_DEV,headless=true"
	assert_failed
	[[ ! -e /dev/mapper/$name ]] || fail "attached after PCR 7 changed"
	[[ $stderr == *"$POLICY_MISMATCH"* ]] || fail "refused for another reason: $stderr"
	vtpm_stop
}
