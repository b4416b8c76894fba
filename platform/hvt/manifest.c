/*
 * manifest.c -- the empty manifest (no devices) an hvt image gets when
 * its application declares none.  It is linked from an archive, so the
 * linker takes it only if nothing else defines tb_manifest_note (start.c
 * refers to it); an application's TB_MANIFEST(...) always wins.
 */
#include <tibra/plat.h>

TB_MANIFEST(0);
