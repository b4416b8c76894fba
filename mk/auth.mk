# auth: the authoritative engine's extra programs.
#
# $(U)/tests/auth_perf -- tests/unit/test_auth_perf.c built WITHOUT
# sanitizers against the unix-context library, the driver for counting
# instructions per dns_auth_answer with callgrind (see that file).  The
# same source also runs as a sanitized unit test (discovered by name).

AUTH_PERF := $(U)/tests/auth_perf
CHECK_BUILD += $(AUTH_PERF)

$(AUTH_PERF): $(U)/tests/unit/test_auth_perf.o $(U)/libtibra.a
	$(call msg,LD,$@)
	$(Q)$(TCC) $(HOST_LDFLAGS) -o $@ $^

# DNSSEC denial (lib/dns/zonedb_proof.c): NSEC3 hashes with BearSSL's
# SHA-1, referenced weakly so that guests without BearSSL still link
# (docs/DESIGN.md "DNSSEC").  Programs that serve or compile NSEC3 zones
# link it: tibra-dnsd and the tool do for TSIG; the unit tests below.
CFLAGS_zonedb_proof := -I/usr/include/bearssl
UNIT_LIBS_dnssec := -Wl,--undefined=br_sha1_init -lbearssl
