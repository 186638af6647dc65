# shellcheck shell=bash
# Helpers for the container runtime tests (containers_*.bats, cdi_pool.bats):
# Debian's podman (with crun, its default runtime), crun and runc, with no
# image registry and no network. Containers run from a root file system
# built from this machine's files (make-rootfs: busybox and tpm2-tools);
# podman keeps its storage on a tmpfs of the file's own; cgroup v2 is
# mounted where nothing did (the test VM's init does not).
#
# Load after lib: `load lib` then `load containers`; call ct_setup_file
# and ct_teardown_file from setup_file/teardown_file.
# shellcheck disable=SC2034 # constants used by the .bats files

CT_KIND=vtpmd.io/tpm
# podman reads /etc/cdi and /var/run/cdi; the test VM's /run is a tmpfs.
CT_CDI_DIR=/var/run/cdi

ct_setup_file() {
	local tool
	for tool in podman crun runc conmon jq; do
		command -v "$tool" >/dev/null || skip "$tool is not installed (scripts/install-deps)"
	done
	if ! grep -qs '^[^ ]* /sys/fs/cgroup cgroup2 ' /proc/mounts; then
		mount -t cgroup2 none /sys/fs/cgroup || skip "cannot mount cgroup v2"
		touch "$BATS_FILE_TMPDIR/cgroup-mounted"
	fi
	CT_DIR=$BATS_FILE_TMPDIR/ct
	mkdir -p "$CT_DIR"
	mount -t tmpfs -o mode=0755 tmpfs "$CT_DIR"
	# One root file system for every file of this run: containers only
	# read it, and building it costs seconds under the VM's TCG.
	CT_ROOTFS=$BATS_RUN_TMPDIR/ct-rootfs
	if [[ ! -e "$CT_ROOTFS.done" ]]; then
		rm -rf "$CT_ROOTFS"
		"$BATS_TEST_DIRNAME/make-rootfs" "$CT_ROOTFS"
		touch "$CT_ROOTFS.done"
	fi
	export CT_DIR CT_ROOTFS
}

ct_teardown_file() {
	[[ -n "${CT_DIR:-}" ]] || return 0
	ct_podman rm --all --force >/dev/null 2>&1 || true
	umount "$CT_DIR" 2>/dev/null || umount -l "$CT_DIR" 2>/dev/null || true
	# podman's cgroups stay; the mount goes when nothing holds it.
	if [[ -e "$BATS_FILE_TMPDIR/cgroup-mounted" ]]; then
		umount /sys/fs/cgroup 2>/dev/null || true
	fi
}

# podman with this file's storage; no systemd, no journald in the test VM.
ct_podman() {
	timeout 300 podman --root "$CT_DIR/storage" --runroot "$CT_DIR/run" \
		--storage-driver vfs --cgroup-manager cgroupfs --events-backend file "$@"
}

# ct_run [PODMAN-RUN-OPTION...] -- SCRIPT: SCRIPT with sh in a new container
# of the test root file system, removed when it ends.
ct_run() {
	local opts=()
	while (($#)) && [[ $1 != -- ]]; do
		opts+=("$1")
		shift
	done
	shift
	ct_podman run --rm --network none --log-driver k8s-file "${opts[@]}" \
		--rootfs "$CT_ROOTFS" /bin/sh -c "$1"
}

# The numbers of a node as "MAJOR:MINOR" (decimal).
dev_numbers() {
	echo "$((16#$(stat -c %t "$1"))):$((16#$(stat -c %T "$1")))"
}

# The lowest character major in 240-254 (reserved for local use) that
# nothing has taken, so fixed numbers do not collide with a driver.
free_char_major() {
	local m
	for m in $(seq 240 254); do
		sed -n '/^Character devices:/,/^$/p' /proc/devices | grep -qE "^ *$m " || {
			echo "$m"
			return 0
		}
	done
	return 1
}

# In-container commands, shared by the files: the PCR 16 value after
# extending it with DIGEST_AA, and a getrandom.
CT_EXTEND_AND_READ="tpm2_pcrextend -T device:/dev/tpm0 16:sha256=$DIGEST_AA &&
	tpm2_pcrread -T device:/dev/tpm0 sha256:16 | sed -n 's/^ *16 *: /pcr16: /p'"
CT_READ_PCR16="tpm2_pcrread -T device:/dev/tpm0 sha256:16 | sed -n 's/^ *16 *: /pcr16: /p'"
CT_GETRANDOM="tpm2_getrandom -T device:/dev/tpm0 --hex 8 && echo"
PCR16_ZERO=0x$(printf '0%.0s' {1..64})

# What a container gets of the control plane (issue 17): `ptmctl /dev/tpm0
# sweep` inside it, with tests/tools/ptmctl mounted at /ptmctl, answers
# lib's SWEEP_CLIENT.
CT_PTMCTL=(-v "$VTPM_TOOLS/ptmctl:/ptmctl:ro")
