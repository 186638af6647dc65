# vtpmd - a virtual TPM behind /dev/vtpmN through CUSE.
#
#   make            build vtpmd and vtpmctl into build/ (what make install installs)
#   make check      unit tests (plain and ASan/UBSan), fuzz smoke, lint, install
#                   and layering checks, then the device suite (directly where
#                   /dev/cuse exists, else inside the test VM), plain and ASan/UBSan
#   make demo       create /dev/vtpm0 and talk to it with tpm2-tools
#   make fuzz       libFuzzer targets, FUZZ_SECONDS each (make fuzz-smoke: a few)
#   make check-san  the device suite against an ASan/UBSan vtpmd (build-san)
#   make bench      measure vtpmd against the CUSE floor and libtpms
#                   (in the test VM where /dev/cuse is missing)
#   make install    PREFIX=/usr/local DESTDIR=   (make uninstall undoes it)
#
# For packagers: CC, CFLAGS, CPPFLAGS, LDFLAGS and PKG_CONFIG come from the
# environment or the command line and are used as given; the project's own
# flags are added to them. WERROR= builds without -Werror. The hardening
# defaults (HARDEN_CFLAGS, HARDEN_CPPFLAGS, HARDEN_LDFLAGS) can be replaced
# or emptied the same way.

VERSION        := 0.1.0
PREFIX         ?= /usr/local
BINDIR         ?= $(PREFIX)/bin
INCLUDEDIR     ?= $(PREFIX)/include
MANDIR         ?= $(PREFIX)/share/man
PKGCONFIGDIR   ?= $(PREFIX)/share/pkgconfig

PKG_CONFIG     ?= pkg-config
# A system build (PREFIX=/usr) puts the udev rule and the systemd unit where
# udev.pc and systemd.pc say, if they are installed; any other prefix keeps
# them under it (udev and systemd also read /usr/local/lib).
pc_var          = $(shell $(PKG_CONFIG) --variable=$(1) $(2) 2>/dev/null)
ifeq ($(PREFIX),/usr)
UDEVRULESDIR   ?= $(or $(addsuffix /rules.d,$(call pc_var,udevdir,udev)),$(PREFIX)/lib/udev/rules.d)
SYSTEMDUNITDIR ?= $(or $(call pc_var,systemdsystemunitdir,systemd),$(PREFIX)/lib/systemd/system)
else
UDEVRULESDIR   ?= $(PREFIX)/lib/udev/rules.d
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
endif

PKGS           := libtpms fuse3 libcrypto libcap-ng libseccomp
PKG_CFLAGS     := $(shell $(PKG_CONFIG) --cflags $(PKGS))
PKG_LIBS       := $(shell $(PKG_CONFIG) --libs $(PKGS))

CFLAGS         ?= -O2 -g
WERROR         ?= -Werror
HARDEN_CFLAGS  ?= -fstack-protector-strong -fPIE
# _FORTIFY_SOURCE only does something when the compiler optimizes.
HARDEN_CPPFLAGS ?= $(if $(filter -O1 -O2 -O3 -Os -Og,$(CFLAGS)),-D_FORTIFY_SOURCE=2)
HARDEN_LDFLAGS ?= -pie -Wl,-z,relro,-z,now
STD            := -std=c11
WARNINGS       := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
                  -Wmissing-declarations $(WERROR)

# The sanitizer variant builds into its own tree: make BUILD=build-san SAN=1
BUILD          ?= build
ifeq ($(SAN),1)
CFLAGS         := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
                  -fno-sanitize-recover=all
LDFLAGS        += -fsanitize=address,undefined
endif

ALL_CPPFLAGS    = -D_GNU_SOURCE -DFUSE_USE_VERSION=31 -DVTPMD_VERSION='"$(VERSION)"' \
                  -Iinclude -Isrc $(PKG_CFLAGS) $(HARDEN_CPPFLAGS) $(CPPFLAGS)
ALL_CFLAGS      = $(STD) $(WARNINGS) $(HARDEN_CFLAGS) $(CFLAGS)
ALL_LDFLAGS     = $(HARDEN_CFLAGS) $(HARDEN_LDFLAGS) $(LDFLAGS)
LDLIBS         := $(PKG_LIBS) -lpthread

# The daemon's layers go into one static library; each program is its main
# plus what it uses from it.
LIB_SRC        := $(sort $(wildcard src/os/*.c src/store/*.c src/tpm/*.c \
                                    src/device/*.c src/cuse/*.c src/cli/*.c))
LIB_SRC        := $(filter-out src/cli/main.c,$(LIB_SRC))
LIB_OBJ        := $(LIB_SRC:%.c=$(BUILD)/%.o)
CTL_SRC        := $(sort $(wildcard src/vtpmctl/*.c))
# vtpmctl is a small client: its own modules and the I/O helper only.
CTL_OBJ        := $(CTL_SRC:%.c=$(BUILD)/%.o) $(BUILD)/src/os/io.o $(BUILD)/src/os/secret.o
UNIT_SRC       := $(sort $(wildcard tests/unit/*/test_*.c))
UNIT_BIN       := $(UNIT_SRC:%.c=$(BUILD)/%)
TOOL_SRC       := $(sort $(wildcard tests/tools/*.c))
TOOL_BIN       := $(TOOL_SRC:%.c=$(BUILD)/%)
PROGRAMS       := $(BUILD)/vtpmd $(BUILD)/vtpmctl

all: $(PROGRAMS)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/libvtpmd.a: $(LIB_OBJ)
	$(AR) rcs $@ $^

$(BUILD)/vtpmd: $(BUILD)/src/cli/main.o $(BUILD)/libvtpmd.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/vtpmctl: $(CTL_OBJ)
	$(CC) $(ALL_LDFLAGS) -o $@ $^

# Tests: the unit tests are laid out by layer (tests/unit/LAYER/test_*.c)
# and may use the shared fixtures and headers in tests/unit/.
$(BUILD)/tests/unit/%.o: ALL_CPPFLAGS += -Itests/unit
$(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(BUILD)/libvtpmd.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

# vtpmctl's unit tests also link its modules (all but its main).
$(filter $(BUILD)/tests/unit/vtpmctl/%,$(UNIT_BIN)): $(filter-out %/vtpmctl.o,$(CTL_OBJ))

$(BUILD)/tests/tools/%: $(BUILD)/tests/tools/%.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lpthread

tests: $(PROGRAMS) $(TOOL_BIN) $(UNIT_BIN)

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

# No lower layer includes an upper one, and every header stands alone
# (tests/check-layers).
check-layers:
	tests/check-layers $(CC) $(ALL_CPPFLAGS) $(STD) $(WARNINGS)

check: tests
	$(MAKE) unit
	$(MAKE) BUILD=build-san SAN=1 unit
	$(MAKE) fuzz-smoke
	$(MAKE) check-layers lint-man check-install
	scripts/run-device-tests $(BUILD)
	$(MAKE) check-san

demo: tests
	scripts/run-device-tests --demo $(BUILD)

# vtpm.pc names where the header is installed (without DESTDIR); the
# systemd unit's ExecStart is pointed at $(BINDIR).
install: $(PROGRAMS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(INCLUDEDIR)/vtpm \
	    $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(UDEVRULESDIR) $(DESTDIR)$(SYSTEMDUNITDIR)
	install -m 0755 $(PROGRAMS) $(DESTDIR)$(BINDIR)/
	install -m 0644 include/vtpm/ioctl.h $(DESTDIR)$(INCLUDEDIR)/vtpm/ioctl.h
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
	    -e 's|@VERSION@|$(VERSION)|' include/vtpm.pc.in >$(DESTDIR)$(PKGCONFIGDIR)/vtpm.pc
	chmod 0644 $(DESTDIR)$(PKGCONFIGDIR)/vtpm.pc
	install -m 0644 man/*.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 udev/*.rules $(DESTDIR)$(UDEVRULESDIR)/
	set -e; for f in systemd/*.service; do \
	    sed 's|/usr/local/bin/|$(BINDIR)/|g' $$f >$(DESTDIR)$(SYSTEMDUNITDIR)/$${f##*/}; \
	    chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/$${f##*/}; done

# Removes exactly what install put there (directories it made stay).
uninstall:
	rm -f $(PROGRAMS:$(BUILD)/%=$(DESTDIR)$(BINDIR)/%) \
	    $(DESTDIR)$(INCLUDEDIR)/vtpm/ioctl.h $(DESTDIR)$(PKGCONFIGDIR)/vtpm.pc \
	    $(patsubst man/%,$(DESTDIR)$(MANDIR)/man8/%,$(wildcard man/*.8)) \
	    $(patsubst udev/%,$(DESTDIR)$(UDEVRULESDIR)/%,$(wildcard udev/*.rules)) \
	    $(patsubst systemd/%,$(DESTDIR)$(SYSTEMDUNITDIR)/%,$(wildcard systemd/*.service))
	-rmdir $(DESTDIR)$(INCLUDEDIR)/vtpm 2>/dev/null

# The man pages must be clean for mandoc -Tlint (style notes aside: they
# depend on which other manuals this machine has).
lint-man:
	mandoc -Tlint -W warning man/*.8

# make install into a temporary DESTDIR, then check the installed tree.
check-install: all
	tests/install/check-install.sh $(BUILD)

# The device suite against a sanitizer build of vtpmd; any ASan/UBSan
# report fails it (scripts/check-san).
check-san:
	$(MAKE) BUILD=build-san SAN=1 tests
	scripts/check-san

clean:
	rm -rf build build-san build-fuzz

.PHONY: all tests unit check check-layers check-san demo install uninstall \
	lint-man check-install clean

# vtpm-setup (src/setup/) is its own program, linked with libvtpmd.a (it
# runs the TPM in-process through src/tpm and src/store) and json-c (to read
# libtpms' info).
# Its unit tests (tests/unit/setup/) link its modules, all but main. The
# recipes of install and uninstall take it from PROGRAMS.
SETUP_SRC      := $(sort $(wildcard src/setup/*.c))
SETUP_OBJ      := $(SETUP_SRC:%.c=$(BUILD)/%.o)
SETUP_MODS     := $(filter-out %/setup_main.o,$(SETUP_OBJ))
SETUP_LIBS     := $(shell $(PKG_CONFIG) --libs json-c)
SETUP_TEST     := $(filter $(BUILD)/tests/unit/setup/%,$(UNIT_BIN))
PROGRAMS       += $(BUILD)/vtpm-setup

$(SETUP_OBJ) $(SETUP_TEST:%=%.o): ALL_CPPFLAGS += $(shell $(PKG_CONFIG) --cflags json-c)

$(BUILD)/vtpm-setup: $(SETUP_OBJ) $(BUILD)/libvtpmd.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS) $(SETUP_LIBS)

$(SETUP_TEST): $(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(SETUP_MODS) $(BUILD)/libvtpmd.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS) $(SETUP_LIBS) -lcmocka

all tests install: $(BUILD)/vtpm-setup

# vtpm-setup beside Debian's swtpm_setup (in the test VM); for `make bench`.
bench-setup: $(BUILD)/vtpm-setup
	bench/setup_bench.sh $(BUILD)

.PHONY: bench-setup

include fuzz/fuzz.mk

# make bench: latency, start-up, memory and density numbers (bench/RESULTS.md)
include bench/bench.mk
-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
