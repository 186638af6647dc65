# State in the directory: swtpm's file names and format,
# kept across restarts and INITs.

load lib

NV_IDX=0x1500020
PERSISTENT=0x81000001

# An NV index with known content and a persistent ECC key; remembers the key's
# name in KEY_NAME.
define_objects() {
	define_nv_and_key PERSIST!
}

# Both objects are there (run against any TCTI through the tpm2 function).
check_objects() {
	run tpm2 nvread "$NV_IDX" -C o -s 8
	assert_status 0
	assert_eq "$output" "PERSIST!" "NV index content"
	run tpm2 getcap handles-persistent
	assert_status 0
	[[ "$output" == *"$PERSISTENT"* ]] || fail "persistent handles: $output"
	assert_eq "$(tpm2 readpublic -c "$PERSISTENT" | sed -n 's/^name: //p')" "$KEY_NAME" "persistent key name"
}

# header_of FILE -> the 10-byte swtpm blob header as hex.
header_of() {
	od -An -tx1 -N10 "$1" | tr -d ' \n'
}

@test "state: an NV index and a persistent key survive a restart" {
	vtpm_start_ready
	define_objects
	vtpm_stop
	vtpm_start_ready
	check_objects
}

@test "state: an NV index and a persistent key survive INIT" {
	vtpm_start_ready
	define_objects
	run ptm_ioctl -i
	assert_status 0
	run tpm2 startup -c
	assert_status 0
	check_objects
}

@test "state: the directory holds tpm2-00.permall and .lock; volatilestate only after -v" {
	vtpm_start_ready
	assert_eq "$(dir_list "$VTPM_STATE")" ".lock tpm2-00.permall" "files while running"
	run ptm_ioctl -v
	assert_status 0
	assert_eq "$(dir_list "$VTPM_STATE")" ".lock tpm2-00.permall tpm2-00.volatilestate" "files after -v"
	rm "$VTPM_STATE/tpm2-00.volatilestate"
	vtpm_stop
	# SIGTERM's Shutdown(SU_STATE) lands in permall; like swtpm, no volatile
	# state is written (it would make the next INIT resume a running TPM).
	local files
	files=$(dir_list "$VTPM_STATE")
	files=${files#.lock }
	assert_eq "$files" "tpm2-00.permall" "files after SIGTERM (besides .lock)"
}

@test "state: files use swtpm's blob header and TLV, mode 0640 by default" {
	vtpm_start_ready
	run ptm_ioctl -v
	assert_status 0
	vtpm_stop
	local f size
	for f in tpm2-00.permall tpm2-00.volatilestate; do
		size=$(stat -c %s "$VTPM_STATE/$f")
		# version 2, min_version 1, hdrsize 10, flags 0, totlen = file size
		assert_eq "$(header_of "$VTPM_STATE/$f")" "0201000a0000$(printf %08x "$size")" "$f header"
		# then TLV tag 1 (DATA) with the rest as its length
		assert_eq "$(od -An -tx1 -j10 -N6 "$VTPM_STATE/$f" | tr -d ' \n')" \
			"0001$(printf %08x $((size - 16)))" "$f TLV"
		assert_eq "$(stat -c %a "$VTPM_STATE/$f")" 640 "$f mode"
	done
}

@test "state: --tpmstate mode= sets the files' mode; a missing dir is created" {
	local dir="$BATS_TEST_TMPDIR/a/b/state"
	vtpm_start_as "$VTPM_NAME" "$dir,mode=0600" "$VTPM_PIDFILE" --flags not-need-init,startup-clear
	[[ -d "$dir" ]] || fail "state dir not created"
	assert_eq "$(stat -c %a "$dir/tpm2-00.permall")" 600 "permall mode"
	run ptm_ioctl -v
	assert_status 0
	vtpm_stop
	assert_eq "$(stat -c %a "$dir/tpm2-00.volatilestate")" 600 "volatilestate mode"
}

@test "state: after SIGTERM the next start resumes with Startup(STATE)" {
	vtpm_start_ready
	run tpm2 pcrextend "5:sha256=$DIGEST_AA"
	assert_status 0
	vtpm_stop
	# Without startup-*: INIT, then the client's Startup(STATE) uses the state
	# SIGTERM's Shutdown(SU_STATE) saved.
	vtpm_start
	run ptm_ioctl -i
	assert_status 0
	run tpm2 startup
	assert_status 0
	assert_eq "$(pcr_value sha256:5)" "0x$PCR_AFTER_AA" "PCR 5 after resume"
}

@test "state: Debian's swtpm reads what vtpmd wrote, and vtpmd reads it back" {
	vtpm_start_ready
	define_objects
	vtpm_stop

	local sock="$BATS_TEST_TMPDIR/swtpm.sock" swpid
	timeout 60 swtpm socket --tpm2 --tpmstate "dir=$VTPM_STATE" \
		--server "type=unixio,path=$sock" --ctrl "type=unixio,path=$sock.ctrl" \
		--flags not-need-init --pid "file=$BATS_TEST_TMPDIR/swtpm.pid" -d 3>&-
	swpid=$(cat "$BATS_TEST_TMPDIR/swtpm.pid")
	VTPM_PIDS+=("$swpid")       # teardown stops it if the test fails
	wait_until 10 test -S "$sock.ctrl"
	TPM2_TCTI_OVERRIDE="swtpm:path=$sock"
	if [[ ! -e "$VTPM_STATE/tpm2-00.volatilestate" ]]; then
		# No volatile state to resume: the TPM needs its Startup.
		run tpm2 startup -c
		assert_status 0
	fi
	check_objects
	unset TPM2_TCTI_OVERRIDE
	run timeout 30 swtpm_ioctl -s --unix "$sock.ctrl"
	assert_status 0
	wait_until 30 pid_gone "$swpid"

	vtpm_start_ready
	check_objects
}
