#!/usr/bin/env bats
# libvirt 9.0 (Debian 12's libvirt-daemon-system, libvirtd with its QEMU
# driver) gives a guest vtpmd's TPM: a domain with
#   <tpm model='tpm-crb'><backend type='passthrough'>
#     <device path='/dev/vtpmN'/></backend></tpm>
# and direct kernel boot of the kernel and initramfs qemu_guest.bats boots
# (tests/guest/) starts with `virsh start`; the guest's kernel binds its CRB
# driver to the TPM and extends a PCR, and the host reads that PCR back
# through vtpmd once libvirt has stopped the domain.
#
# libvirt's own checks run unedited (qemu.conf and the libvirt-qemu user as
# Debian ships them): libvirtd opens the node and passes QEMU the
# descriptor, makes the node the QEMU user's (dynamic_ownership) while the
# domain runs and gives it back to root:root after; it finds no sysfs
# cancel file for a node outside /sys/class/tpm and /sys/class/misc and
# passes /dev/null as the cancel path. AppArmor is not active in the test
# VM: docs/applications.md says what an administrator adds where it is.
#
# The initramfs goes into guest RAM through QEMU's generic loader
# (<qemu:commandline>), as in qemu_guest.bash: QEMU 7.2 puts an -initrd
# (libvirt's <initrd>) where SeaBIOS puts its ACPI tables once a TPM is
# present. That concerns direct kernel boot only, not vtpmd: a guest whose
# boot loader loads its initrd needs none of it.
#
# Slow: libvirtd starts here, and one nested guest boots (TCG inside TCG).
load lib
load qemu_guest
load apps

GUEST_PCR=23
ZERO_PCR=0000000000000000000000000000000000000000000000000000000000000000
DOMAIN=vtpmd-apps-guest
# One boot and libvirt's start-up must fit into the test.
if ((${BATS_TEST_TIMEOUT:-0} < 3 * GUEST_BOOT_BUDGET)); then
	BATS_TEST_TIMEOUT=$((3 * GUEST_BOOT_BUDGET))
fi

# virsh on the system instance.
lv() {
	timeout 300 virsh -q -c qemu:///system "$@"
}

# Uses the host's libvirtd if one answers, else starts virtlogd and
# libvirtd (there is no systemd in the test VM to start them), stopped by
# teardown through VTPM_PIDS.
libvirt_start() {
	local dir=$BATS_TEST_TMPDIR/libvirt d
	if lv version >/dev/null 2>&1; then
		return 0
	fi
	mkdir -p "$dir"
	for d in /run/libvirt /var/log/libvirt/qemu /var/lib/libvirt/qemu /var/cache/libvirt/qemu; do
		mkdir -p "$d"
	done
	virtlogd -d -p "$dir/virtlogd.pid" 3>&- || fail "virtlogd did not start"
	VTPM_PIDS+=("$(<"$dir/virtlogd.pid")")
	libvirtd -d -p "$dir/libvirtd.pid" 3>&- || fail "libvirtd did not start"
	VTPM_PIDS+=("$(<"$dir/libvirtd.pid")")
	wait_until 120 lv version >/dev/null ||
		fail "libvirtd does not answer on qemu:///system"
}

eval "$(declare -f teardown | sed '1s/^teardown /lib_teardown /')"
teardown() {
	if command -v virsh >/dev/null && lv dominfo "$DOMAIN" >/dev/null 2>&1; then
		lv destroy "$DOMAIN" >/dev/null 2>&1 || true
		lv undefine "$DOMAIN" >/dev/null 2>&1 || true
	fi
	lib_teardown
}

# domain_xml DIR: the domain, with its kernel, initramfs and console log in DIR.
domain_xml() {
	local dir=$1
	cat <<-EOF
		<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
		  <name>$DOMAIN</name>
		  <memory unit='MiB'>$GUEST_MEM_MB</memory>
		  <vcpu>1</vcpu>
		  <os>
		    <type arch='x86_64' machine='q35'>hvm</type>
		    <kernel>$dir/vmlinuz</kernel>
		    <cmdline>$(guest_cmdline "GUEST_PCR=$GUEST_PCR" "GUEST_DIGEST=$DIGEST_AA")</cmdline>
		  </os>
		  <features><acpi/></features>
		  <on_poweroff>destroy</on_poweroff>
		  <devices>
		    <emulator>$(command -v qemu-system-x86_64)</emulator>
		    <controller type='usb' model='none'/>
		    <memballoon model='none'/>
		    <serial type='file'><source path='$dir/serial.log'/><target port='0'/></serial>
		    <tpm model='tpm-crb'>
		      <backend type='passthrough'><device path='$VTPM_DEV'/></backend>
		    </tpm>
		  </devices>
		  <qemu:commandline>
		    <qemu:arg value='-device'/>
		    <qemu:arg value='$(guest_initrd_loader)'/>
		  </qemu:commandline>
		</domain>
	EOF
}

# bats test_tags=slow
@test "libvirt 9.0: a domain with <tpm model='tpm-crb'> passthrough of /dev/vtpmN starts with virsh; the guest extends a PCR, the host reads it back" {
	apps_need virsh libvirtd virtlogd
	guest_prepare
	vtpm_start
	guest_tpm_host_start
	libvirt_start

	# The QEMU user (libvirt-qemu) reads the kernel and the initramfs
	# itself: they go into a directory it can reach.
	runas_base
	local dir=$RUNAS_BASE
	cp "$GUEST_KERNEL" "$dir/vmlinuz"
	cp "$GUEST_INITRD" "$dir/guest.cpio"
	chmod 0644 "$dir/vmlinuz" "$dir/guest.cpio"
	GUEST_INITRD=$dir/guest.cpio
	domain_xml "$dir" >"$dir/domain.xml"
	run lv define "$dir/domain.xml"
	assert_status 0

	GUEST_START=$SECONDS
	run lv start "$DOMAIN"
	assert_status 0
	echo "# libvirt: virsh start took $((SECONDS - GUEST_START)) s" >&3
	# qemu_guest.bash's report reader, on libvirt's console file and QEMU.
	GUEST_SERIAL=$dir/serial.log
	GUEST_PID=$(<"/run/libvirt/qemu/$DOMAIN.pid")
	mkdir -p "$BATS_TEST_TMPDIR/guest"
	ln -sf "/var/log/libvirt/qemu/$DOMAIN.log" "$BATS_TEST_TMPDIR/guest/qemu.out"
	# While the domain runs, the node belongs to the user QEMU runs as.
	local qemu_user
	qemu_user=$(ps -o user= -p "$GUEST_PID")
	[[ -n $qemu_user && $qemu_user != root ]] || fail "QEMU runs as '$qemu_user'"
	assert_eq "$(stat -c %U "$VTPM_DEV")" "$qemu_user" "owner of $VTPM_DEV while the domain runs"
	guest_wait_reports 1
	echo "# libvirt: report after $((SECONDS - GUEST_START)) s" >&3
	run grep -c -- '-tpmdev passthrough,id=tpm-tpm0,path=/dev/fdset/' "/var/log/libvirt/qemu/$DOMAIN.log"
	assert_status 0
	run lv destroy "$DOMAIN"
	assert_status 0
	wait_until 60 pid_gone "$GUEST_PID" || fail "QEMU still runs after virsh destroy"
	assert_eq "$(stat -c %U:%G "$VTPM_DEV")" root:root "owner of $VTPM_DEV after the domain stopped"
	run lv undefine "$DOMAIN"
	assert_status 0

	assert_guest_report 1 tpm_crb "$ZERO_PCR" "$PCR_AFTER_AA"
	assert_no_tpm_errors
	assert_eq "$(pcr_value "sha256:$GUEST_PCR")" "0x$PCR_AFTER_AA" "PCR $GUEST_PCR read through $VTPM_DEV"
	vtpm_stop
}
