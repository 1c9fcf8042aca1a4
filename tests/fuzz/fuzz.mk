# Fuzzing (included by the Makefile, which defines B, CC, CFLAGS, LDLIBS).
#   make fuzz          builds every libFuzzer target with clang (ASan + UBSan) and runs each for
#                      FUZZ_TIME seconds (default 600); summary in $(B)/fuzz/summary.txt, new crashes
#                      in tests/fuzz/crashes/<target>/ (see tools/fuzz.sh)
#   make fuzz-replay   every seed and every crash ever found, through each target built with $(CC)
#                      without libFuzzer (tests/fuzz/replay.c); part of make test
#   make fuzz-merge    adds to tests/fuzz/corpus/<target>/ the fewest fuzzed inputs that bring new coverage
# Targets: the safetensors loader, the tokenizer, merges.txt, .npy, PNG reading, the sd tool's
# arguments, prompts (A1111's and ComfyUI's parsers, chunks, embeddings). FUZZ_DEFS adds -D
# options to the libFuzzer builds (e.g. to step around an open finding).
FUZZ_TARGETS ?= safetensors tokenizer merges npy png cli prompt
FUZZ_TIME    ?= 600
FUZZ_CC      ?= clang
FUZZ_CFLAGS  ?= -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -ffp-contract=off -std=c99
FUZZ_DEFS    ?=
FUZZ_DEPS     = sd.h tools/sd_png.h tools/sd.c tests/fuzz/fuzz.h
FUZZ_BINS     = $(patsubst %,$(B)/fuzz/fuzz_%,$(FUZZ_TARGETS))
FUZZ_REPLAYS  = $(patsubst %,$(B)/fuzz/replay_%,$(FUZZ_TARGETS))

$(B)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_DEPS)
	@mkdir -p $(B)/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_DEFS) -o $@ $< -lm

$(B)/fuzz/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(FUZZ_DEPS)
	@mkdir -p $(B)/fuzz
	$(CC) $(CFLAGS) -D_POSIX_C_SOURCE=200809L -DFUZZ_REPLAY -o $@ tests/fuzz/replay.c $< $(LDLIBS)

fuzz: $(FUZZ_BINS)
	@B=$(B) FUZZ_TIME=$(FUZZ_TIME) sh tools/fuzz.sh run $(FUZZ_TARGETS)

fuzz-replay: $(FUZZ_REPLAYS)
	@for t in $(FUZZ_TARGETS); do \
	  echo "fuzz-replay: $$t"; \
	  $(B)/fuzz/replay_$$t tests/fuzz/corpus/$$t tests/fuzz/crashes/$$t > $(B)/fuzz/replay_$$t.log 2>&1 \
	    || { cat $(B)/fuzz/replay_$$t.log; echo "FAIL fuzz-replay $$t (log $(B)/fuzz/replay_$$t.log)"; exit 1; }; \
	  tail -1 $(B)/fuzz/replay_$$t.log; \
	done

fuzz-merge: $(FUZZ_BINS)
	@B=$(B) sh tools/fuzz.sh merge $(FUZZ_TARGETS)

.PHONY: fuzz fuzz-replay fuzz-merge
