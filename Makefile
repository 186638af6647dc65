# vtpmd - a virtual TPM behind /dev/vtpmN through CUSE.
#
#   make            build vtpmd and vtpmctl into build/
#   make check      unit tests (plain and ASan/UBSan), then the device suite
#                   (directly where /dev/cuse exists, else inside the test VM)
#   make demo       create /dev/vtpm0 and talk to it with tpm2-tools
#   make fuzz       libFuzzer targets, FUZZ_SECONDS each (make fuzz-smoke: a few)
#   make check-san  the device suite against an ASan/UBSan vtpmd (build-san)
#   make bench      measure vtpmd against the CUSE floor and libtpms
#                   (in the test VM where /dev/cuse is missing)
#   make install    PREFIX=/usr/local DESTDIR=

VERSION   := 0.1.0
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
INCLUDEDIR ?= $(PREFIX)/include
MANDIR    ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(PREFIX)/share/pkgconfig
UDEVRULESDIR ?= $(PREFIX)/lib/udev/rules.d
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system

CC        ?= gcc
PKGS      := libtpms fuse3 libcrypto libcap-ng libseccomp
CFLAGS    ?= -O2 -g
WARNFLAGS := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes
CPPFLAGS  += -D_GNU_SOURCE -DFUSE_USE_VERSION=31 -DVTPMD_VERSION='"$(VERSION)"' \
             -Iinclude -Isrc $(shell pkg-config --cflags $(PKGS))
LDLIBS    += $(shell pkg-config --libs $(PKGS)) -lpthread

# The sanitizer variant builds into its own tree: make BUILD=build-san SAN=1
BUILD     ?= build
ifeq ($(SAN),1)
CFLAGS    := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
             -fno-sanitize-recover=all
LDFLAGS   += -fsanitize=address,undefined
endif

LIB_SRC   := $(sort $(filter-out src/cli/main.c src/vtpmctl/% src/vtpm-cdi/%, $(wildcard src/*/*.c)))
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC  := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN  := $(UNIT_SRC:%.c=$(BUILD)/%)
TOOL_SRC  := $(sort $(wildcard tests/tools/*.c))
TOOL_BIN  := $(TOOL_SRC:%.c=$(BUILD)/%)
CTL_SRC   := $(sort $(wildcard src/vtpmctl/*.c))
CTL_OBJ   := $(CTL_SRC:%.c=$(BUILD)/%.o)

all: $(BUILD)/vtpmd $(BUILD)/vtpmctl $(TOOL_BIN)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARNFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/libvtpmd.a: $(LIB_OBJ)
	$(AR) rcs $@ $^

$(BUILD)/vtpmd: $(BUILD)/src/cli/main.o $(BUILD)/libvtpmd.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/vtpmctl: $(CTL_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^

$(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(BUILD)/libvtpmd.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

# vtpmctl's unit tests also link its modules (all but its main).
$(filter $(BUILD)/tests/unit/test_vtpmctl%,$(UNIT_BIN)): $(filter-out %/vtpmctl.o,$(CTL_OBJ))

# The CDI tests parse what vtpmd writes back with json-c.
$(filter $(BUILD)/tests/unit/test_cdi%,$(UNIT_BIN)): LDLIBS += $(shell pkg-config --libs json-c)
$(BUILD)/tests/unit/test_cdi%.o: CPPFLAGS += $(shell pkg-config --cflags json-c)

$(BUILD)/tests/tools/%: $(BUILD)/tests/tools/%.o
	$(CC) $(LDFLAGS) -o $@ $^ -lpthread

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

check: all
	$(MAKE) unit
	$(MAKE) BUILD=build-san SAN=1 unit
	$(MAKE) fuzz-smoke
	$(MAKE) lint-man check-install
	scripts/run-device-tests $(BUILD)
	$(MAKE) check-san

demo: all
	scripts/run-device-tests --demo $(BUILD)

# vtpm.pc names where the header is installed (without DESTDIR). udev rules
# and systemd units are installed when present, the unit's ExecStart pointed
# at $(BINDIR).
install: $(BUILD)/vtpmd $(BUILD)/vtpmctl install-vtpm-cdi
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(INCLUDEDIR)/vtpm \
	    $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(BUILD)/vtpmd $(BUILD)/vtpmctl $(DESTDIR)$(BINDIR)/
	install -m 0644 include/vtpm/ioctl.h $(DESTDIR)$(INCLUDEDIR)/vtpm/ioctl.h
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
	    -e 's|@VERSION@|$(VERSION)|' include/vtpm.pc.in >$(DESTDIR)$(PKGCONFIGDIR)/vtpm.pc
	chmod 0644 $(DESTDIR)$(PKGCONFIGDIR)/vtpm.pc
	install -m 0644 $(wildcard man/*.8) $(DESTDIR)$(MANDIR)/man8/
	set -e; for f in $(wildcard udev/*.rules); do \
	    install -D -m 0644 $$f $(DESTDIR)$(UDEVRULESDIR)/$${f##*/}; done
	set -e; for f in $(wildcard systemd/*.service); do \
	    install -d $(DESTDIR)$(SYSTEMDUNITDIR); \
	    sed 's|/usr/local/bin/vtpmd|$(BINDIR)/vtpmd|g' $$f >$(DESTDIR)$(SYSTEMDUNITDIR)/$${f##*/}; \
	    chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/$${f##*/}; done

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
	$(MAKE) BUILD=build-san SAN=1 all
	scripts/check-san

clean:
	rm -rf build build-san build-fuzz

.PHONY: all unit check check-san demo install lint-man check-install clean

include src/vtpm-cdi/vtpm-cdi.mk
include fuzz/fuzz.mk

# make bench: latency, start-up, memory and density numbers (bench/RESULTS.md)
include bench/bench.mk
-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
