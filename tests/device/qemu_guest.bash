# shellcheck shell=bash disable=SC2034  # GUEST_START is for the .bats file
# Helpers for qemu_guest.bats: boot a nested QEMU guest (TCG inside the test
# VM) whose TPM is the test's /dev/vtpmN through QEMU's passthrough backend,
# read what the guest's init (tests/guest/init) reports on its serial console,
# and reset or stop the guest through QEMU's monitor.
#
# How the guest boots, and why:
# - Kernel: VTPMD_GUEST_KERNEL if set, else the one the test VM runs
#   (scripts/vm-run passes its image as VTPMD_VM_KERNEL), else
#   /boot/vmlinuz-$(uname -r). Debian's kernel has the TPM drivers built in;
#   the initramfs has none.
# - Firmware: QEMU's default, SeaBIOS. Given a TPM that is powered on but not
#   started, it sends TPM2_Startup(CLEAR) and a full TPM2_SelfTest, measures
#   the boot and sets a random platform password; given a started TPM, its
#   Startup gets TPM_RC_INITIALIZE and it tries to turn the hierarchies off.
#   Which of the two happens is each test's choice.
# - Initramfs: put into guest RAM by -device loader at GUEST_INITRD_ADDR and
#   named on the kernel command line (initrdmem=, memmap= keeps that RAM out
#   of the kernel's hands), not loaded with -initrd. QEMU 7.2 puts an -initrd
#   right below the 160 KiB it sets aside for the firmware's ACPI data, but
#   with a TPM SeaBIOS uses more (its tables plus the TPM event log: 196 KiB
#   measured), so the initrd lands on the ACPI tables and the guest kernel
#   finds garbage instead of the TPM.
# - no_timer_check: on a busy machine the kernel's check of the IO-APIC timer
#   fails under nested emulation and the kernel panics.
# - cryptomgr.notests: the kernel's crypto self-tests (nothing the TPM uses)
#   take about a sixth of a nested boot.

GUEST_INITRD_ADDR=0x8000000 # 128 MiB: above the kernel, below the ACPI data
GUEST_MEM_MB=256
# TPM2_PCR_Extend's response: no parameters, then the password session's
# acknowledgement (empty nonce, continueSession set, empty hmac).
RSP_EXTEND_OK=80020000001300000000000000000000010000
# Seconds a guest may take from QEMU's start (or a reset) to its report:
# one to three minutes, depending on how busy the machine is. Set it with
# VTPMD_GUEST_BOOT_BUDGET (scripts/run-device-tests passes VTPMD_* into the VM).
GUEST_BOOT_BUDGET=${VTPMD_GUEST_BOOT_BUDGET:-480}

# The kernel image to boot in the guest, or nothing.
guest_kernel() {
	local k
	for k in "${VTPMD_GUEST_KERNEL:-}" "${VTPMD_VM_KERNEL:-}" "/boot/vmlinuz-$(uname -r)"; do
		if [[ -n $k && -r $k ]]; then
			echo "$k"
			return 0
		fi
	done
	return 1
}

# Skips the test unless QEMU and a kernel are at hand; builds the initramfs
# once per file. Sets GUEST_KERNEL and GUEST_INITRD.
guest_prepare() {
	command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is not installed"
	GUEST_KERNEL=$(guest_kernel) ||
		skip "no kernel image for the guest (set VTPMD_GUEST_KERNEL)"
	GUEST_INITRD=$BATS_FILE_TMPDIR/guest.cpio
	if [[ ! -s $GUEST_INITRD ]]; then
		"$BATS_TEST_DIRNAME/../guest/build-initramfs" "$GUEST_INITRD" "$VTPM_TOOLS/tpmraw" ||
			fail "cannot build the guest's initramfs"
	fi
}

# guest_cmdline [APPEND...]: the guest kernel's command line, with the
# initramfs where guest_initrd_loader puts it and the words APPEND.
guest_cmdline() {
	local size mib
	size=$(stat -c %s "$GUEST_INITRD")
	mib=$(((size + (1 << 20) - 1) >> 20))
	echo "console=ttyS0 quiet panic=0 no_timer_check cryptomgr.notests" \
		"memmap=${mib}M\$$GUEST_INITRD_ADDR initrdmem=$GUEST_INITRD_ADDR,$size $*"
}

# The value of QEMU's -device option that loads the initramfs into guest RAM.
guest_initrd_loader() {
	echo "loader,file=$GUEST_INITRD,addr=$GUEST_INITRD_ADDR,force-raw=on"
}

# guest_start MODEL [APPEND...]: boot the guest with the TPM device MODEL
# (tpm-tis, tpm-crb) on the test's node, in the background. The words
# APPEND go on the kernel command line (the init's settings). Sets
# GUEST_PID, GUEST_SERIAL (the console log), GUEST_MON (the monitor's input
# fifo) and GUEST_START ($SECONDS at the start).
guest_start() {
	local model=$1 dir=$BATS_TEST_TMPDIR/guest
	shift
	mkdir -p "$dir"
	GUEST_SERIAL=$dir/serial.log
	GUEST_MON=$dir/mon.in
	# The monitor is a pair of fifos: commands in, its replies out (kept).
	mkfifo "$dir/mon.in" "$dir/mon.out"
	cat "$dir/mon.out" >"$dir/mon.log" 3>&- &
	GUEST_MON_READER=$!
	local append
	append=$(guest_cmdline "$@")
	GUEST_START=$SECONDS
	# shellcheck disable=SC2054 # the commas are QEMU's
	timeout --kill-after=10 $((3 * GUEST_BOOT_BUDGET)) \
		qemu-system-x86_64 -nodefaults -no-user-config -display none \
		-machine q35,accel=tcg -m "$GUEST_MEM_MB" \
		-kernel "$GUEST_KERNEL" \
		-device "$(guest_initrd_loader)" \
		-append "$append" \
		-serial "file:$GUEST_SERIAL" \
		-chardev "pipe,id=mon,path=$dir/mon" -mon chardev=mon,mode=readline \
		-tpmdev "passthrough,id=tpm0,path=$VTPM_DEV,cancel-path=/dev/null" \
		-device "$model,tpmdev=tpm0" \
		>"$dir/qemu.out" 2>&1 3>&- </dev/null &
	GUEST_PID=$!
}

# The guest's console so far, without carriage returns.
guest_console() {
	tr -d '\r' 2>/dev/null <"$GUEST_SERIAL"
}

# guest_wait_reports N: wait until the guest has finished N reports (one per
# boot), at most GUEST_BOOT_BUDGET seconds from now. Fails, showing the
# console, if the guest panics, QEMU ends, or the time runs out.
guest_wait_reports() {
	local want=$1 deadline=$((SECONDS + GUEST_BOOT_BUDGET)) n
	while ((SECONDS < deadline)); do
		n=$(guest_console | grep -c '^guest: done$' || true)
		((n >= want)) && return 0
		guest_console | grep -q 'Kernel panic' && break
		pid_alive "$GUEST_PID" || break
		sleep 2
	done
	echo "--- guest console (QEMU: $(cat "$BATS_TEST_TMPDIR/guest/qemu.out"))"
	guest_console | tail -n 40
	fail "the guest's report $want did not come within $GUEST_BOOT_BUDGET s"
}

# guest_monitor COMMAND: one line to QEMU's human monitor.
guest_monitor() {
	# shellcheck disable=SC2016 # expanded by the inner bash
	timeout 30 bash -c 'echo "$1" >"$2"' _ "$1" "$GUEST_MON" ||
		fail "QEMU's monitor did not take '$1'"
}

# Ends QEMU through its monitor and waits for it (SIGKILL after 60 s).
guest_quit() {
	guest_monitor quit
	if ! wait_until 60 pid_gone "$GUEST_PID"; then
		kill -KILL "$GUEST_PID" 2>/dev/null || true
		fail "QEMU did not quit within 60 s"
	fi
	wait "$GUEST_PID" || true
}

# For teardown: a guest still running is killed, and so is the monitor's
# reader (it waits forever if QEMU never opened the fifo).
guest_kill() {
	local p
	for p in ${GUEST_PID:-} ${GUEST_MON_READER:-}; do
		pid_alive "$p" || continue
		# timeout(1) passes SIGTERM on to QEMU, and SIGKILLs it 10 s later.
		kill -TERM "$p" 2>/dev/null || true
		wait_until 30 pid_gone "$p" || kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
}

# guest_field BOOT KEY: the rest of the line "guest: KEY ..." of report
# number BOOT (1 = the first boot).
guest_field() {
	guest_console | awk -v boot="$1" -v key="$2" '
		$1 == "guest:" && $2 == "boot" { n++ }
		n == boot && $1 == "guest:" && $2 == key {
			sub(/^guest: [^ ]+ ?/, "")
			print
			exit
		}'
}

# sha256_extend PCR DIGEST: the value of a sha256 PCR holding PCR (hex) after
# extending it with DIGEST (hex), in upper case like sysfs and tpm2_pcrread.
sha256_extend() {
	local hex=$1$2 escaped='' i
	for ((i = 0; i < ${#hex}; i += 2)); do
		escaped+="\\x${hex:i:2}"
	done
	# shellcheck disable=SC2059 # the format is the bytes
	printf "$escaped" | sha256sum | cut -c1-64 | tr a-f A-F
}

# assert_guest_report BOOT DRIVER PCR_BEFORE PCR_AFTER: report BOOT shows
# DRIVER bound to a TPM 2.0, the PCR going from PCR_BEFORE to PCR_AFTER by
# the guest's extend, and random bytes from the TPM.
assert_guest_report() {
	local b=$1
	assert_eq "$(guest_field "$b" driver)" "$2" "boot $b: driver bound to tpm0"
	assert_eq "$(guest_field "$b" tpm_version_major)" 2 "boot $b: tpm_version_major"
	assert_eq "$(guest_field "$b" pcr-before)" "$3" "boot $b: PCR $GUEST_PCR before the extend"
	assert_eq "$(guest_field "$b" extend)" "resp $RSP_EXTEND_OK" "boot $b: TPM2_PCR_Extend"
	assert_eq "$(guest_field "$b" pcr-after)" "$4" "boot $b: PCR $GUEST_PCR after the extend"
	assert_match "$(guest_field "$b" getrandom)" '^resp 800100000014000000000008[0-9a-f]{16}$' \
		"boot $b: TPM2_GetRandom(8)"
}

# No kernel message about the TPM reports an error or a failure.
assert_no_tpm_errors() {
	local bad
	bad=$(guest_console | grep '^guest: kmsg' | grep -i -E 'error|fail' || true)
	[[ -z $bad ]] || fail "the guest kernel reported: $bad"
}

# guest_tpm_host_start: the host starts the test's TPM before QEMU opens it,
# as a platform's firmware does for a hardware TPM: the CRB buffer size
# (QEMU 7.2 refuses, for tpm-crb, a passthrough TPM whose commands may be
# longer than its 3968-byte buffer, which it assumes of a TPM it cannot ask
# because it is not started yet), INIT, TPM2_Startup and a random platform
# password (vtpmctl bios -u), and a full self test, so that the guest
# kernel's TPM2_SelfTest finds nothing left to test.
guest_tpm_host_start() {
	local vtpmctl
	vtpmctl=$(dirname "$VTPMD")/vtpmctl
	run "$vtpmctl" -b 3968 "$VTPM_DEV"
	assert_status 0
	assert_eq "${lines[0]}" "TPM buffersize: 3968"
	run "$vtpmctl" -i "$VTPM_DEV"
	assert_status 0
	run "$vtpmctl" bios -u "$VTPM_DEV"
	assert_status 0
	run tpm2 selftest --fulltest
	assert_status 0
}
