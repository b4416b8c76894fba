# Dynamic updates (lib/dns/update.c, journal.c): test_update signs its
# UPDATE messages with real TSIG keys, so it links BearSSL (mk/tsig.mk).
UNIT_LIBS_update := -lbearssl
BEARSSL_TESTS += $(T)/tests/unit/test_update
# fuzz_update signs inputs with a TSIG key: BearSSL too.
FUZZ_LIBS_update := $(TSIG_LIBS)
BEARSSL_TESTS += $(T)/tests/fuzz/replay_update
# test_update_delta: the O(change) path against the copy-based reference;
# it signs its random UPDATEs (BearSSL).
UNIT_LIBS_update_delta := -lbearssl
BEARSSL_TESTS += $(T)/tests/unit/test_update_delta
