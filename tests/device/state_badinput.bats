# Bad state input: truncated files, flipped bits, a wrong
# key, a wrong mode, a file of the other TPM version. INIT fails with a TPM
# error and one log line naming the file and the reason, the daemon keeps
# answering, and no file on disk changes. (Every length of one file, and
# every bit of another, is covered by tests/unit/test_store_state.c and
# test_blob_crypto.c; here a handful go through the real daemon.)

load lib

FIXTURES=$BATS_TEST_DIRNAME/../unit/data/swtpm-0.7.1-states

# The directory's names and contents, one line (but .lock, which a daemon
# creates empty when it opens the directory).
dir_digest() {
	(cd "$VTPM_STATE" && ls -A | grep -vx .lock | LC_ALL=C sort | while read -r f; do
		printf '%s:%s ' "$f" "$(sha256sum <"$f" | cut -c1-16)"
	done)
}

# bad_case WHAT [VTPMD ARGS...]: the state directory holds a bad file; a
# daemon on it starts (no INIT yet), INIT fails with a TPM result, the log
# has one line on the file, control requests are still answered, and the
# directory is as it was -- also after the daemon stopped.
bad_case() {
	local what=$1 log=$BATS_TEST_TMPDIR/case.log before
	shift
	before=$(dir_digest)
	rm -f "$log"
	vtpm_start --log "file=$log,level=1" "$@"
	run ptm_ioctl -i
	assert_failed
	assert_match "$output" '0x[0-9a-f]+' "$what: INIT's TPM result"
	check_log "$what" "$log"
	run ptmctl caps
	assert_eq "$output" "caps 0x16fff" "$what: caps after the failed INIT"
	run tpmraw "x:$CMD_GETRANDOM8"
	assert_match "$output" '^resp (80010000000a00000101|00c40000000a00000009)$' \
		"$what: not running"
	assert_eq "$(dir_digest)" "$before" "$what: files after the failed INIT"
	vtpm_stop
	assert_eq "$(dir_digest)" "$before" "$what: files after the daemon stopped"
}

# The log of a refused start: the store's one line naming the file and what
# is wrong with it, where the store can tell; where only libtpms can (a
# well-formed file whose content is not a state), its own lines, if it has
# any (prefixed "libtpms"); then the TPM layer's one "TPM start failed".
check_log() { # WHAT LOG
	local named started other
	named=$(grep -c -- '-00.permall' "$2" || true)
	started=$(grep -c 'TPM start failed' "$2" || true)
	other=$(grep -v -e '-00.permall' -e 'TPM start failed' -e '^libtpms' "$2" | grep -c . || true)
	[[ $named -le 1 && $started -eq 1 && $other -eq 0 ]] ||
		fail "$1: unexpected log: $(cat "$2")"
}

flip_bit() { # FILE OFFSET: flip the lowest bit of one byte
	local b
	b=$(od -An -tu1 -j"$2" -N1 "$1" | tr -d ' ')
	printf "\\x$(printf %02x $((b ^ 1)))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

place() { # FIXTURE [NAME]
	mkdir -p "$VTPM_STATE"
	cp "$FIXTURES/$1" "$VTPM_STATE/${2:-tpm2-00.permall}"
	chmod 0640 "$VTPM_STATE/${2:-tpm2-00.permall}"
}

@test "bad state: truncated and damaged plain files fail INIT, nothing on disk changes" {
	local n size
	size=$(stat -c %s "$FIXTURES/mig128.permall")
	for n in 0 10 100 $((size - 1)); do
		place mig128.permall
		truncate -s "$n" "$VTPM_STATE/tpm2-00.permall"
		bad_case "cut to $n bytes"
	done
	# a TLV length that runs past the end
	place mig128.permall
	printf '\xff' | dd of="$VTPM_STATE/tpm2-00.permall" bs=1 seek=12 conv=notrunc 2>/dev/null
	bad_case "record length damaged"
	# a swtpm header around something that is not a TPM state: only
	# libtpms can tell
	{ printf '\x02\x01\x00\x0a\x00\x00\x00\x00\x00\x1e\x00\x01\x00\x00\x00\x0e'
	  printf 'not a TPM 2 !!'; } >"$VTPM_STATE/tpm2-00.permall"
	bad_case "garbage payload"
}

@test "bad state: wrong key, wrong mode, no key, flipped bit, plain file with a key" {
	local k=$FIXTURES/key128.hex
	printf 'ffeeddccbbaa99887766554433221100\n' >"$BATS_TEST_TMPDIR/other.key"
	place aes128.permall
	bad_case "wrong key" --key "file=$BATS_TEST_TMPDIR/other.key"
	bad_case "wrong mode" --key "file=$FIXTURES/key256.hex,mode=aes-256-cbc"
	bad_case "no key"
	flip_bit "$VTPM_STATE/tpm2-00.permall" 700
	bad_case "flipped bit in the ciphertext" --key "file=$k"
	place mig128.permall
	bad_case "plain file, key configured" --key "file=$k"
	# the right key still opens the right file, in the same directory
	place aes128.permall
	vtpm_start --key "file=$k"
	run ptm_ioctl -i
	assert_status 0
}

@test "bad state: the other TPM version's file fails INIT either way" {
	place tpm12.permall
	bad_case "TPM 1.2 state as tpm2-00.permall" --tpm2
	rm "$VTPM_STATE/tpm2-00.permall"
	place mig128.permall tpm-00.permall
	bad_case "TPM 2 state as tpm-00.permall"    # the directory selects 1.2
}

@test "bad state: with not-need-init vtpmd refuses to start, one line, nothing created" {
	place mig128.permall
	truncate -s 100 "$VTPM_STATE/tpm2-00.permall"
	local before
	before=$(dir_digest)
	vtpmd_run -n "$VTPM_NAME" --tpmstate "dir=$VTPM_STATE" --flags not-need-init,startup-clear \
		--log "file=$VTPM_LOG,level=1"
	assert_one_line_error
	[[ ! -e "$VTPM_DEV" ]] || fail "$VTPM_DEV exists"
	assert_eq "$(dir_digest)" "$before"
	grep -q "tpm2-00.permall: truncated" "$VTPM_LOG" || fail "log: $(cat "$VTPM_LOG")"
}

@test "bad state: the daemon that refused a bad state INITs once the file is good" {
	place mig128.permall
	truncate -s 100 "$VTPM_STATE/tpm2-00.permall"
	vtpm_start
	run ptm_ioctl -i
	assert_failed
	place mig128.permall
	run ptm_ioctl -i
	assert_status 0
	run tpmraw "x:$CMD_STARTUP_CLEAR" "x:$CMD_GETRANDOM8"
	assert_eq "${lines[0]}" "resp $RSP_OK_TPM2"
}

@test "bad state: a key source that cannot be used stops vtpmd before anything exists" {
	local d=$BATS_TEST_TMPDIR/newstate
	printf '0011\n' >"$BATS_TEST_TMPDIR/short.key"
	vtpmd_run -n "$VTPM_NAME" --tpmstate "dir=$d" --key "file=$BATS_TEST_TMPDIR/short.key"
	assert_one_line_error
	assert_match "$stderr" "--key: .*short.key.*hex digits"
	vtpmd_run -n "$VTPM_NAME" --tpmstate "dir=$d" --migration-key "pwdfile=$BATS_TEST_TMPDIR/missing"
	assert_one_line_error
	assert_match "$stderr" "--migration-key: cannot open"
	[[ ! -e "$d" ]] || fail "the state directory was created"
	[[ ! -e "$VTPM_DEV" ]] || fail "$VTPM_DEV exists"
	# remove=true: the key file is gone once read
	printf '000102030405060708090a0b0c0d0e0f\n' >"$BATS_TEST_TMPDIR/once.key"
	vtpm_start --key "file=$BATS_TEST_TMPDIR/once.key,remove=true" --flags not-need-init,startup-clear
	[[ ! -e "$BATS_TEST_TMPDIR/once.key" ]] || fail "remove=true kept the key file"
	run ptm_ioctl -g
	assert_eq "$output" "ptm configuration flags: 0x1"
}
