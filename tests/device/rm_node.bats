#!/usr/bin/env bats
# The resource-managed node /dev/vtpmrmN beside /dev/vtpmN (issue 21): any
# number of open files at once, each with its own objects and sessions,
# through the real kernel CUSE, with tpm2-tools and the C clients of
# tests/tools (rmclient: many clients at once; rmsteps: one scripted
# workload). What a client leaves is checked through the raw node.
load lib
load rm

@test "rm: /dev/vtpmrmN beside /dev/vtpmN; many opens at once, the raw node still one; no ioctls; both go with the daemon" {
	vtpm_start_ready
	[[ -c $RM_DEV ]] || fail "$RM_DEV is not a character device"
	run timeout 60 "$VTPM_TOOLS/tpmraw" "$RM_DEV" o o o "x:$CMD_GETRANDOM8"
	assert_status 0
	assert_eq "${lines[0]}" "open ok"
	assert_eq "${lines[2]}" "open ok" "third open file"
	assert_match "${lines[3]}" '^resp 80010000001400000000' "GetRandom on the first"
	run tpmraw o
	assert_eq "${lines[0]}" "open EBUSY" "second open of the raw node"
	# The kernel's /dev/tpmrmN has no ioctls: neither has this one.
	run timeout 60 "$VTPM_TOOLS/ptmctl" "$RM_DEV" caps
	assert_eq "$output" "errno ENOTTY"
	run timeout 60 swtpm_ioctl -i "$RM_DEV"
	assert_failed
	vtpm_stop
	[[ ! -e $RM_DEV ]] || fail "$RM_DEV outlived the daemon"
}

@test "rm: --resource-manager off leaves no RM node; -M/-m numbers it MIN+65536" {
	vtpm_start_ready --resource-manager off
	[[ ! -e $RM_DEV ]] || fail "$RM_DEV exists with --resource-manager off"
	vtpm_stop
	vtpm_start_ready -M 242 -m 7
	assert_eq "$(stat -c '%t:%T' "$VTPM_DEV")" "f2:7" "numbers of $VTPM_DEV (hex)"
	assert_eq "$(stat -c '%t:%T' "$RM_DEV")" "f2:10007" "numbers of $RM_DEV (hex)"
	vtpm_stop
}

# tpm2-tools' own suite runs this (encryptdecrypt): both tools hold the
# TPM at once. On a single-open node the second gets EBUSY.
@test "rm: a pipeline of two tpm2 tools" {
	local t=$BATS_TEST_TMPDIR
	vtpm_start_ready
	run tpm2rm createprimary -C o -g sha256 -G ecc -c "$t/primary.ctx"
	assert_status 0
	run tpm2rm create -C "$t/primary.ctx" -G aes128cfb -u "$t/key.pub" -r "$t/key.priv"
	assert_status 0
	run tpm2rm load -C "$t/primary.ctx" -u "$t/key.pub" -r "$t/key.priv" -c "$t/key.ctx"
	assert_status 0
	head -c 1000 /dev/urandom >"$t/plain"
	head -c 16 /dev/zero >"$t/iv"
	run bash -c "set -o pipefail; tpm2_encryptdecrypt -T device:$RM_DEV -c $t/key.ctx -t $t/iv $t/plain |
		tpm2_encryptdecrypt -T device:$RM_DEV -d -c $t/key.ctx -t $t/iv -o $t/back"
	assert_status 0
	cmp "$t/plain" "$t/back" || fail "the pipeline did not give the plaintext back"
	assert_eq "$(tpm_held)" "0 0" "objects and sessions left in the TPM"
}

@test "rm: 16 clients at once, 100 signatures each verified with OpenSSL, a policy session; no cross-talk, nothing left loaded" {
	local i pids=() out
	vtpm_start_ready
	for (( i = 0; i < 16; i++ )); do
		rmclient "$RM_DEV" flow 100 >"$BATS_TEST_TMPDIR/client.$i" 2>&1 &
		pids+=($!)
	done
	for (( i = 0; i < 16; i++ )); do
		wait "${pids[$i]}" || fail "client $i: $(cat "$BATS_TEST_TMPDIR/client.$i")"
	done
	out=$(cat "$BATS_TEST_TMPDIR"/client.* | sort | uniq -c)
	# one line, 16 times: every client verified 100 signatures and got the
	# same policy digest (PCR 0 as it is)
	assert_match "$out" '^ *16 ok 100 [0-9a-f]{64}$' "what the 16 clients printed"
	assert_eq "$(tpm_held)" "0 0" "objects and sessions left in the TPM"
}

@test "rm: isolation: another file's virtual handles, physical handles and sessions are refused; GetCapability shows a file only its own" {
	vtpm_start_ready
	run rmsteps "$RM_DEV"
	assert_status 0
	local -A got
	local l
	for l in "${lines[@]}"; do
		got[${l%% *}]=${l#* }
	done
	assert_eq "${got[A-lists-transient]}" "rc=0x0 handles=0x80ffffff"
	assert_eq "${got[B-lists-transient]}" "rc=0x0 handles=" "B's list"
	# refused as the kernel's tpmrm refuses them: the write fails
	assert_eq "${got[B-readpublic-A-handle]}" "errno=EINVAL"
	assert_eq "${got[B-readpublic-physical]}" "errno=EINVAL"
	assert_eq "${got[B-flush-A-handle]}" "errno=EINVAL"
	assert_eq "${got[readpublic-flushed]}" "errno=EINVAL"
	# A's session does not exist for B: the TPM's "not loaded"
	assert_eq "${got[B-policygetdigest-A-session]}" "rc=0x910"
	assert_eq "${got[B-lists-saved-sessions]}" "rc=0x0 handles=" "sessions B sees"
	assert_eq "${got[unknown-command]}" "rc=0xb0143"
	assert_eq "$(tpm_held)" "0 0" "objects and sessions left in the TPM"
}

@test "rm: a client killed with SIGKILL mid-session: its objects and sessions are gone, the next client gets the full table" {
	vtpm_start_ready
	# the client itself, not a shell around it, gets the signal
	"$VTPM_TOOLS/rmclient" "$RM_DEV" hold 27 20 >"$BATS_TEST_TMPDIR/hold" 2>&1 &
	local pid=$!
	wait_until 300 grep -q holding "$BATS_TEST_TMPDIR/hold" ||
		fail "the holder did not get its objects: $(cat "$BATS_TEST_TMPDIR/hold")"
	assert_eq "$(tpm_held)" "0 20" "held while it lives (objects saved, sessions saved)"
	kill -KILL "$pid"
	wait "$pid" || true
	wait_until 30 test "$(tpm_held)" = "0 0" || fail "left behind: $(tpm_held)"
	# the whole table: 27 objects, all 64 sessions of the TPM
	run rmclient "$RM_DEV" fill
	assert_status 0
	assert_eq "$output" "objects 27 rc=0xb0902 sessions 64 rc=0xb0905"
	assert_eq "$(tpm_held)" "0 0" "after the filler ended"
}

@test "rm: tpm2-tss clients through a whole flow: createek, createak, quote, checkquote, evictcontrol, nvdefine/nvwrite/nvread" {
	local t=$BATS_TEST_TMPDIR
	vtpm_start_ready
	export TPM2TOOLS_TCTI=device:$RM_DEV
	run timeout 300 tpm2_createek -G ecc -c "$t/ek.ctx" -u "$t/ek.pub"
	assert_status 0
	run timeout 300 tpm2_createak -C "$t/ek.ctx" -c "$t/ak.ctx" -G ecc -g sha256 -s ecdsa \
		-u "$t/ak.pub" -n "$t/ak.name"
	assert_status 0
	run timeout 300 tpm2_quote -c "$t/ak.ctx" -l sha256:0,1,2 -q 1234abcd -m "$t/msg" \
		-s "$t/sig" -o "$t/pcrs" -g sha256
	assert_status 0
	run timeout 300 tpm2_checkquote -u "$t/ak.pub" -m "$t/msg" -s "$t/sig" -f "$t/pcrs" \
		-g sha256 -q 1234abcd
	assert_status 0
	run timeout 300 tpm2_evictcontrol -C o -c "$t/ak.ctx" 0x81010002
	assert_status 0
	run timeout 300 tpm2_readpublic -c 0x81010002
	assert_status 0
	run timeout 300 tpm2_evictcontrol -C o -c 0x81010002
	assert_status 0
	run timeout 300 tpm2_nvdefine 0x1500020 -C o -s 16 -a "ownerread|ownerwrite"
	assert_status 0
	printf 'sixteen bytes!!!' >"$t/nv"
	run timeout 300 tpm2_nvwrite 0x1500020 -C o -i "$t/nv"
	assert_status 0
	run timeout 300 tpm2_nvread 0x1500020 -C o -s 16 -o "$t/nv.back"
	assert_status 0
	cmp "$t/nv" "$t/nv.back" || fail "NV read back differs"
	run timeout 300 tpm2_nvundefine 0x1500020 -C o
	assert_status 0
	unset TPM2TOOLS_TCTI
	assert_eq "$(tpm_held)" "0 0" "objects and sessions left in the TPM"
}

# Each flow holds its own key; a signature by another flow's key would not
# verify. tpm2-tools writes its objects' contexts to files between tools.
@test "rm: 4 tpm2-tools flows at once: create, load, signatures verified with openssl, a policy session from tool to tool" {
	local i pids=()
	vtpm_start_ready
	for (( i = 0; i < 4; i++ )); do
		tools_flow "$BATS_TEST_TMPDIR/flow$i" >"$BATS_TEST_TMPDIR/flow$i.out" 2>&1 &
		pids+=($!)
	done
	for (( i = 0; i < 4; i++ )); do
		wait "${pids[$i]}" || fail "flow $i: $(cat "$BATS_TEST_TMPDIR/flow$i.out")"
	done
	assert_eq "$(tpm_held)" "0 0" "objects and sessions left in the TPM"
}

# One client's tpm2-tools flow in directory D.
tools_flow() {
	local d=$1 n
	mkdir -p "$d"
	set -e
	tpm2rm createprimary -C o -G ecc -c "$d/p.ctx" -Q
	tpm2rm create -C "$d/p.ctx" -G ecc -u "$d/k.pub" -r "$d/k.priv" -Q
	tpm2rm load -C "$d/p.ctx" -u "$d/k.pub" -r "$d/k.priv" -c "$d/k.ctx" -Q
	tpm2rm readpublic -c "$d/k.ctx" -f pem -o "$d/k.pem" -Q
	for n in 1 2 3; do
		echo "message $n of $d" >"$d/m$n"
		tpm2rm sign -c "$d/k.ctx" -g sha256 -f plain -o "$d/s$n" "$d/m$n"
		openssl dgst -sha256 -verify "$d/k.pem" -signature "$d/s$n" "$d/m$n"
	done
	tpm2rm startauthsession --policy-session -S "$d/session.ctx"
	tpm2rm policypcr -S "$d/session.ctx" -l sha256:0 -L "$d/policy"
	tpm2rm flushcontext "$d/session.ctx"
	# (the keys need no flushing: each tool's open file took its
	# objects with it; tpm_held checks)
	[[ -s $d/policy ]]
}
