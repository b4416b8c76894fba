# mk/bench.mk -- benchmark tools (bench/, never run by `make check`):
# tibra-load, the batching UDP load generator bench/run.sh drives.  Built
# with `make` so it stays warning-free; installed nowhere.
BENCH_LOAD := $(U)/bench/tibra-load
ALL += $(BENCH_LOAD)

$(BENCH_LOAD): $(U)/bench/tibra-load.o
	$(call msg,LD,$@)
	$(Q)$(TCC) $(HOST_LDFLAGS) -o $@ $^

# update-cost: one dynamic update on a big zone, stage by stage
# (bench/update-cost.c; docs/BENCHMARKS.md).  It signs its updates with
# TSIG: built where BearSSL is there for the architecture (mk/tsig.mk).
BENCH_UPDATE_COST := $(U)/bench/update-cost
ALL += $(if $(wildcard /usr/lib/$(ARCH)-linux-gnu/libbearssl.a),$(BENCH_UPDATE_COST))

$(BENCH_UPDATE_COST): $(U)/bench/update-cost.o $(U)/libtibra.a
	$(call msg,LD,$@)
	$(Q)$(TCC) $(HOST_LDFLAGS) -o $@ $^ -lbearssl
