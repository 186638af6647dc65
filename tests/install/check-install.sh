#!/bin/bash
# tests/install/check-install.sh BUILD_DIR
#
# Runs `make install` into a temporary DESTDIR (with PREFIX=/opt/vtpmd, so
# the paths cannot be confused with the host's) and checks the tree: every
# file where it belongs with its mode, nothing else; vtpm.pc found by
# pkg-config; <vtpm/ioctl.h> compiling on its own, through those flags, as
# C and C++, with the ABI sizes swtpm's clients expect; the installed
# binaries and man pages usable.
set -euo pipefail

build=${1:?usage: tests/install/check-install.sh BUILD_DIR}
repo=$(cd "$(dirname "$0")/../.." && pwd)
prefix=/opt/vtpmd
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/root
failures=0

fail() {
	echo "check-install: FAIL: $*" >&2
	failures=$((failures + 1))
}

make -s -C "$repo" BUILD="$build" DESTDIR="$dest" PREFIX="$prefix" install >/dev/null

# The expected tree: mode and path of every file.
expected=(
	"755 $prefix/bin/vtpm-cdi"
	"755 $prefix/bin/vtpm-setup"
	"755 $prefix/bin/vtpmctl"
	"755 $prefix/bin/vtpmd"
	"644 $prefix/include/vtpm/ioctl.h"
	"644 $prefix/share/man/man8/vtpm-cdi.8"
	"644 $prefix/share/man/man8/vtpm-setup.8"
	"644 $prefix/share/man/man8/vtpmctl.8"
	"644 $prefix/share/man/man8/vtpmd.8"
	"644 $prefix/share/pkgconfig/vtpm.pc"
)
for f in "$repo"/udev/*.rules; do
	[[ -e "$f" ]] && expected+=("644 $prefix/lib/udev/rules.d/${f##*/}")
done
for f in "$repo"/systemd/*.service; do
	[[ -e "$f" ]] && expected+=("644 $prefix/lib/systemd/system/${f##*/}")
done
expected+=("644 $prefix/lib/sysusers.d/vtpmd.conf")
want=$(printf '%s\n' "${expected[@]}" | sort)
got=$(cd "$dest" && find . -type f -printf '%m /%P\n' | sort)
[[ "$got" == "$want" ]] || fail "installed tree differs:
$(diff <(echo "$want") <(echo "$got") || true)"

# Installed files are the ones in the tree.
cmp -s "$repo/include/vtpm/ioctl.h" "$dest$prefix/include/vtpm/ioctl.h" || fail "ioctl.h differs"
for f in "$repo"/man/*.8; do
	cmp -s "$f" "$dest$prefix/share/man/man8/${f##*/}" || fail "${f##*/} differs"
done
for f in "$repo"/systemd/*.service; do
	[[ -e "$f" ]] || continue
	grep -q "^ExecStart=$prefix/bin/vtpmd " "$dest$prefix/lib/systemd/system/${f##*/}" ||
		fail "${f##*/}: ExecStart does not run $prefix/bin/vtpmd"
	grep -q "^ExecStartPre=+$prefix/bin/vtpm-setup " "$dest$prefix/lib/systemd/system/${f##*/}" ||
		fail "${f##*/}: ExecStartPre does not run $prefix/bin/vtpm-setup"
	if grep -q /usr/local/ "$dest$prefix/lib/systemd/system/${f##*/}"; then
		fail "${f##*/}: still names /usr/local"
	fi
done

# The system user the units and vtpm-cdi serve as, in sysusers.d's format.
cmp -s "$repo/systemd/vtpmd.sysusers" "$dest$prefix/lib/sysusers.d/vtpmd.conf" ||
	fail "sysusers.d/vtpmd.conf differs"
if command -v systemd-sysusers >/dev/null; then
	mkdir -p "$tmp/sysroot/etc"
	systemd-sysusers --root="$tmp/sysroot" "$dest$prefix/lib/sysusers.d/vtpmd.conf" >/dev/null ||
		fail "systemd-sysusers refused vtpmd.conf"
	grep -q '^vtpmd:x:[0-9]*:[0-9]*:vtpmd virtual TPM:/:/usr/sbin/nologin$' "$tmp/sysroot/etc/passwd" ||
		fail "systemd-sysusers made no vtpmd user: $(cat "$tmp/sysroot/etc/passwd" 2>/dev/null)"
fi

# pkg-config finds the header: the .pc names the final path, and a sysroot
# maps it into DESTDIR.
export PKG_CONFIG_PATH=$dest$prefix/share/pkgconfig PKG_CONFIG_LIBDIR=/nonexistent
pc() { # pkg-config ARGS, blanks normalised (it ends lines with a space)
	local out
	out=$(pkg-config "$@") || return 1
	# shellcheck disable=SC2086
	echo $out
}
pc --exists vtpm || fail "pkg-config does not find vtpm"
[[ "$(pc --variable=includedir vtpm)" == "$prefix/include" ]] ||
	fail "includedir is '$(pc --variable=includedir vtpm)'"
[[ "$(pc --cflags vtpm)" == "-I$prefix/include" ]] || fail "cflags are '$(pc --cflags vtpm)'"
[[ -z "$(pc --libs vtpm)" ]] || fail "a header-only package lists libs: $(pc --libs vtpm)"
cflags=$(PKG_CONFIG_SYSROOT_DIR=$dest pc --cflags vtpm)
[[ "$cflags" == "-I$dest$prefix/include" ]] || fail "cflags with sysroot are '$cflags'"
# the include directory is relative to the prefix, so the tree can move
grep -qx 'includedir=${prefix}/include' "$dest$prefix/share/pkgconfig/vtpm.pc" ||
	fail "vtpm.pc: $(grep '^includedir=' "$dest$prefix/share/pkgconfig/vtpm.pc")"
moved=$(pc --define-variable=prefix=/elsewhere --cflags vtpm)
[[ "$moved" == "-I/elsewhere/include" ]] || fail "cflags with another prefix are '$moved'"

# The header compiles alone, strictly, and the ABI has swtpm's sizes.
cat >"$tmp/abi.c" <<'C'
#include <vtpm/ioctl.h>

_Static_assert(sizeof(struct ptm_getstate) == 3088, "ptm_getstate");
_Static_assert(sizeof(struct ptm_setstate) == 3084, "ptm_setstate");
_Static_assert(sizeof(struct ptm_hdata) == 4100, "ptm_hdata");
_Static_assert(sizeof(struct ptm_getinfo) == 3088, "ptm_getinfo");
_Static_assert(PTM_GET_CAPABILITY == 0x80085000u, "PTM_GET_CAPABILITY");
_Static_assert(PTM_GET_STATEBLOB == 0xcc10500bu, "PTM_GET_STATEBLOB");
_Static_assert(PTM_LOCK_STORAGE == 0xc0045012u, "PTM_LOCK_STORAGE");

int main(void)
{
	return 0;
}
C
# shellcheck disable=SC2086 # cflags is a word list
cc $cflags -std=c11 -pedantic -Wall -Wextra -Werror -o "$tmp/abi" "$tmp/abi.c" ||
	fail "the installed header does not compile as C11"
[[ -x "$tmp/abi" ]] && { "$tmp/abi" || fail "abi test program failed"; }
if command -v c++ >/dev/null; then
	printf '#include <vtpm/ioctl.h>\nint main() { ptm_cap c = 0; return (int)c; }\n' >"$tmp/hdr.cc"
	# shellcheck disable=SC2086
	c++ $cflags -Wall -Wextra -Werror -o "$tmp/hdr" "$tmp/hdr.cc" ||
		fail "the installed header does not compile as C++"
fi

# The installed programs run.
"$dest$prefix/bin/vtpmctl" --version | grep -q '^vtpmctl version ' || fail "vtpmctl --version"
"$dest$prefix/bin/vtpmd" --version | grep -q '^vtpmd ' || fail "vtpmd --version"
"$dest$prefix/bin/vtpm-setup" --version | grep -q '^vtpm-setup ' || fail "vtpm-setup --version"
"$dest$prefix/bin/vtpm-cdi" --version | grep -q '^vtpm-cdi ' || fail "vtpm-cdi --version"
if command -v mandoc >/dev/null; then
	mandoc -Tlint -W warning "$dest$prefix"/share/man/man8/*.8 || fail "man pages are not lint-clean"
fi

# The checks above pointed pkg-config at DESTDIR only; the rest uses the
# system's again.
unset PKG_CONFIG_PATH PKG_CONFIG_LIBDIR

# A packager's flags that set _FORTIFY_SOURCE themselves (Debian's CPPFLAGS,
# Fedora's CFLAGS) build without a second definition (-Werror would stop
# it); without them the Makefile sets it. vtpmctl is the smallest program.
for flags in "CPPFLAGS=-D_FORTIFY_SOURCE=3" "CFLAGS=-O2 -g -Wp,-D_FORTIFY_SOURCE=3"; do
	make -s -C "$repo" BUILD="$tmp/flags" "$flags" "$tmp/flags/vtpmctl" >"$tmp/flags.log" 2>&1 ||
		fail "make '$flags' failed: $(grep -m1 -i error "$tmp/flags.log")"
	rm -rf "$tmp/flags"
done
[[ "$(make -s --no-print-directory -C "$repo" --eval 'print-var: ; @echo $(HARDEN_CPPFLAGS)' \
	print-var)" == "-D_FORTIFY_SOURCE=2" ]] || fail "the Makefile no longer sets _FORTIFY_SOURCE"

# make uninstall takes back every file install put there, and only those.
touch "$dest$prefix/bin/not-ours"
make -s -C "$repo" BUILD="$build" DESTDIR="$dest" PREFIX="$prefix" uninstall >/dev/null
left=$(cd "$dest" && find . -type f -printf '/%P\n' | sort)
[[ "$left" == "$prefix/bin/not-ours" ]] || fail "uninstall left or removed the wrong files:
$left"

# A system build (PREFIX=/usr) takes the udev and systemd directories from
# udev.pc and systemd.pc where those exist.
makevar() { # NAME: the value make gives it with PREFIX=/usr
	make -s --no-print-directory -C "$repo" PREFIX=/usr --eval "print-var: ; @echo \$($1)" print-var
}
if want=$(pkg-config --variable=udevdir udev 2>/dev/null) && [[ -n $want ]]; then
	[[ "$(makevar UDEVRULESDIR)" == "$want/rules.d" ]] ||
		fail "PREFIX=/usr: UDEVRULESDIR is '$(makevar UDEVRULESDIR)', udev.pc says '$want'"
fi
if want=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null) && [[ -n $want ]]; then
	[[ "$(makevar SYSTEMDUNITDIR)" == "$want" ]] ||
		fail "PREFIX=/usr: SYSTEMDUNITDIR is '$(makevar SYSTEMDUNITDIR)', systemd.pc says '$want'"
fi

if [[ $failures -ne 0 ]]; then
	echo "check-install: $failures check(s) failed" >&2
	exit 1
fi
echo "check-install: ok (${#expected[@]} files under DESTDIR$prefix)"
