# Dynamic updates (lib/dns/update.c, journal.c): test_update signs its
# UPDATE messages with real TSIG keys, so it links BearSSL (mk/tsig.mk).
UNIT_LIBS_update := -lbearssl
BEARSSL_TESTS += $(T)/tests/unit/test_update
# fuzz_update signs inputs with a TSIG key: BearSSL too.
FUZZ_LIBS_update := $(TSIG_LIBS)
BEARSSL_TESTS += $(T)/tests/fuzz/replay_update
