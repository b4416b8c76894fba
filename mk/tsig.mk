# TSIG (lib/dns/tsig.c): HMAC and hashes from BearSSL (libbearssl-dev,
# deps.txt).  Its headers live in /usr/include/bearssl and are
# freestanding-friendly (stddef.h, stdint.h, string.h), so tsig.c compiles
# in every context, guests included; only programs that call TSIG link
# the library.  lib/dns reaches tsig.c only through a key set's (answer)
# pointer (dns/tsig.h), so a program that never builds a key set needs no
# BearSSL.
#
# BearSSL is linked where Debian has it for the target architecture
# (TSIG_LIBS empty otherwise: a cross build without libbearssl-dev for
# that architecture builds a tibra-dnsd that refuses key: sections,
# app/dnsd/keys.c, TB_HAVE_TSIG).

BEARSSL_INC := /usr/include/bearssl
CFLAGS_tsig := -I$(BEARSSL_INC)
TSIG_LIB_A := $(firstword $(wildcard /usr/lib/$(ARCH)-linux-gnu/libbearssl.a))
TSIG_LIBS := $(if $(TSIG_LIB_A),-lbearssl)
CFLAGS_keys := $(if $(TSIG_LIB_A),-DTB_HAVE_TSIG=1)
# app/dnsd/notify.c signs NOTIFYs (notify ... key K); lib/dns/notify.c and
# the guest's notify.c ignore it.
CFLAGS_notify := $(if $(TSIG_LIB_A),-DTB_HAVE_TSIG=1)

UNIT_LIBS_tsig := $(TSIG_LIBS)
FUZZ_LIBS_tsig := $(TSIG_LIBS)

# `make fuzz` compiles every library source into each target, tsig.c
# included: BearSSL's headers and library for all of them (a shared
# library, so its place on the command line does not matter).
FUZZ_CFLAGS += -I$(BEARSSL_INC) -lbearssl
UNIT_LIBS_svc_key := $(TSIG_LIBS)

# Without BearSSL for the architecture (a cross build), the tests that
# link it are not built (tibra-dnsd and the unix image then refuse keys,
# above): each fragment adds its own to BEARSSL_TESTS and the Makefile
# leaves them out of check-build (and platform-cross) after reading every
# fragment.
BEARSSL_TESTS += $(T)/tests/unit/test_tsig $(T)/tests/unit/test_svc_key \
	$(T)/tests/fuzz/replay_tsig
# lib/dns/zonedb_proof.c's NSEC3 hashing (mk/auth.mk).
BEARSSL_TESTS += $(T)/tests/unit/test_dnssec
