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
# (docs/DESIGN.md "DNSSEC").  A program that serves or compiles NSEC3
# zones must pull it in (-u: a weak reference alone takes nothing from a
# static library): tibra-dnsd and the tool do through TSIG; test_dnssec
# and the auth_blob replay here.  Without BearSSL for the architecture
# (a cross build) test_dnssec is not built (BEARSSL_TESTS, mk/tsig.mk).
CFLAGS_zonedb_proof := -I/usr/include/bearssl
DNSSEC_SHA1_A := $(firstword $(wildcard /usr/lib/$(ARCH)-linux-gnu/libbearssl.a))
DNSSEC_SHA1_LIBS := $(if $(DNSSEC_SHA1_A),-u br_sha1_init -lbearssl)
UNIT_LIBS_dnssec := $(DNSSEC_SHA1_LIBS)
FUZZ_LIBS_auth_blob := $(DNSSEC_SHA1_LIBS)
FUZZ_LIBS_auth := $(DNSSEC_SHA1_LIBS)
