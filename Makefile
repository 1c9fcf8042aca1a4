# sd.h - build everything into build/
CC      ?= cc
ARCH    ?= -march=native
OPT     ?= -O2
CFLAGS  ?= $(OPT) $(ARCH) -std=c99 -Wall -Wextra -pedantic -ffp-contract=off -fopenmp
LDLIBS  ?= -lm
B       := build

all: $(B)/sd

$(B):
	mkdir -p $(B)

$(B)/sd: tools/sd.c sd.h | $(B)
	$(CC) $(CFLAGS) -o $@ tools/sd.c $(LDLIBS)

clean:
	rm -rf $(B)

.PHONY: all clean
