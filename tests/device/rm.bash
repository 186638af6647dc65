# shellcheck shell=bash
# Helpers for the resource-managed node's tests (rm_*.bats): its name, the
# C clients for it, and what the TPM holds as the raw node sees it.

# The RM node's name beside device NAME, by vtpmd's rule: the first "tpm"
# becomes "tpmrm"; a name without one gets "rm" appended.
rm_devname() {
	if [[ $1 == *tpm* ]]; then
		echo "${1/tpm/tpmrm}"
	else
		echo "${1}rm"
	fi
}

# Every test also knows its device's RM node, RM_DEV.
eval "$(declare -f setup | sed '1s/^setup/lib_setup/')"
setup() {
	lib_setup
	RM_DEV=/dev/$(rm_devname "$VTPM_NAME")
}

rmsteps() {
	timeout 600 "$VTPM_TOOLS/rmsteps" "$@"
}

rmclient() {
	timeout 900 "$VTPM_TOOLS/rmclient" "$@"
}

# tpm2 tools on the RM node (tpm2-tss' device TCTI).
tpm2rm() {
	local tool=$1
	shift
	timeout 300 "tpm2_$tool" -T "device:$RM_DEV" "$@"
}

# What the TPM itself holds, through the raw node: "T S" = transient
# objects and (loaded + saved) sessions.
tpm_held() {
	local t l s
	t=$(tpm2 getcap handles-transient | grep -c '^-' || true)
	l=$(tpm2 getcap handles-loaded-session | grep -c '^-' || true)
	s=$(tpm2 getcap handles-saved-session | grep -c '^-' || true)
	echo "$t $((l + s))"
}
