# vtpmd - a virtual TPM behind /dev/vtpmN through CUSE.
#
#   make            build vtpmd, vtpmctl, vtpm-setup and vtpm-cdi into BUILD
#                   (default build/; what make install installs)
#   make check      unit tests (plain and ASan/UBSan), fuzz smoke, lint, install
#                   and layering checks, then the device suite (directly where
#                   /dev/cuse exists, else inside the test VM): its slow and
#                   plain-only tests on the plain build, the rest under ASan/UBSan
#   make demo       create /dev/vtpm0 and talk to it with tpm2-tools
#   make fuzz       libFuzzer targets, FUZZ_SECONDS each (make fuzz-smoke: a few)
#   make check-san  the device suite against an ASan/UBSan vtpmd (build-san)
#   make bench      measure vtpmd against the CUSE floor and libtpms
#                   (in the test VM where /dev/cuse is missing)
#   make install    PREFIX=/usr/local DESTDIR=   (make uninstall undoes it)
#   make clean      remove BUILD, build-san/ and build-fuzz/
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
SYSUSERSDIR    ?= $(or $(call pc_var,sysusersdir,systemd),$(PREFIX)/lib/sysusers.d)
else
UDEVRULESDIR   ?= $(PREFIX)/lib/udev/rules.d
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR    ?= $(PREFIX)/lib/sysusers.d
endif

# cuse_dev.c needs libfuse 3.13 or newer; anything but cleaning up stops
# at once, with one line, without it.
FUSE_MIN       := 3.13
ifneq ($(filter-out clean uninstall lint-man,$(or $(MAKECMDGOALS),all)),)
ifneq ($(shell $(PKG_CONFIG) --atleast-version=$(FUSE_MIN) fuse3 2>/dev/null && echo yes),yes)
$(error libfuse3 $(FUSE_MIN) or newer is needed, $(PKG_CONFIG) finds $(or $(addprefix version ,$(shell $(PKG_CONFIG) --modversion fuse3 2>/dev/null)),no fuse3.pc (Debian: apt-get install libfuse3-dev)))
endif
endif

# Each program links the libraries its own objects use, and no others.
# libcrypto first: the dynamic loader binds its ~4,000 references to itself
# at start (Debian builds it with -z now), each a search through the
# libraries in this order; first, each is found at once. callgrind of
# `vtpmd --version`: 3.63 M instructions before, 3.33 M after.
VTPMD_PKGS     := libcrypto libtpms fuse3 libseccomp
SETUP_PKGS     := libcrypto libtpms
PKG_CFLAGS     := $(shell $(PKG_CONFIG) --cflags $(VTPMD_PKGS))
VTPMD_LIBS     := $(shell $(PKG_CONFIG) --libs $(VTPMD_PKGS)) -lpthread
SETUP_LIBS     := $(shell $(PKG_CONFIG) --libs $(SETUP_PKGS)) -lpthread
# libcap-ng: only what links os/privs.o (vtpmd, vtpm-cdi, vtpm-setup for
# --runas, their tests).
CAPNG_CFLAGS   := $(shell $(PKG_CONFIG) --cflags libcap-ng)
CAPNG_LIBS     := $(shell $(PKG_CONFIG) --libs libcap-ng)

CFLAGS         ?= -O2 -g
WERROR         ?= -Werror
HARDEN_CFLAGS  ?= -fstack-protector-strong -fPIE
# _FORTIFY_SOURCE only does something when the compiler optimizes, and is
# left to the packager's flags when they set it (Debian's CPPFLAGS, Fedora's
# -Wp,-D_FORTIFY_SOURCE=3 in CFLAGS): a second definition is an error.
HARDEN_CPPFLAGS ?= $(if $(findstring _FORTIFY_SOURCE,$(CPPFLAGS) $(CFLAGS)),,$(if \
                   $(filter -O1 -O2 -O3 -Os -Og,$(CFLAGS)),-D_FORTIFY_SOURCE=2))
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
# The tests, fuzz targets and bench link the whole library: all of them.
LDLIBS         := $(VTPMD_LIBS)

# The daemon's layers, and cdispec/ (which vtpmd --cdi and vtpm-cdi share), go
# into one static library; each program is its main plus what it uses of it.
LIB_SRC        := $(sort $(wildcard src/mem/*.c src/text/*.c src/os/*.c src/store/*.c \
                                    src/tpm/*.c src/device/*.c src/rm/*.c src/cuse/*.c src/cdispec/*.c \
                                    src/vtpmd/*.c))
LIB_SRC        := $(filter-out src/vtpmd/main.c,$(LIB_SRC))
LIB_OBJ        := $(LIB_SRC:%.c=$(BUILD)/%.o)
# json-c: vtpm-cdi reads the runtime's state (libtpms' info is tpm/'s to read).
JSONC_CFLAGS   := $(shell $(PKG_CONFIG) --cflags json-c)
JSONC_LIBS     := $(shell $(PKG_CONFIG) --libs json-c)
# vtpmctl is a small client: its own modules, the I/O helpers and the TPM 2
# marshalling only.
CTL_SRC        := $(sort $(wildcard src/vtpmctl/*.c))
CTL_OBJ        := $(CTL_SRC:%.c=$(BUILD)/%.o) $(BUILD)/src/os/io.o $(BUILD)/src/mem/secret.o \
                  $(BUILD)/src/text/number.o $(BUILD)/src/tpm/tpm2_marshal.o
CTL_MODS       := $(filter-out %/vtpmctl.o,$(CTL_OBJ))
# vtpm-setup manufactures a TPM in-process through tpm/ and store/.
SETUP_SRC      := $(sort $(wildcard src/vtpm-setup/*.c))
SETUP_OBJ      := $(SETUP_SRC:%.c=$(BUILD)/%.o)
SETUP_MODS     := $(filter-out %/setup_main.o,$(SETUP_OBJ))
# vtpm-cdi writes CDI pools and runs as their OCI hooks.
CDI_TOOL_SRC   := $(sort $(wildcard src/vtpm-cdi/*.c))
CDI_TOOL_OBJ   := $(CDI_TOOL_SRC:%.c=$(BUILD)/%.o)
CDI_TOOL_MODS  := $(filter-out %/vtpm_cdi.o,$(CDI_TOOL_OBJ))
UNIT_SRC       := $(sort $(wildcard tests/unit/*/test_*.c))
UNIT_BIN       := $(UNIT_SRC:%.c=$(BUILD)/%)
TOOL_SRC       := $(sort $(wildcard tests/tools/*.c))
TOOL_BIN       := $(TOOL_SRC:%.c=$(BUILD)/%)
PROGRAMS       := $(BUILD)/vtpmd $(BUILD)/vtpmctl $(BUILD)/vtpm-setup $(BUILD)/vtpm-cdi

all: $(PROGRAMS)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/libvtpmd.a: $(LIB_OBJ)
	$(AR) rcs $@ $^

$(BUILD)/src/os/privs.o: ALL_CPPFLAGS += $(CAPNG_CFLAGS)

$(BUILD)/vtpmd: $(BUILD)/src/vtpmd/main.o $(BUILD)/libvtpmd.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(VTPMD_LIBS) $(CAPNG_LIBS)

$(BUILD)/vtpmctl: $(CTL_OBJ)
	$(CC) $(ALL_LDFLAGS) -o $@ $^

$(CDI_TOOL_OBJ): ALL_CPPFLAGS += $(JSONC_CFLAGS)

# vtpm-setup --runas looks the user up with os/privs (which links libcap-ng).
$(BUILD)/vtpm-setup: $(SETUP_OBJ) $(BUILD)/libvtpmd.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(SETUP_LIBS) $(CAPNG_LIBS)

$(BUILD)/vtpm-cdi: $(CDI_TOOL_OBJ) $(BUILD)/libvtpmd.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(JSONC_LIBS) $(CAPNG_LIBS)

# Tests: the unit tests are laid out by layer (tests/unit/LAYER/test_*.c)
# and may use the shared fixtures and headers in tests/unit/.
$(BUILD)/tests/unit/%.o: ALL_CPPFLAGS += -Itests/unit
$(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(BUILD)/libvtpmd.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

# A program's unit tests also link its modules (all but its main), before
# the library those use; json-c where the code or the test parses JSON.
$(filter $(BUILD)/tests/unit/vtpmctl/%,$(UNIT_BIN)): $(CTL_MODS)
UNIT_SETUP     := $(filter $(BUILD)/tests/unit/vtpm-setup/%,$(UNIT_BIN))
UNIT_CDI_TOOL  := $(filter $(BUILD)/tests/unit/vtpm-cdi/%,$(UNIT_BIN))
UNIT_JSONC     := $(UNIT_CDI_TOOL) $(filter $(BUILD)/tests/unit/cdispec/% $(BUILD)/tests/unit/vtpmd/test_cdi%,$(UNIT_BIN))
$(UNIT_JSONC:%=%.o): ALL_CPPFLAGS += $(JSONC_CFLAGS)
$(UNIT_JSONC): LDLIBS += $(JSONC_LIBS)
# the tests whose code drops privileges (os/privs.o): libcap-ng
UNIT_CAPNG     := $(filter $(BUILD)/tests/unit/os/test_privs $(BUILD)/tests/unit/vtpmd/test_cdi_publish,$(UNIT_BIN)) $(UNIT_CDI_TOOL)
$(UNIT_CAPNG): LDLIBS += $(CAPNG_LIBS)
$(UNIT_SETUP): $(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(SETUP_MODS) $(BUILD)/libvtpmd.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka
$(UNIT_CDI_TOOL): $(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(CDI_TOOL_MODS) $(BUILD)/libvtpmd.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

$(BUILD)/tests/tools/%: $(BUILD)/tests/tools/%.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lpthread $(TOOL_LIBS)
# rmclient verifies the TPM's signatures with OpenSSL; the resource
# manager's clients build their commands with tpm/tpm2_marshal.
$(BUILD)/tests/tools/rmclient: TOOL_LIBS := -lcrypto
$(BUILD)/tests/tools/rmclient $(BUILD)/tests/tools/rmsteps: $(BUILD)/src/tpm/tpm2_marshal.o

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
	VTPMD_ONLY_PLAIN=1 scripts/run-device-tests $(BUILD)
	$(MAKE) check-san

demo: tests
	scripts/run-device-tests --demo $(BUILD)

# vtpm.pc names where the header is installed (without DESTDIR), under
# ${prefix} when it is below PREFIX; the systemd unit's ExecStart is
# pointed at $(BINDIR).
install: $(PROGRAMS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(INCLUDEDIR)/vtpm \
	    $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(UDEVRULESDIR) $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(SYSUSERSDIR)
	install -m 0755 $(PROGRAMS) $(DESTDIR)$(BINDIR)/
	install -m 0644 include/vtpm/ioctl.h $(DESTDIR)$(INCLUDEDIR)/vtpm/ioctl.h
	sed -e 's|@PREFIX@|$(PREFIX)|' \
	    -e 's|@INCLUDEDIR@|$(patsubst $(PREFIX)/%,$${prefix}/%,$(INCLUDEDIR))|' \
	    -e 's|@VERSION@|$(VERSION)|' include/vtpm.pc.in >$(DESTDIR)$(PKGCONFIGDIR)/vtpm.pc
	chmod 0644 $(DESTDIR)$(PKGCONFIGDIR)/vtpm.pc
	install -m 0644 man/*.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 udev/*.rules $(DESTDIR)$(UDEVRULESDIR)/
	install -m 0644 systemd/vtpmd.sysusers $(DESTDIR)$(SYSUSERSDIR)/vtpmd.conf
	set -e; for f in systemd/*.service; do \
	    sed 's|/usr/local/bin/|$(BINDIR)/|g' $$f >$(DESTDIR)$(SYSTEMDUNITDIR)/$${f##*/}; \
	    chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/$${f##*/}; done

# Removes exactly what install put there (directories it made stay).
uninstall:
	rm -f $(PROGRAMS:$(BUILD)/%=$(DESTDIR)$(BINDIR)/%) \
	    $(DESTDIR)$(INCLUDEDIR)/vtpm/ioctl.h $(DESTDIR)$(PKGCONFIGDIR)/vtpm.pc \
	    $(patsubst man/%,$(DESTDIR)$(MANDIR)/man8/%,$(wildcard man/*.8)) \
	    $(patsubst udev/%,$(DESTDIR)$(UDEVRULESDIR)/%,$(wildcard udev/*.rules)) \
	    $(patsubst systemd/%,$(DESTDIR)$(SYSTEMDUNITDIR)/%,$(wildcard systemd/*.service)) \
	    $(DESTDIR)$(SYSUSERSDIR)/vtpmd.conf
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

# $(BUILD) (build/ unless given), and the sanitizer and fuzz trees.
clean:
	$(if $(filter-out . .. / ./,$(strip $(BUILD))),,$(error make clean: BUILD='$(BUILD)' is not a build directory))
	rm -rf $(BUILD) build-san $(FUZZ_BUILD)

.PHONY: all tests unit check check-layers check-san demo install uninstall \
	lint-man check-install clean

include fuzz/fuzz.mk

# make bench: latency, start-up, memory and density numbers (bench/RESULTS.md)
include bench/bench.mk
-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
