# zone: the zone-file checker used by tests/diff/zonecheck.sh (hosted,
# unix context) and the golden test's dependency on lib/hosted/zonefile.c.
ZONECHECK := $(U)/tests/diff/zonecheck
$(ZONECHECK): $(U)/tests/diff/zonecheck.o $(U)/libtibra.a
	$(call msg,LD,$@)
	$(Q)$(TCC) $(HOST_LDFLAGS) -o $@ $< $(U)/libtibra.a
CHECK_BUILD += $(ZONECHECK)
