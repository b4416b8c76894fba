# sign: DNSSEC signing (lib/dns/sign*.c, include/tibra/dns/sign.h,
# docs/DESIGN.md "sign").  ECDSA P-256, RSA, SHA-1 (NSEC3) and SHA-256 are
# BearSSL's (libbearssl-dev); its headers are freestanding-friendly, so
# sign*.c compile in every context, and only programs that sign (the tool,
# the tests below) link the library; guests never reference them.
CFLAGS_sign = -I$(BEARSSL_INC)
CFLAGS_sign_key = -I$(BEARSSL_INC)
CFLAGS_sign_keyfile = -I$(BEARSSL_INC)
UNIT_LIBS_sign = $(TSIG_LIBS)
FUZZ_LIBS_sign_key = $(TSIG_LIBS)
CFLAGS_test_sign = -I$(BEARSSL_INC)
# (mk/tsig.mk is read after this file: recursive variables above.)
BEARSSL_TESTS += $(T)/tests/unit/test_sign $(T)/tests/fuzz/replay_sign_key
# fuzz_sign_zone: the signer and its chains on arbitrary zones.
FUZZ_LIBS_sign_zone = $(TSIG_LIBS)
CFLAGS_fuzz_sign_zone = -I$(BEARSSL_INC)
BEARSSL_TESTS += $(T)/tests/fuzz/replay_sign_zone
# tibra-dnsd's online signer (app/dnsd/signer.c) signs where BearSSL is
# linked (TSIG_LIB_A, mk/tsig.mk); without it, `dnssec` zones are refused.
CFLAGS_signer = $(if $(TSIG_LIB_A),-DTB_HAVE_TSIG=1)
# sign-zone: the signing benchmark's Tibra side (bench/sign.sh,
# docs/BENCHMARKS.md): dns_sign_zone on a zone file, then one update
# re-signed with dns_sign_resign.
BENCH_SIGN_ZONE := $(U)/bench/sign-zone
ALL += $(if $(TSIG_LIB_A),$(BENCH_SIGN_ZONE))

$(BENCH_SIGN_ZONE): $(U)/bench/sign-zone.o $(U)/libtibra.a
	$(call msg,LD,$@)
	$(Q)$(TCC) $(HOST_LDFLAGS) -o $@ $^ -lbearssl
