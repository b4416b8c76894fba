# Unit tests and fuzz targets, discovered by name:
#   tests/unit/test_NAME.c   -> $(T)/tests/unit/test_NAME   (ASan+UBSan)
#   tests/fuzz/fuzz_NAME.c   -> $(T)/tests/fuzz/replay_NAME (corpus replay)
#                               $(O)/fuzz/fuzz_NAME         (`make fuzz`)
# A test or target needing objects beyond libtibra.a lists them (as source
# paths) in UNIT_EXTRA_NAME or FUZZ_EXTRA_NAME in its own fragment.  (No
# patsubst with % below: in a pattern rule's prerequisites every % becomes
# the stem, even inside a second-expanded function call.)

UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:%.c=$(T)/%)
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(FUZZ_SRC))
FUZZ_REPLAY := $(FUZZ_NAMES:%=$(T)/tests/fuzz/replay_%)
FUZZ_BIN := $(FUZZ_NAMES:%=$(O)/fuzz/fuzz_%)

CHECK_BUILD += $(UNIT_BIN) $(FUZZ_REPLAY)

.SECONDEXPANSION:
$(T)/tests/unit/test_%: $(T)/tests/unit/test_%.o \
		$$(addprefix $(T)/,$$(addsuffix .o,$$(basename $$(UNIT_EXTRA_$$*)))) $(T)/libtibra.a
	$(call msg,LD,$@)
	$(Q)$(TCC) $(CHECK_LDFLAGS) -o $@ $(filter %.o,$^) $(T)/libtibra.a \
		$(UNIT_LIBS_$*) $(LIBS_CHECK)

$(T)/tests/fuzz/replay_%: $(T)/tests/fuzz/fuzz_%.o $(T)/tests/fuzz/replay.o \
		$$(addprefix $(T)/,$$(addsuffix .o,$$(basename $$(FUZZ_EXTRA_$$*)))) $(T)/libtibra.a
	$(call msg,LD,$@)
	$(Q)$(TCC) $(CHECK_LDFLAGS) -o $@ $(filter %.o,$^) $(T)/libtibra.a \
		$(FUZZ_LIBS_$*)

# Real fuzzing with clang/libFuzzer: `make fuzz`, then run e.g.
#   build/fuzz/fuzz_dns_msg tests/fuzz/corpus/dns_msg -max_total_time=60
FUZZ_CFLAGS := -std=c11 -g -O1 -D_GNU_SOURCE -I$(SRCDIR)/include -I$(O)/gen \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-DTB_CHECK=1
fuzz: $(FUZZ_BIN)
$(O)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $$(FUZZ_EXTRA_$$*) $(LIB_SRC) $(HOSTED_SRC) | $(O)/gen/tibra/version.h
	$(call msg,FUZZ,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_EXTRA_$*) $(LIB_SRC) \
		$(HOSTED_SRC) $(FUZZ_LIBS_$*)
