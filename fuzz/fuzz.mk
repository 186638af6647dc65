# fuzz.mk - libFuzzer targets, included by the top-level Makefile.
#
#   make fuzz         each target for FUZZ_SECONDS (default 60)
#   make fuzz-smoke   each target for FUZZ_SMOKE_SECONDS (default 10); part of make check
#
# Targets (fuzz/fuzz_NAME.c): device (the device model's ioctls, writes,
# reads, polls), blob (state-file and migration-blob parsing and
# decryption), linear (the linear state file's header and update planner),
# config (the option parser), cuse (the CUSE layer through
# libfuse, the kernel played over a socketpair), setup_opts (vtpm-setup's
# option parser), cdi_opts (vtpm-cdi's option parser and the hook arguments
# it writes), oci_state (the container state a vtpm-cdi hook reads), rm (the
# resource manager's command rewriting: many open files of /dev/vtpmrmN
# beside the raw node). The library is rebuilt with
# clang, ASan, UBSan and coverage into build-fuzz/. Seeds are committed in
# fuzz/corpus/NAME, a few per target, all written by fuzz/make-seeds.py;
# what a run finds goes to build-fuzz/corpus/NAME (not committed), and a
# crash to build-fuzz/crash-NAME-*.

FUZZ_BUILD         := build-fuzz
FUZZ_TARGETS       := device blob linear config cuse setup_opts cdi_opts oci_state rm
FUZZ_SECONDS       ?= 60
FUZZ_SMOKE_SECONDS ?= 10
FUZZ_CC            ?= clang
FUZZ_SAN           := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS        := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link $(FUZZ_SAN)
FUZZ_BINS          := $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz/fuzz_%)

# vtpm-setup's modules a target links besides the library.
FUZZ_SETUP_OBJ     := $(addprefix $(FUZZ_BUILD)/src/vtpm-setup/,setup_opts.o setup_cmds.o setup_tpm.o)
# ... and vtpm-cdi's.
FUZZ_CDI_OBJ       := $(addprefix $(FUZZ_BUILD)/src/vtpm-cdi/,cdi_opts.o oci_state.o)

# The library, by the top-level rules, with clang and the fuzz flags.
fuzz-lib:
	$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) \
		CFLAGS="$(FUZZ_CFLAGS)" $(FUZZ_BUILD)/libvtpmd.a $(FUZZ_SETUP_OBJ) $(FUZZ_CDI_OBJ)

$(FUZZ_BUILD)/fuzz/fuzz_%: fuzz/fuzz_%.c fuzz/fuzz_vtpm.h fuzz/fuzz_argv.h tests/unit/cuse_peer.h \
		tests/unit/vtpm_options.h tests/unit/linear_rules.h tests/unit/tpm2_cmds.h fuzz-lib
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(ALL_CPPFLAGS) -Ifuzz -Itests/unit $(STD) $(WARNINGS) $(FUZZ_CFLAGS) \
		-fsanitize=fuzzer -o $@ $< $(if $(filter %setup_opts,$@),$(FUZZ_SETUP_OBJ)) \
		$(if $(filter %cdi_opts %oci_state,$@),$(FUZZ_CDI_OBJ)) \
		$(FUZZ_BUILD)/libvtpmd.a $(LDLIBS) $(if $(filter %cdi_opts %oci_state,$@),$(JSONC_LIBS))

# fuzz_run SECONDS: every target in turn; stops at the first crash.
define fuzz_run
	@set -e; for t in $(FUZZ_TARGETS); do \
		mkdir -p $(FUZZ_BUILD)/corpus/$$t; \
		echo "== fuzz_$$t for $(1) s"; \
		$(FUZZ_BUILD)/fuzz/fuzz_$$t -max_total_time=$(1) -timeout=60 \
			-rss_limit_mb=4096 -print_final_stats=1 \
			-artifact_prefix=$(FUZZ_BUILD)/crash-$$t- \
			$(FUZZ_BUILD)/corpus/$$t fuzz/corpus/$$t 2>$(FUZZ_BUILD)/fuzz_$$t.log || \
			{ tail -n 60 $(FUZZ_BUILD)/fuzz_$$t.log; exit 1; }; \
		grep -E '^stat::number_of_executed_units|^stat::new_units_added' \
			$(FUZZ_BUILD)/fuzz_$$t.log | tr '\n' ' '; echo; \
	done
endef

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	$(call fuzz_run,$(FUZZ_SECONDS))

fuzz-smoke: fuzz-build
	$(call fuzz_run,$(FUZZ_SMOKE_SECONDS))

.PHONY: fuzz fuzz-smoke fuzz-build fuzz-lib
