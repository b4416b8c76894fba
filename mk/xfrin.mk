# Secondary zones (lib/dns/xfrin*.c): test_xfrin signs and verifies
# transfers with real TSIG keys, so it links BearSSL (mk/tsig.mk).
UNIT_LIBS_xfrin := -lbearssl
BEARSSL_TESTS += $(T)/tests/unit/test_xfrin
# tibra-dnsd's driver (app/dnsd/xfrin.c) calls TSIG where BearSSL is
# linked (TB_HAVE_TSIG, as app/dnsd/keys.c); lib/dns/xfrin.c ignores it.
CFLAGS_xfrin := $(if $(TSIG_LIB_A),-DTB_HAVE_TSIG=1)
