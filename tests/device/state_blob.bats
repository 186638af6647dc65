# State blobs: GET/SET_STATEBLOB through ioctl chunks and
# through read()/write() after the first ioctl, the DECRYPTED/ENCRYPTED
# flags, the migration key, all three blob types; and a device-to-device
# round trip with Debian's swtpm_ioctl and with tests/tools/stateblob, after
# which device B has A's keys, NV and PCRs.

load lib

NV_IDX=0x1500040
PERSISTENT=0x81000003
CMD12_SAVESTATE=00c10000000a00000098            # TPM_SaveState
CMD12_STARTUP_STATE=00c10000000c000000990002    # TPM_Startup(ST_STATE)

stateblob() { # DEVICE ARGS...
	timeout 120 "$VTPM_TOOLS/stateblob" "$@"
}

# ptmctl on the second device of a test
ptmctl_b() {
	timeout 60 "$VTPM_TOOLS/ptmctl" "/dev/${VTPM_NAME}b" "$@"
}

header_flags() {
	od -An -tx1 -j4 -N2 "$1" | tr -d ' \n'
}

# On the test's device: an NV index, a persistent ECC key and PCR 16
# extended; remembers the key's name and the PCR value.
make_identity() {
	define_nv_and_key MIGRATED
	run tpm2 pcrextend "16:sha256=$DIGEST_AA"
	assert_status 0
}

# The device in VTPM_DEV has make_identity's NV index, key and PCR 16, and
# runs without a Startup (the volatile state came along).
check_identity() {
	run tpm2 nvread "$NV_IDX" -C o -s 8
	assert_status 0
	assert_eq "$output" "MIGRATED" "NV index ($1)"
	assert_eq "$(tpm2 readpublic -c "$PERSISTENT" | sed -n 's/^name: //p')" "$KEY_NAME" \
		"persistent key ($1)"
	assert_eq "$(pcr_value sha256:16)" "0x$PCR_AFTER_AA" "PCR 16 ($1)"
}

@test "state blobs: every blob type by ioctl chunks and by read(); flags and headers" {
	vtpm_start_ready
	make_identity
	local d=$BATS_TEST_TMPDIR
	# a bigger permanent state, so that it takes more than one chunk
	run tpm2 nvdefine 0x1500041 -C o -s 2048 -a "ownerread|ownerwrite"
	assert_status 0
	head -c 2048 /dev/urandom >"$d/big"
	run tpm2 nvwrite 0x1500041 -C o -i "$d/big"
	assert_status 0
	run stateblob "$VTPM_DEV" get permanent "$d/perm"
	assert_status 0
	assert_match "$output" '^result 0x0 flags 0x0 totlength [0-9]+$'
	assert_eq "$(header_flags "$d/perm")" "0004" "plain migration blob"
	(($(stat -c %s "$d/perm") > 3072)) || fail "the permanent blob fits one chunk"
	local n
	for n in 1 100 3072 4096 65536; do
		run stateblob "$VTPM_DEV" get permanent "$d/perm.$n" rw=$n
		assert_status 0
		cmp "$d/perm" "$d/perm.$n" || fail "read() of $n bytes gave another blob"
	done
	# the device is back in command mode after a blob read
	run tpm2 getrandom 8 --hex
	assert_status 0

	# volatile: taken from the running TPM; no stale file stays behind
	run ptm_ioctl -v
	[[ -e "$VTPM_STATE/tpm2-00.volatilestate" ]] || fail "-v wrote no volatile state"
	run stateblob "$VTPM_DEV" get volatile "$d/vol" rw=777
	assert_status 0
	assert_match "$output" '^result 0x0 flags 0x0 totlength [0-9]+$'
	[[ ! -e "$VTPM_STATE/tpm2-00.volatilestate" ]] || fail "volatilestate kept after GET"

	# a TPM 2 has no save state: TPM_RETRY, nothing to read
	run stateblob "$VTPM_DEV" get savestate "$d/save"
	assert_eq "$output" "result 0x800 flags 0x0 totlength 0"
}

@test "state blobs: round trip A -> B with swtpm_ioctl (ioctl and read/write) keeps keys, NV, PCRs" {
	vtpm_start_ready
	make_identity
	local d=$BATS_TEST_TMPDIR t
	run ptm_ioctl --save permanent "$d/perm"
	assert_status 0
	run ptm_ioctl --save volatile "$d/vol"
	assert_status 0
	run ptm_ioctl --save savestate "$d/save"       # TPM 2: empty, not an error
	assert_status 0
	run env SWTPM_IOCTL_BUFFERSIZE=1000 timeout 60 swtpm_ioctl --save permanent "$d/perm.rw" "$VTPM_DEV"
	assert_status 0
	cmp "$d/perm" "$d/perm.rw"

	local b=${VTPM_NAME}b bdev=/dev/${VTPM_NAME}b
	vtpm_start_as "$b" "$d/state-b" "$d/b.pid"
	for t in ioctl rw; do
		local env=()
		[[ $t == rw ]] && env=(SWTPM_IOCTL_BUFFERSIZE=1000)
		run timeout 60 swtpm_ioctl --stop "$bdev"
		assert_status 0
		run env "${env[@]}" timeout 60 swtpm_ioctl --load permanent "$d/perm" "$bdev"
		assert_status 0
		run env "${env[@]}" timeout 60 swtpm_ioctl --load volatile "$d/vol" "$bdev"
		assert_status 0
		if [[ $t == ioctl ]]; then
			# a TPM 2's (empty) save state: an empty first chunk sets
			# nothing; by write() it would end as an empty blob, which
			# a TPM 2 refuses (TPM_BAD_TYPE), as with swtpm
			run timeout 60 swtpm_ioctl --load savestate "$d/save" "$bdev"
			assert_status 0
		fi
		run timeout 60 swtpm_ioctl -i "$bdev"
		assert_status 0
		VTPM_DEV=$bdev check_identity "swtpm_ioctl, $t"
	done
	# B wrote A's permanent state into its own directory
	vtpm_stop "$(cat "$d/b.pid")" "$b"
	vtpm_start_as "$b" "$d/state-b" "$d/b.pid" --flags not-need-init,startup-clear
	VTPM_DEV=$bdev run tpm2 nvread "$NV_IDX" -C o -s 8
	assert_eq "$output" "MIGRATED" "NV index on B after a restart"
	assert_eq "$(VTPM_DEV=$bdev tpm2 readpublic -c "$PERSISTENT" | sed -n 's/^name: //p')" \
		"$KEY_NAME" "persistent key on B after a restart"
}

@test "state blobs: round trip A -> B with stateblob, by ioctl chunks and by write()" {
	vtpm_start_ready
	make_identity
	local d=$BATS_TEST_TMPDIR
	run stateblob "$VTPM_DEV" get permanent "$d/perm" decrypted
	assert_status 0
	run stateblob "$VTPM_DEV" get volatile "$d/vol" decrypted rw=4096
	assert_status 0

	local b=${VTPM_NAME}b bdev=/dev/${VTPM_NAME}b n
	vtpm_start_as "$b" "$d/state-b" "$d/b.pid"
	for n in 0 333 3072; do
		local rw=()
		((n)) && rw=(rw=$n)
		run ptmctl_b stop
		run stateblob "$bdev" set permanent "$d/perm" "${rw[@]}"
		assert_eq "$output" "result 0x0" "set permanent, rw=$n"
		run stateblob "$bdev" set volatile "$d/vol" "${rw[@]}"
		assert_eq "$output" "result 0x0" "set volatile, rw=$n"
		run timeout 60 "$VTPM_TOOLS/ptmctl" "$bdev" init 0
		assert_eq "$output" "result 0x0"
		VTPM_DEV=$bdev check_identity "stateblob rw=$n"
	done
}

@test "state blobs: keys -- GET_CONFIG, the file-key layer, the migration key, the upgrade path" {
	local d=$BATS_TEST_TMPDIR
	head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$d/file.key"
	head -c 32 /dev/urandom >"$d/mig.key"
	vtpm_start_ready --key "file=$d/file.key" \
		--migration-key "file=$d/mig.key,format=binary,mode=aes-256-cbc"
	run ptm_ioctl -g
	assert_eq "$output" "ptm configuration flags: 0x3"
	make_identity

	# without DECRYPTED the file-key layer stays (response flag ENCRYPTED)
	run stateblob "$VTPM_DEV" get permanent "$d/perm.enc"
	assert_match "$output" '^result 0x0 flags 0x2 totlength'
	assert_eq "$(header_flags "$d/perm.enc")" "0017" "migration 256 + file key 128"
	run stateblob "$VTPM_DEV" get permanent "$d/perm" decrypted
	assert_match "$output" '^result 0x0 flags 0x0 totlength'
	assert_eq "$(header_flags "$d/perm")" "0016" "migration key only"
	run stateblob "$VTPM_DEV" get volatile "$d/vol" decrypted
	assert_status 0
	# nothing readable in the blob
	! grep -q MIGRATED "$d/perm" || fail "NV content in clear in an encrypted blob"

	# B with the same keys takes both forms
	local b=${VTPM_NAME}b bdev=/dev/${VTPM_NAME}b f
	vtpm_start_as "$b" "$d/state-b" "$d/b.pid" --key "file=$d/file.key" \
		--migration-key "file=$d/mig.key,format=binary,mode=aes-256-cbc"
	for f in perm.enc perm; do
		run ptmctl_b stop
		run stateblob "$bdev" set permanent "$d/$f"
		assert_eq "$output" "result 0x0" "set $f"
		run stateblob "$bdev" set volatile "$d/vol"
		assert_eq "$output" "result 0x0"
		run ptmctl_b init 0
		assert_eq "$output" "result 0x0"
		VTPM_DEV=$bdev check_identity "keys, $f"
	done
	vtpm_stop "$(cat "$d/b.pid")" "$b"

	# C without the migration key: refused (TPM_KEYNOTFOUND), still serving
	local c=${VTPM_NAME}c cdev=/dev/${VTPM_NAME}c
	vtpm_start_as "$c" "$d/state-c" "$d/c.pid" --flags not-need-init,startup-clear
	run timeout 60 "$VTPM_TOOLS/ptmctl" "$cdev" stop
	run stateblob "$cdev" set permanent "$d/perm"
	assert_eq "$output" "result 0xd"
	run timeout 60 "$VTPM_TOOLS/ptmctl" "$cdev" init 1
	assert_eq "$output" "result 0x0"
	run timeout 60 "$VTPM_TOOLS/tpmraw" "$cdev" "x:$CMD_STARTUP_CLEAR" "x:$CMD_GETRANDOM8"
	assert_eq "${lines[0]}" "resp $RSP_OK_TPM2" "C serves after the refused blob"
	assert_match "${lines[1]}" '^resp 800100000014000000000008' 
	vtpm_stop "$(cat "$d/c.pid")" "$c"

	# the upgrade path: a plain blob into a device with a migration key
	local e=${VTPM_NAME}e edev=/dev/${VTPM_NAME}e
	vtpm_start_as "$e" "$d/state-e" "$d/e.pid" --flags not-need-init,startup-clear
	VTPM_DEV=$edev make_identity
	run stateblob "$edev" get permanent "$d/plain" decrypted
	assert_eq "$(header_flags "$d/plain")" "0004"
	run stateblob "$edev" get volatile "$d/plainvol" decrypted
	vtpm_stop "$(cat "$d/e.pid")" "$e"
	vtpm_start_as "$b" "$d/state-b" "$d/b.pid" --key "file=$d/file.key" \
		--migration-key "file=$d/mig.key,format=binary,mode=aes-256-cbc"
	run ptmctl_b stop
	run stateblob "$bdev" set permanent "$d/plain"
	assert_eq "$output" "result 0x0" "plain blob, migration key set"
	run stateblob "$bdev" set volatile "$d/plainvol"
	assert_eq "$output" "result 0x0"
	run ptmctl_b init 0
	VTPM_DEV=$bdev check_identity "upgrade path"
	# ... and B keeps it under its file key
	assert_eq "$(header_flags "$d/state-b/tpm2-00.permall")" "0001"
}

@test "state blobs: TPM 1.2 save state moves too (Startup(ST_STATE) resumes on B)" {
	vtpm_start --tpm12 --flags not-need-init,startup-clear
	local d=$BATS_TEST_TMPDIR
	run tpmraw "x:$CMD12_SAVESTATE"
	assert_eq "$output" "resp $RSP12_OK" "TPM_SaveState"
	run stateblob "$VTPM_DEV" get permanent "$d/perm" decrypted
	assert_status 0
	run stateblob "$VTPM_DEV" get savestate "$d/save" decrypted rw=512
	assert_match "$output" '^result 0x0 flags 0x0 totlength [1-9]'

	local b=${VTPM_NAME}b bdev=/dev/${VTPM_NAME}b
	vtpm_start_as "$b" "$d/state-b" "$d/b.pid" --tpm12
	run ptmctl_b init 1
	run timeout 60 "$VTPM_TOOLS/tpmraw" "$bdev" "x:$CMD12_STARTUP_STATE"
	[[ "$output" != "resp $RSP12_OK" ]] || fail "B resumed without a save state"
	run ptmctl_b stop
	run stateblob "$bdev" set permanent "$d/perm"
	assert_eq "$output" "result 0x0"
	run stateblob "$bdev" set savestate "$d/save" rw=100
	assert_eq "$output" "result 0x0"
	run ptmctl_b init 0
	assert_eq "$output" "result 0x0"
	run timeout 60 "$VTPM_TOOLS/tpmraw" "$bdev" "x:$CMD12_STARTUP_STATE"
	assert_eq "$output" "resp $RSP12_OK" "Startup(ST_STATE) on B"
}
