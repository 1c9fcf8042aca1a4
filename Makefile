# sd.h - everything builds into build/.
#   make            the sd tool, the model writer, the examples
#   make test       the test suite (uses ../shared/fixtures when it is there, skips those checks otherwise)
#   make demo       a txt2img run on a tiny random model the project builds itself
#   make bench      the SD 1.5-sized benchmark (writes a 2 GB random checkpoint under build/ first)
CC      ?= cc
ARCH    ?= -march=native
OPT     ?= -O3
WARN    ?= -std=c99 -Wall -Wextra -pedantic
OMP     ?= -fopenmp
CFLAGS  ?= $(OPT) $(ARCH) $(WARN) -ffp-contract=off $(OMP)
LDLIBS  ?= -lm
B       := build
SHARED  ?= ../shared

TESTS   := $(patsubst tests/%.c,$(B)/%,$(wildcard tests/test_*.c))
EXAMPLES:= $(patsubst examples/%.c,$(B)/%,$(wildcard examples/*.c))

all: $(B)/sd $(B)/mkmodel $(EXAMPLES)

$(B):
	@mkdir -p $(B)

$(B)/sd: tools/sd.c sd.h $(wildcard tools/*.h) | $(B)
	$(CC) $(CFLAGS) -o $@ tools/sd.c $(LDLIBS)

$(B)/mkmodel: tools/mkmodel.c | $(B)
	$(CC) $(OPT) $(WARN) -o $@ tools/mkmodel.c $(LDLIBS)

$(B)/%: examples/%.c sd.h | $(B)
	$(CC) $(CFLAGS) -o $@ $< $(LDLIBS)

$(B)/test_%: tests/test_%.c sd.h $(wildcard tools/*.h) | $(B)
	$(CC) $(CFLAGS) -o $@ $< $(LDLIBS)

test: all $(TESTS)
	@SHARED=$(SHARED) sh tests/run.sh $(TESTS)

clean:
	rm -rf $(B)

.PHONY: all test clean
