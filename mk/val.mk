# val: DNSSEC validation (lib/dns/val*.c, docs/DESIGN.md "val").
# RSA, ECDSA and the digests are BearSSL's (libbearssl-dev); its headers
# are freestanding-friendly, so val*.c compile in every context, and only
# programs that call dns_val_* link the library (guests do not today).
# Ed25519 is a function the driver supplies: tests/unit/test_val.c gives
# libsodium's crypto_sign_ed25519_verify_detached (libsodium-dev, deps.txt
# group "test") when the test compiler can link it, else says it skipped
# algorithm 15.
CFLAGS_val := -I$(BEARSSL_INC)
CFLAGS_val_chain := -I$(BEARSSL_INC)
CFLAGS_val_denial := -I$(BEARSSL_INC)
CFLAGS_val_msg := -I$(BEARSSL_INC)
VAL_SODIUM := $(shell printf 'int main(void){return 0;}\n' | \
	$(TCC) -x c - -lsodium -o /dev/null 2>/dev/null && echo -lsodium)
UNIT_LIBS_val := $(TSIG_LIBS) $(VAL_SODIUM)
FUZZ_LIBS_val := $(TSIG_LIBS)
CFLAGS_test_val := -I$(BEARSSL_INC) $(if $(VAL_SODIUM),-DTB_HAVE_SODIUM=1)
CFLAGS_fuzz_val := -I$(BEARSSL_INC)
BEARSSL_TESTS += $(T)/tests/unit/test_val $(T)/tests/fuzz/replay_val
# test_resval: the validating resolver over a tree signed by lib/dns/sign.c.
UNIT_LIBS_resval := $(TSIG_LIBS)
CFLAGS_test_resval := -I$(BEARSSL_INC)
BEARSSL_TESTS += $(T)/tests/unit/test_resval
# fuzz_res_query also asks a validating resolver (dns_res_val_init).
FUZZ_LIBS_res_query := $(TSIG_LIBS)
BEARSSL_TESTS += $(T)/tests/fuzz/replay_res_query
# fuzz_res_reply signs its zones (lib/dns/sign.c) and validates.
FUZZ_LIBS_res_reply := $(TSIG_LIBS)
BEARSSL_TESTS += $(T)/tests/fuzz/replay_res_reply
