# mk/stage.mk -- the library `tibra build` links DNS images from, staged
# per target under $(O)/lib/tibra/TARGET-ARCH/ exactly as `make install`
# puts it under PREFIX/lib/tibra/ (so the tool works from the build tree
# and from an installation alike, and a user needs no source checkout):
#
#   $(O)/lib/tibra/unix-ARCH/   app.a libtibra.a platform/libtbplat_unix.a
#                               (+ platform/libtbsock.a)       link.txt
#   $(O)/lib/tibra/spt-ARCH/    app.a (+ app-state.a) libtibra.a platform/libtbrt.a
#                               platform/spt/*.o platform/spt/spt.ld link.txt
#   $(O)/lib/tibra/hvt-x86_64/  app.a libtibra.a platform/libtbrt.a
#                               platform/hvt/*.o platform/libtbhvt.a
#                               platform/hvt/hvt.ld                  link.txt
#
# ARCH is the architecture being built (CROSS=aarch64-linux-gnu- stages
# unix-aarch64 and spt-aarch64).  app.a is the application's objects as
# one deterministic archive, linked whole.  Every other file keeps its
# path relative to its build context (or to the source tree, for the link
# scripts), so the names in link.txt say where each piece comes from.
#
# link.txt is the link recipe, generated here from the variables the
# test images are linked with (GUEST_LDFLAGS, GUEST_LDLIBS, PLAT_SPT_OBJ,
# PLAT_HVT_OBJ, PLAT_GUEST_RT, PLAT_UNIX_LIB, HOST_LDFLAGS, ...): the tool
# reads it and hard-codes no flag.  Its format (docs/tibra.md, "link.txt"):
# one "key words..." per line, "#" comments; @BUNDLE_S@, @BUNDLE_O@,
# @DEBUG@ and @IMAGE@ stand for the tool's own files.
#
# The application is the DNS guest app when mk/dnsg.mk provides it
# (DNSG_GUEST_OBJ, DNSG_UNIX_OBJ), else the hello test application, a
# stand-in that lets the pipeline be built and tested without it.

STAGE := $(O)/lib/tibra
STAGE_COMMIT := $(shell git -C $(SRCDIR) rev-parse HEAD 2>/dev/null || echo unknown)

# The unix image of the DNS app runs on host sockets (mk/sock.mk's
# SOCK_LIB); without that fragment only its guest targets are staged.
ifneq ($(strip $(DNSG_GUEST_OBJ)),)
STAGE_APP := dnsd
STAGE_APP_G := $(DNSG_GUEST_OBJ)
STAGE_APP_U := $(if $(SOCK_LIB),$(DNSG_UNIX_OBJ))
STAGE_SOCK_U := $(SOCK_LIB)
else
STAGE_APP := hello
STAGE_APP_G := $(G)/tests/platform/apps/hello.o
STAGE_APP_U := $(U)/tests/platform/apps/hello.o
STAGE_SOCK_U :=
endif

# The name a file has in the staged directory: its path inside its build
# context, or inside the source tree.
stage_name = $(patsubst $(SRCDIR)/%,%,$(patsubst $(G)/%,%,$(patsubst \
	$(U)/%,%,$(1))))

# Every image keeps its bundle: the symbol is a root for --gc-sections, so
# an application that never reads it still carries it (and inspect finds
# it), and a link without a bundle object fails.
STAGE_BUNDLE_LDFLAGS := -Wl,--require-defined=tb_bundle_start
STAGE_APP_LINK := -Wl,--whole-archive app.a -Wl,--no-whole-archive

# ---- per-target inputs (in link order) and link arguments ----------------
STAGE_unix_FILES := $(STAGE_SOCK_U) $(U)/libtibra.a $(PLAT_UNIX_LIB)
STAGE_unix_CC := $(TCC)
STAGE_unix_LINK := $(HOST_LDFLAGS) $(STAGE_BUNDLE_LDFLAGS) -o @DEBUG@ \
	@BUNDLE_O@ $(STAGE_APP_LINK) $(call stage_name,$(STAGE_unix_FILES)) \
	$(DNSG_TSIG_LIBS)

STAGE_spt_FILES := $(G)/libtibra.a $(PLAT_SPT_OBJ) $(PLAT_GUEST_RT)
STAGE_spt_SCRIPT := $(PLAT_SPT_LD)
STAGE_spt_CC := $(GUEST_CC)
# Guests link BearSSL (TSIG, SHA-1) after libtibra.a and before the
# runtime that gives it memcpy (DNSG_GUEST_LIBS, mk/dnsg.mk).
STAGE_spt_LINK := $(GUEST_LDFLAGS) $(STAGE_BUNDLE_LDFLAGS) \
	-T $(call stage_name,$(PLAT_SPT_LD)) -o @DEBUG@ @BUNDLE_O@ \
	$(STAGE_APP_LINK) $(call stage_name,$(G)/libtibra.a) \
	$(if $(DNSG_GUEST_OBJ),$(DNSG_GUEST_LIBS)) \
	$(call stage_name,$(filter-out $(G)/libtibra.a,$(STAGE_spt_FILES))) \
	$(GUEST_LDLIBS)

STAGE_TARGETS := $(if $(STAGE_APP_U),unix) spt
ifeq ($(ARCH),x86_64)
STAGE_TARGETS += hvt
STAGE_hvt_FILES := $(G)/libtibra.a $(PLAT_HVT_OBJ) $(PLAT_HVT_LIB) \
	$(PLAT_GUEST_RT)
STAGE_hvt_SCRIPT := $(PLAT_HVT_LD)
STAGE_hvt_CC := $(GUEST_CC)
STAGE_hvt_LINK := $(GUEST_LDFLAGS) $(STAGE_BUNDLE_LDFLAGS) \
	-T $(call stage_name,$(PLAT_HVT_LD)) -o @DEBUG@ @BUNDLE_O@ \
	$(STAGE_APP_LINK) $(call stage_name,$(G)/libtibra.a) \
	$(if $(DNSG_GUEST_OBJ),$(DNSG_GUEST_LIBS)) \
	$(call stage_name,$(filter-out $(G)/libtibra.a,$(STAGE_hvt_FILES))) \
	$(GUEST_LDLIBS)
endif
STAGE_unix_APP := $(STAGE_APP_U)
STAGE_spt_APP := $(STAGE_APP_G)
STAGE_hvt_APP := $(STAGE_APP_G)
# app-state.a: the same application whose manifest also declares block
# device "state" (mk/dnsg.mk's DNSG_STATE_OBJ); tibra build links it in
# place of app.a for a service with secondary or allow-update zones
# (`state-app` in link.txt).  Guests of the DNS app only.
STAGE_spt_STATE_APP := $(if $(DNSG_GUEST_OBJ),$(DNSG_STATE_OBJ))
STAGE_hvt_STATE_APP := $(STAGE_spt_STATE_APP)

# ---- rules ------------------------------------------------------------------
# $(call stage_copy,SRC,DIR): DIR/NAME is a copy of SRC.
define stage_copy
$(2)/$(call stage_name,$(1)): $(1)
	$$(call msg,STAGE,$$@)
	@mkdir -p $$(dir $$@)
	$$(Q)cp -f $$< $$@
endef

# $(call stage_target,T): everything for target T.
define stage_target
STAGE_$(1)_DIR := $(STAGE)/$(1)-$(ARCH)
STAGE_$(1)_OUT := $$(STAGE_$(1)_DIR)/app.a $$(foreach f,$$(STAGE_$(1)_FILES) \
	$$(STAGE_$(1)_SCRIPT),$$(STAGE_$(1)_DIR)/$$(call stage_name,$$(f))) \
	$$(STAGE_$(1)_DIR)/link.txt \
	$$(if $$(STAGE_$(1)_STATE_APP),$$(STAGE_$(1)_DIR)/app-state.a)

$$(STAGE_$(1)_DIR)/app.a: $$(STAGE_$(1)_APP)
	$$(call msg,AR,$$@)
	@mkdir -p $$(dir $$@)
	$$(Q)rm -f $$@ && $$(AR) qcD $$@ $$(sort $$^)

ifneq ($$(STAGE_$(1)_STATE_APP),)
$$(STAGE_$(1)_DIR)/app-state.a: $$(STAGE_$(1)_STATE_APP)
	$$(call msg,AR,$$@)
	@mkdir -p $$(dir $$@)
	$$(Q)rm -f $$@ && $$(AR) qcD $$@ $$(sort $$^)
endif

$$(foreach f,$$(STAGE_$(1)_FILES) $$(STAGE_$(1)_SCRIPT),$$(eval $$(call \
	stage_copy,$$(f),$$(STAGE_$(1)_DIR))))

# Rewritten only when its text changes (version, commit and flags are in it).
$$(STAGE_$(1)_DIR)/link.txt: FORCE
	@mkdir -p $$(dir $$@)
	@{ printf '# link.txt -- how tibra build links a $(1)-$(ARCH) image.\n'; \
	  printf '# Generated by mk/stage.mk; format: docs/tibra.md.\n'; \
	  printf 'format 1\n'; \
	  printf 'target %s\n' '$(1)'; \
	  printf 'arch %s\n' '$(ARCH)'; \
	  printf 'app %s\n' '$(STAGE_APP)'; \
	  printf 'version %s\n' '$(TB_VERSION)'; \
	  printf 'commit %s\n' '$(STAGE_COMMIT)'; \
	  printf 'source-date-epoch %s\n' '$(SOURCE_DATE_EPOCH)'; \
	  printf 'cc %s\n' '$(STAGE_$(1)_CC)'; \
	  printf 'objcopy %s\n' '$(OBJCOPY)'; \
	  printf 'assemble %s\n' '-c -o @BUNDLE_O@ @BUNDLE_S@'; \
	  printf 'link %s\n' '$$(strip $$(STAGE_$(1)_LINK))'; \
	  printf 'strip %s\n' '--strip-all @DEBUG@ @IMAGE@'; \
	  $$(if $$(STAGE_$(1)_STATE_APP),printf 'state-app app-state.a\n';) \
	  printf 'file %s\n' app.a $$(call stage_name,$$(STAGE_$(1)_FILES) \
		$$(STAGE_$(1)_SCRIPT)); \
	} > $$@.tmp
	@cmp -s $$@.tmp $$@ 2>/dev/null && rm -f $$@.tmp || mv $$@.tmp $$@

ALL += $$(STAGE_$(1)_OUT)
endef

$(foreach t,$(STAGE_TARGETS),$(eval $(call stage_target,$(t))))

# `make stage-lib`: the library alone (tibra verify --source builds it);
# `make stage` (the Makefile adds $(O)/bin): the whole install tree.
.PHONY: stage stage-lib
stage-lib: $(foreach t,$(STAGE_TARGETS),$(STAGE_$(t)_OUT))
stage: stage-lib
STAGE_DIRS := $(foreach t,$(STAGE_TARGETS),$(t)-$(ARCH))
