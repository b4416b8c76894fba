# tls: DNS over TLS (lib/dns/tls.c, include/tibra/dns/tls.h, docs/DESIGN.md
# "tls").  TLS 1.2 is BearSSL's engine (libbearssl-dev, deps.txt); its
# headers are freestanding-friendly, so tls.c compiles in every context,
# and only programs that open TLS sessions (tibra-dnsd, the tests below)
# link the library.  Without BearSSL for the architecture (a cross build)
# tibra-dnsd refuses tls-listen (TB_HAVE_TLS unset).
CFLAGS_tls = -I$(BEARSSL_INC)
CFLAGS_test_tls = -I$(BEARSSL_INC)
UNIT_LIBS_tls = $(TSIG_LIBS)
FUZZ_LIBS_tls_server = $(TSIG_LIBS)
# tibra-dnsd's TLS servers (app/dnsd/dot.c, server.c, resolver.c) exist
# where BearSSL is linked (the test mk/tsig.mk makes, repeated here: this
# file is read first, and CFLAGS_resolver is expanded at once); without
# it, tls-listen is refused.
TLS_LIB_A := $(firstword $(wildcard /usr/lib/$(ARCH)-linux-gnu/libbearssl.a))
CFLAGS_server = $(if $(TLS_LIB_A),-DTB_HAVE_TLS=1)
CFLAGS_dot = $(if $(TLS_LIB_A),-DTB_HAVE_TLS=1)
CFLAGS_resolver += $(if $(TLS_LIB_A),-DTB_HAVE_TLS=1)
BEARSSL_TESTS += $(T)/tests/unit/test_tls $(T)/tests/fuzz/replay_tls_server
