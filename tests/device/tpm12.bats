# TPM 1.2 (--tpm12) and opening an existing TPM 1.2 state directory.

load lib

@test "tpm12: --tpm12 starts; INIT, TPM_Startup and a 1.2 command get 1.2 responses" {
	vtpm_start --tpm12
	run tpmraw "x:$CMD12_STARTUP_CLEAR"
	assert_eq "$output" "resp $RSP12_FATAL" "TPM 1.2 command before INIT"
	run ptm_ioctl -c
	assert_eq "$output" "ptm capability is 0x16fff"
	run ptm_ioctl -i
	assert_status 0
	run tpmraw "x:$CMD12_STARTUP_CLEAR" "x:$CMD12_GETCAP_VERSION"
	assert_status 0
	assert_eq "${lines[0]}" "resp $RSP12_OK" "TPM_Startup(ST_CLEAR)"
	assert_eq "${lines[1]}" "resp $RSP12_GETCAP_VERSION" "TPM_GetCapability(VERSION)"
	run ptm_ioctl --info 1
	assert_status 0
	assert_match "$output" '"family":"1.2"'
	[[ -f "$VTPM_STATE/tpm-00.permall" ]] || fail "no tpm-00.permall: $(ls -A "$VTPM_STATE")"
	[[ ! -e "$VTPM_STATE/tpm2-00.permall" ]] || fail "a TPM 2 state file appeared"
}

@test "tpm12: a TPM 2 command to a TPM 1.2 gets a 1.2-tagged error" {
	vtpm_start --tpm12 --flags not-need-init,startup-clear
	run tpmraw "x:$CMD_GETRANDOM8"
	assert_status 0
	assert_match "$output" '^resp 00c40000000a[0-9a-f]{8}$'
	[[ "$output" != "resp $RSP12_OK" ]] || fail "TPM 2 command succeeded on a TPM 1.2"
}

@test "tpm12: a state dir holding only tpm-00.permall opens as TPM 1.2 without --tpm12" {
	vtpm_start --tpm12 --flags not-need-init,startup-clear
	vtpm_stop
	[[ -f "$VTPM_STATE/tpm-00.permall" ]] || fail "no tpm-00.permall: $(ls -A "$VTPM_STATE")"
	find "$VTPM_STATE" -mindepth 1 ! -name tpm-00.permall -delete
	assert_eq "$(dir_list "$VTPM_STATE")" "tpm-00.permall"

	vtpm_start
	run tpmraw "x:$CMD_READCLOCK"
	assert_eq "$output" "resp $RSP12_FATAL" "fatal error before INIT is 1.2-tagged"
	run ptm_ioctl -i
	assert_status 0
	run tpmraw "x:$CMD12_STARTUP_CLEAR" "x:$CMD12_GETCAP_VERSION"
	assert_eq "${lines[0]}" "resp $RSP12_OK"
	assert_eq "${lines[1]}" "resp $RSP12_GETCAP_VERSION"
	[[ ! -e "$VTPM_STATE/tpm2-00.permall" ]] || fail "a TPM 2 state was created next to the 1.2 one"
}

@test "tpm12: an empty state dir without --tpm12 is TPM 2.0" {
	vtpm_start
	run tpmraw "x:$CMD12_STARTUP_CLEAR"
	assert_eq "$output" "resp $RSP_FATAL_TPM2"
	run ptm_ioctl -i
	assert_status 0
	run ptm_ioctl --info 1
	assert_match "$output" '"family":"2.0"'
}
