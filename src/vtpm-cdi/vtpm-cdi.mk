# vtpm-cdi: the CDI pool writer and its OCI hooks (included by the Makefile).
# Links the shared layers from libvtpmd.a (cdi/, os/) and json-c, which only
# this program uses (the hooks read the runtime's state JSON).
JSONC_CFLAGS := $(shell pkg-config --cflags json-c)
JSONC_LIBS   := $(shell pkg-config --libs json-c)
CDI_TOOL_SRC := $(sort $(wildcard src/vtpm-cdi/*.c))
CDI_TOOL_OBJ := $(CDI_TOOL_SRC:%.c=$(BUILD)/%.o)

all: $(BUILD)/vtpm-cdi

$(CDI_TOOL_OBJ): CPPFLAGS += $(JSONC_CFLAGS)

$(BUILD)/vtpm-cdi: $(CDI_TOOL_OBJ) $(BUILD)/libvtpmd.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(JSONC_LIBS)

# Its unit tests link its modules (all but its main), before the library
# those modules use.
$(filter $(BUILD)/tests/unit/test_vtpm_cdi%,$(UNIT_BIN)): $(BUILD)/tests/unit/%: \
		$(BUILD)/tests/unit/%.o $(filter-out %/vtpm_cdi.o,$(CDI_TOOL_OBJ)) $(BUILD)/libvtpmd.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(JSONC_LIBS) -lcmocka
$(BUILD)/tests/unit/test_vtpm_cdi%.o: CPPFLAGS += $(JSONC_CFLAGS)

install-vtpm-cdi: $(BUILD)/vtpm-cdi
	install -d $(DESTDIR)$(BINDIR)
	install -m 0755 $(BUILD)/vtpm-cdi $(DESTDIR)$(BINDIR)/

.PHONY: install-vtpm-cdi
