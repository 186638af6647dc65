#!/usr/bin/env bats
# crun and runc, driven directly with a hand-written OCI config.json: the
# device in linux.devices (fixed numbers from -M/-m) and its rule in
# linux.resources.devices. tpm2-tools inside work; with the allow rule
# removed the node is there but opening it fails with EPERM (the cgroup's
# device filter, not file permissions: the process is root).
load lib
load containers

setup_file() {
	ct_setup_file
}

teardown_file() {
	ct_teardown_file
}

# write_bundle DIR MAJOR MINOR ALLOW SCRIPT: an OCI bundle running SCRIPT
# (its stderr on its stdout, so lines keep their order) with sh as root (no capability beyond CAP_KILL), new pid, mount, ipc, uts,
# network and cgroup namespaces, /dev a tmpfs holding only the TPM node.
# ALLOW=yes adds the device's allow rule after the deny-all.
write_bundle() {
	local dir=$1 major=$2 minor=$3 allow=$4 script=$5 rules
	rules='[{"allow": false, "access": "rwm"}]'
	if [[ $allow == yes ]]; then
		rules=$(jq -cn --argjson M "$major" --argjson m "$minor" \
			'[{allow: false, access: "rwm"}, {allow: true, type: "c", major: $M, minor: $m, access: "rw"}]')
	fi
	mkdir -p "$dir"
	jq -n --arg root "$CT_ROOTFS" --arg script "$script" --argjson M "$major" \
		--argjson m "$minor" --argjson rules "$rules" --arg cg "/vtpmtest-$(basename "$dir")" '{
	  ociVersion: "1.0.2",
	  process: {
	    terminal: false, user: {uid: 0, gid: 0}, cwd: "/",
	    args: ["/bin/sh", "-c", ("exec 2>&1\n" + $script)],
	    env: ["PATH=/usr/bin:/bin"],
	    capabilities: {bounding: ["CAP_KILL"], effective: ["CAP_KILL"], permitted: ["CAP_KILL"]},
	    noNewPrivileges: true
	  },
	  root: {path: $root, readonly: true},
	  hostname: "oci",
	  mounts: [
	    {destination: "/proc", type: "proc", source: "proc"},
	    {destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "mode=755"]},
	    {destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev"]}
	  ],
	  linux: {
	    devices: [{path: "/dev/tpm0", type: "c", major: $M, minor: $m, fileMode: 432, uid: 0, gid: 0}],
	    resources: {devices: $rules},
	    cgroupsPath: $cg,
	    namespaces: [{type: "pid"}, {type: "mount"}, {type: "ipc"}, {type: "uts"},
	                 {type: "network"}, {type: "cgroup"}]
	  }
	}' >"$dir/config.json"
}

# oci_run RUNTIME DIR: run the bundle to its end.
oci_run() {
	timeout 120 "$1" run --bundle "$2" "vtpmtest-$BATS_SUITE_TEST_NUMBER-$1-$(basename "$2")" 2>&1
}

# A device with fixed numbers, then the runtime with and without the rule.
check_runtime() { # RUNTIME
	local rt=$1 major
	command -v "$rt" >/dev/null || skip "$rt is not installed"
	major=$(free_char_major) || skip "no free character major in 240-254"
	vtpm_start_ready -M "$major" -m 3

	write_bundle "$BATS_TEST_TMPDIR/allowed" "$major" 3 yes "
		stat -c '%F %t:%T' /dev/tpm0
		$CT_GETRANDOM
		$CT_EXTEND_AND_READ"
	run oci_run "$rt" "$BATS_TEST_TMPDIR/allowed"
	assert_status 0
	assert_eq "${lines[0]}" "character special file $(printf '%x:3' "$major")" "/dev/tpm0"
	assert_match "${lines[1]}" '^[0-9a-f]{16}$' "tpm2_getrandom"
	assert_eq "${lines[2]}" "pcr16: 0x$PCR_AFTER_AA"
	assert_eq "$(pcr_value sha256:16)" "0x$PCR_AFTER_AA" "PCR 16 on the host"

	write_bundle "$BATS_TEST_TMPDIR/denied" "$major" 3 no "
		stat -c '%F' /dev/tpm0
		exec 3<>/dev/tpm0 && echo opened"
	run oci_run "$rt" "$BATS_TEST_TMPDIR/denied"
	assert_failed
	assert_eq "${lines[0]}" "character special file" "the node is there"
	[[ "$output" == *"Operation not permitted"* ]] || fail "open without the rule: $output"
	[[ "$output" != *opened* ]] || fail "the node opened without an allow rule"
	# Nothing reached the TPM: PCR 16 is as the first container left it.
	assert_eq "$(pcr_value sha256:16)" "0x$PCR_AFTER_AA"
	vtpm_stop
}

@test "crun with config.json: tpm2-tools use the device; without the allow rule open() fails with EPERM" {
	check_runtime crun
}

@test "runc with config.json: tpm2-tools use the device; without the allow rule open() fails with EPERM" {
	check_runtime runc
}
