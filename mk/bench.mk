# mk/bench.mk -- benchmark tools (bench/, never run by `make check`):
# tibra-load, the batching UDP load generator bench/run.sh drives.  Built
# with `make` so it stays warning-free; installed nowhere.
BENCH_LOAD := $(U)/bench/tibra-load
ALL += $(BENCH_LOAD)

$(BENCH_LOAD): $(U)/bench/tibra-load.o
	$(call msg,LD,$@)
	$(Q)$(TCC) $(HOST_LDFLAGS) -o $@ $^
