# bench/bench.mk - `make bench` (included by the top-level Makefile).
#
# Builds the benchmark client (bench/vtpmbench, linked with libtpms and
# vtpmd's store for the in-process numbers) and the CUSE floor device, then
# runs bench/run, which uses a VM where the kernel has no CUSE and writes
# bench/RESULTS.md. Not part of `make check`: it takes minutes and its
# numbers depend on the machine.

# vtpmbench.c runs the phases (latency.c, migration.c, memory.c, startup.c,
# versus.c, backends.c, density.c), which share bench.h and its helpers in bench.c.
# SWTPM_CUSE=/path/to/swtpm (upstream swtpm built with CUSE; see
# bench/NOTES.md) adds the side by side with it (versus.c).
BENCH_SRC := bench/vtpmbench.c bench/bench.c bench/latency.c bench/migration.c \
             bench/memory.c bench/startup.c bench/density.c \
             bench/workload.c bench/tpm_cmds.c bench/stats.c \
             bench/inproc.c bench/procs.c bench/devctl.c bench/report.c \
             bench/swtpm_ref.c bench/swtpm_cuse.c bench/versus.c bench/backends.c bench/rm_bench.c
BENCH_OBJ := $(BENCH_SRC:%.c=$(BUILD)/%.o)

$(BUILD)/bench/vtpmbench: $(BENCH_OBJ) $(BUILD)/libvtpmd.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bench/cuse_floor: $(BUILD)/bench/cuse_floor.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(shell $(PKG_CONFIG) --libs fuse3)

# vtpmd with other loops on its nodes, measured beside the one shipped
# (rm_bench.c): the plain node on libfuse's multithreaded loop with its
# default of up to 10 workers, both nodes on its single-threaded loop, and
# the resource-managed node with libfuse's default or at most 2 workers
# (src/vtpmd/nodes.c).
$(BUILD)/bench/nodes-mt.o: VARIANT := -DVTPMD_TPM_NODE_THREADS=2
$(BUILD)/bench/nodes-st.o: VARIANT := -DVTPMD_TPM_NODE_STANDBY=false -DVTPMD_RM_NODE_THREADS=1
$(BUILD)/bench/nodes-rm10.o: VARIANT := -DVTPMD_RM_NODE_THREADS=0
$(BUILD)/bench/nodes-rm2.o: VARIANT := -DVTPMD_RM_NODE_THREADS=2
$(BUILD)/bench/nodes-%.o: src/vtpmd/nodes.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(VARIANT) $(ALL_CFLAGS) -c -o $@ $<
$(BUILD)/bench/vtpmd-%: $(BUILD)/src/vtpmd/main.o $(BUILD)/bench/nodes-%.o $(BUILD)/libvtpmd.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS) $(CAPNG_LIBS)

bench-build: tests $(BUILD)/bench/vtpmbench $(BUILD)/bench/cuse_floor \
	     $(BUILD)/bench/vtpmd-mt $(BUILD)/bench/vtpmd-st \
	     $(BUILD)/bench/vtpmd-rm10 $(BUILD)/bench/vtpmd-rm2

bench: bench-build $(BUILD)/vtpm-setup
	bench/run $(BUILD)

.PHONY: bench bench-build

# vtpm-setup beside Debian's swtpm_setup doing the same job (in the test VM);
# `make bench` runs it too and adds it to bench/RESULTS.md.
bench-setup: $(BUILD)/vtpm-setup
	bench/setup_bench.sh $(BUILD)

.PHONY: bench-setup
