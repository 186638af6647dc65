# vtpmd - a virtual TPM behind /dev/vtpmN through CUSE.
#
#   make            build vtpmd and vtpmctl into build/
#   make check      unit tests (plain and ASan/UBSan), then the device suite
#                   (directly where /dev/cuse exists, else inside the test VM)
#   make demo       create /dev/vtpm0 and talk to it with tpm2-tools
#   make install    PREFIX=/usr/local DESTDIR=

VERSION   := 0.1.0
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
INCLUDEDIR ?= $(PREFIX)/include

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

LIB_SRC   := $(sort $(filter-out src/cli/main.c src/vtpmctl/%, $(wildcard src/*/*.c)))
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC  := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN  := $(UNIT_SRC:%.c=$(BUILD)/%)
TOOL_SRC  := $(sort $(wildcard tests/tools/*.c))
TOOL_BIN  := $(TOOL_SRC:%.c=$(BUILD)/%)

all: $(BUILD)/vtpmd $(TOOL_BIN)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARNFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/libvtpmd.a: $(LIB_OBJ)
	$(AR) rcs $@ $^

$(BUILD)/vtpmd: $(BUILD)/src/cli/main.o $(BUILD)/libvtpmd.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(BUILD)/libvtpmd.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

$(BUILD)/tests/tools/%: $(BUILD)/tests/tools/%.o
	$(CC) $(LDFLAGS) -o $@ $^ -lpthread

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

check: all
	$(MAKE) unit
	$(MAKE) BUILD=build-san SAN=1 unit
	scripts/run-device-tests $(BUILD)

demo: all
	scripts/run-device-tests --demo $(BUILD)

install: $(BUILD)/vtpmd
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(INCLUDEDIR)/vtpm
	install -m 0755 $(BUILD)/vtpmd $(DESTDIR)$(BINDIR)/vtpmd
	install -m 0644 include/vtpm/ioctl.h $(DESTDIR)$(INCLUDEDIR)/vtpm/ioctl.h

clean:
	rm -rf build build-san

.PHONY: all unit check demo install clean
-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
