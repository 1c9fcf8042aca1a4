# sd.h - everything builds into build/.
#   make            the sd tool, the model writer, the examples
#   make test       the test suite (uses ../shared/fixtures when it is there, skips those checks otherwise)
#   make demo       the demo model (tools/toy, trained on captioned shapes) draws PROMPT into output.png
#   make bench      the SD 1.5-sized benchmark: 1 thread, all, low-memory, bfloat16 (writes a 2 GB random checkpoint under build/ first)
#   make bench-lora a rank-32 LoRA on it: load time, step time, memory
#   make bench-sd2  the SD 2.1-sized benchmark at 512x512 and 768x768, with TAESD and an SD-Turbo-shaped run
#   make bench-sdxl the SDXL-sized benchmark at 1024x1024 (default and low-memory) and an SDXL-Turbo-shaped run at 512x512
#   make test-asan  the test suite under AddressSanitizer + UBSan     make fuzz   libFuzzer, FUZZ_TIME s a target
#   make cross      the tests and conformance on s390x, armhf, aarch64, riscv64, i386 under qemu-user
CC      ?= cc
# ARCH: -march=native when $(CC) builds for the machine make runs on (the first field of
# `$(CC) -dumpmachine` is the CPU of `cc -dumpmachine`, or of `uname -m` without a cc) and takes
# the option; else nothing, the target's default: a cross compiler (make CC=s390x-linux-gnu-gcc)
# builds with no further flags. ARCH=... on the command line or in the environment wins.
ifeq ($(origin ARCH),undefined)
  SD_CC_CPU   := $(firstword $(subst -, ,$(shell $(CC) -dumpmachine 2>/dev/null)))
  SD_HOST_CPU := $(firstword $(subst -, ,$(shell cc -dumpmachine 2>/dev/null || uname -m 2>/dev/null)))
  ARCH := $(if $(and $(SD_CC_CPU),$(filter $(SD_HOST_CPU),$(SD_CC_CPU)),$(shell echo 'int x;' | $(CC) -march=native -x c -c - -o /dev/null 2>/dev/null && echo 1)),-march=native)
endif
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

$(B)/test_%: tests/test_%.c sd.h tests/common.h $(wildcard tools/*.h) | $(B)
	$(CC) $(CFLAGS) -o $@ $< $(LDLIBS) -lpthread

# the test suite: one program per stage (tests/test_*.c), the build matrix (tests/test_build.sh);
# with ../shared beside the checkout the reference fixtures are checked too, without it they are skipped
test: all $(TESTS) $(B)/tiny.safetensors $(B)/tiny-merges.txt $(B)/demo.safetensors $(B)/demo-merges.txt
	@SHARED=$(SHARED) sh tests/run.sh $(TESTS) tests/test_examples.sh tests/test_sd_cli.sh tests/test_sd2_taesd.sh tests/test_sdxl.sh tests/test_build.sh
	@$(MAKE) --no-print-directory fuzz-replay

# every command README.md shows, in a sandbox where the downloads are stood in for by the demo model
# (a few minutes: the README's commands make 512x512 images)
test-readme: all
	sh tests/test_readme.sh

# the same under AddressSanitizer and UndefinedBehaviorSanitizer (leaks included), then the
# conformance run against a sanitized sd when the fixtures are there
ASAN := -O2 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined -std=c99 -ffp-contract=off -fopenmp
ASAN_TESTS := $(patsubst tests/%.c,$(B)/asan/%,$(wildcard tests/test_*.c))
$(B)/asan/test_%: tests/test_%.c sd.h tests/common.h $(wildcard tools/*.h)
	@mkdir -p $(B)/asan
	$(CC) $(ASAN) -o $@ $< -lm -lpthread
$(B)/asan/sd: tools/sd.c sd.h $(wildcard tools/*.h)
	@mkdir -p $(B)/asan
	$(CC) $(ASAN) -o $@ tools/sd.c -lm
test-asan: $(B)/mkmodel $(ASAN_TESTS) $(B)/asan/sd
	@SHARED=$(SHARED) SD_TEST_QUICK=1 ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 sh tests/run.sh $(ASAN_TESTS)
	@if [ -f $(SHARED)/tools/conformance.py ]; then \
	  ASAN_OPTIONS=detect_leaks=1 python3 $(SHARED)/tools/conformance.py --sd $(B)/asan/sd --fixtures $(SHARED)/fixtures/sd1-tiny \
	    --vocab $(SHARED)/clip-vocab/merges.txt; \
	else echo "SKIP conformance under sanitizers (no $(SHARED))"; fi

# two models in two threads under ThreadSanitizer (no OpenMP: libgomp is not instrumented)
$(B)/tsan/test_threads: tests/test_threads.c sd.h tests/common.h
	@mkdir -p $(B)/tsan
	clang -O1 -g -fsanitize=thread -std=c99 -ffp-contract=off -o $@ tests/test_threads.c -lm -lpthread
test-tsan: $(B)/tsan/test_threads $(B)/mkmodel
	SHARED=$(SHARED) SD_TEST_QUICK=1 TSAN_OPTIONS=halt_on_error=1 $(B)/tsan/test_threads

# the tiny pipeline under valgrind (baseline x86-64 code: valgrind has no AVX-512; no OpenMP)
$(B)/vg/sd: tools/sd.c sd.h $(wildcard tools/*.h)
	@mkdir -p $(B)/vg
	$(CC) -O2 -g -std=c99 -ffp-contract=off -o $@ tools/sd.c -lm
VG := valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect
test-valgrind: $(B)/vg/sd $(B)/tiny.safetensors $(B)/tiny-merges.txt
	$(VG) $(B)/vg/sd info -m $(B)/tiny.safetensors >/dev/null
	$(VG) $(B)/vg/sd -q -m $(B)/tiny.safetensors --vocab $(B)/tiny-merges.txt -p "a lighthouse" -W 64 -H 64 --steps 2 -s 1 -o $(B)/vg/t2i.png
	$(VG) $(B)/vg/sd -q -m $(B)/tiny.safetensors --vocab $(B)/tiny-merges.txt -p "a boat" -i $(B)/vg/t2i.png --strength 0.6 --steps 3 --sampler ddim -s 2 -o $(B)/vg/i2i.png
	$(VG) $(B)/vg/sd -q -m $(B)/tiny.safetensors --vocab $(B)/tiny-merges.txt -p "a boat" -W 64 -H 72 --steps 2 --low-memory -o $(B)/vg/low.png
	$(VG) $(B)/vg/sd info $(B)/vg/t2i.png >/dev/null
	@echo "valgrind: tiny pipeline clean"

# the main job on a model the project builds itself: random weights of the real layout, tiny widths,
# and a small BPE vocabulary (the real one comes with a downloaded model)
$(B)/tiny.safetensors: $(B)/mkmodel
	$(B)/mkmodel --config tiny -o $@
$(B)/tiny-merges.txt: $(B)/mkmodel
	$(B)/mkmodel --vocab-out $@
# (demo: tiny widths with attention only where the latent is small, so 512x512 takes seconds; random
# weights, the README's commands run on it)
$(B)/demo.safetensors: $(B)/mkmodel
	$(B)/mkmodel --config demo -o $@
$(B)/demo-merges.txt: $(B)/tiny-merges.txt
	cp $(B)/tiny-merges.txt $@
# make demo: the demo model, a tiny SD 1.x trained by tools/train_toy.py on captioned shapes
# (tools/toy/README.md), draws PROMPT at its native 64x64 (its vocabulary, tools/toy/merges.txt,
# is found beside it). Its words: a [small|big] COLOUR circle|square|triangle [on the left|on the
# right|at the top|at the bottom|in the center] [on a COLOUR background]; two COLOUR circles|squares|
# triangles; [vertical|horizontal] COLOUR and COLOUR stripes. COLOUR: red green blue yellow white
# black.
PROMPT ?= a big red circle on a blue background
SEED   ?= 1
# (one thread: its layers are too small to share, and where another program holds a core OpenMP's
# barriers made 20 steps take 45 s instead of half a second)
demo: all
	$(B)/sd -m tools/toy/model.safetensors -p "$(PROMPT)" -W 64 -H 64 -s $(SEED) -t 1 -o output.png

# the benchmark on an SD 1.5-sized random checkpoint (2.1 GB, written once), against OpenBLAS's sgemm
BLAS_OK := $(shell printf '\043include <cblas.h>\nint main(void){return 0;}' | $(CC) -x c - -lopenblas -o /dev/null 2>/dev/null && echo 1)
BENCH_DEFS := $(if $(BLAS_OK),-DSD_BENCH_OPENBLAS,)
BENCH_LIBS := $(if $(BLAS_OK),-lopenblas,)
$(B)/bench: tools/bench.c sd.h | $(B)
	$(CC) $(CFLAGS) -D_POSIX_C_SOURCE=200809L $(BENCH_DEFS) -o $@ tools/bench.c $(BENCH_LIBS) $(LDLIBS)
$(B)/sd15.safetensors: $(B)/mkmodel
	$(B)/mkmodel --config sd15 -o $@
bench: $(B)/bench $(B)/sd15.safetensors $(B)/tiny-merges.txt
	@test -n "$(BLAS_OK)" || echo "bench: no OpenBLAS (apt-get install libopenblas-dev): the ceiling is not measured"
	$(B)/bench -m $(B)/sd15.safetensors --vocab $(B)/tiny-merges.txt -t 1 -o $(B)/bench.txt
	$(B)/bench -m $(B)/sd15.safetensors --vocab $(B)/tiny-merges.txt -o $(B)/bench.txt
	$(B)/bench -m $(B)/sd15.safetensors --vocab $(B)/tiny-merges.txt --low-memory -o $(B)/bench.txt
	$(B)/bench -m $(B)/sd15.safetensors --vocab $(B)/tiny-merges.txt --bf16 -o $(B)/bench.txt
	$(B)/bench -m $(B)/sd15.safetensors --vocab $(B)/tiny-merges.txt --scaling 2 --stages text,unet,decode,encode -o $(B)/bench.txt
# what a LoRA costs: a rank-32 LoRA of every attention and ResBlock layer of that checkpoint (64 MB);
# bench-lora times sd_load_lora and the UNet without and with it, and the memory before and after
$(B)/bench-lora32.safetensors: $(B)/mkmodel $(B)/sd15.safetensors
	$(B)/mkmodel --lora $@ --for $(B)/sd15.safetensors --rank 32
bench-lora: $(B)/bench $(B)/sd15.safetensors $(B)/bench-lora32.safetensors $(B)/tiny-merges.txt
	$(B)/bench -m $(B)/sd15.safetensors --vocab $(B)/tiny-merges.txt --lora $(B)/bench-lora32.safetensors --lora-only -o $(B)/bench.txt
.PHONY: bench-lora
# SD 2.x: bench-sd2 times an SD 2.1-sized random checkpoint (2.6 GB, written once: mkmodel --config sd21,
# v2-1_768-ema-pruned.safetensors' layout) at 512x512 and 768x768, TAESD's decoder and encoder beside the
# VAE's (random weights in madebyollin's layout), and at 512x512 an SD-Turbo-shaped whole process (1 step,
# cfg 1, Euler a, TAESD decode); results appended to build/bench.txt. BENCH_SD2 adds bench options to both
# runs (e.g. BENCH_SD2='-t 8', or '--steps 5' to shorten the 20-step txt2img row).
$(B)/sd21.safetensors: $(B)/mkmodel
	$(B)/mkmodel --config sd21 -o $@
$(B)/taesd_decoder.safetensors: $(B)/mkmodel
	$(B)/mkmodel --taesd $@ --half decoder
$(B)/taesd_encoder.safetensors: $(B)/mkmodel
	$(B)/mkmodel --taesd $@ --half encoder
BENCH_SD2 ?=
SD2_BENCH := $(B)/bench -m $(B)/sd21.safetensors --vocab $(B)/tiny-merges.txt \
             --taesd $(B)/taesd_decoder.safetensors --taesd $(B)/taesd_encoder.safetensors -o $(B)/bench.txt
bench-sd2: $(B)/bench $(B)/sd21.safetensors $(B)/taesd_decoder.safetensors $(B)/taesd_encoder.safetensors $(B)/tiny-merges.txt
	@test -n "$(BLAS_OK)" || echo "bench: no OpenBLAS (apt-get install libopenblas-dev): the ceiling is not measured"
	$(SD2_BENCH) --size 512 --turbo $(BENCH_SD2)
	$(SD2_BENCH) --size 768 $(BENCH_SD2)
.PHONY: bench-sd2

# SDXL: bench-sdxl times an SDXL-sized random checkpoint (6.9 GB, written once: mkmodel --config sdxl,
# sd_xl_base_1.0.safetensors' layout) at 1024x1024, by default and in low-memory mode (peak memory of
# each), and at 512x512 an SDXL-Turbo-shaped whole process (1 step, cfg 1, Euler a, VAE decode);
# results appended to build/bench.txt. The txt2img row runs BENCH_SDXL_STEPS steps (2: a 1024x1024 step
# of SDXL is about 14 TFLOP with guidance); BENCH_SDXL adds bench options to every run.
$(B)/sdxl.safetensors: $(B)/mkmodel
	$(B)/mkmodel --config sdxl -o $@
BENCH_SDXL ?=
BENCH_SDXL_STEPS ?= 2
SDXL_BENCH := $(B)/bench -m $(B)/sdxl.safetensors --vocab $(B)/tiny-merges.txt -o $(B)/bench.txt
bench-sdxl: $(B)/bench $(B)/sdxl.safetensors $(B)/tiny-merges.txt
	@test -n "$(BLAS_OK)" || echo "bench: no OpenBLAS (apt-get install libopenblas-dev): the ceiling is not measured"
	$(SDXL_BENCH) --size 1024 --steps $(BENCH_SDXL_STEPS) $(BENCH_SDXL)
	$(SDXL_BENCH) --size 1024 --steps $(BENCH_SDXL_STEPS) --low-memory --stages unet,decode,txt2img $(BENCH_SDXL)
	$(SDXL_BENCH) --size 512 --stages text,unet,decode,turbo --turbo $(BENCH_SDXL)
.PHONY: bench-sdxl

# 512x512 txt2img end to end on the SD 1.5-sized random checkpoint
BIG_PROMPT ?= a lighthouse at dawn, oil painting
big: all $(B)/sd15.safetensors $(B)/tiny-merges.txt
	$(B)/sd -m $(B)/sd15.safetensors --vocab $(B)/tiny-merges.txt -p "$(BIG_PROMPT)" -W 512 -H 512 --steps 20 -s 42 -o $(B)/big.png

# the GPU backend (sd_cuda.cu; needs nvcc and an NVIDIA GPU of compute capability 8.0+ to run):
#   make cuda                 build/sd and build/bench with the GPU backend (sd --gpu / --gpu-fp32), build/cuda/test_cuda
#   make test-cuda            every GPU operation against the reference kernels, both precisions
#   make test-cuda-memcheck   the same under compute-sanitizer
# Plain make never needs nvcc; CUDA_HOME and CUDA_ARCH override the toolkit and the targets.
NVCC      ?= nvcc
CUDA_HOME ?= $(patsubst %/bin/,%,$(dir $(shell command -v $(NVCC) 2>/dev/null)))
CUDA_ARCH ?= -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90
NVCCFLAGS ?= -O3 -std=c++17 $(CUDA_ARCH)
CUDA_LIBS  = -L$(CUDA_HOME)/lib64 -lcudart_static -lstdc++ -lrt -lpthread -ldl
$(B)/cuda/sd_cuda.o: sd_cuda.cu sd.h
	@mkdir -p $(B)/cuda
	$(NVCC) $(NVCCFLAGS) -c -o $@ sd_cuda.cu
$(B)/cuda/test_cuda: tests/test_cuda.cu $(B)/cuda/sd_cuda.o sd.h
	$(NVCC) $(NVCCFLAGS) --diag-suppress 550,1675 -o $@ tests/test_cuda.cu $(B)/cuda/sd_cuda.o
cuda: $(B)/cuda/sd_cuda.o $(B)/mkmodel
	$(MAKE) -B $(B)/sd $(B)/bench CFLAGS='$(CFLAGS) -DSD_CUDA' LDLIBS='$(B)/cuda/sd_cuda.o $(CUDA_LIBS) $(LDLIBS)'
	$(MAKE) $(B)/cuda/test_cuda
test-cuda: $(B)/cuda/test_cuda
	$(B)/cuda/test_cuda
test-cuda-memcheck: $(B)/cuda/test_cuda
	compute-sanitizer --tool memcheck --leak-check full --error-exitcode 1 $(B)/cuda/test_cuda
.PHONY: cuda test-cuda test-cuda-memcheck

# the CUDA backend's kernel test on the CPU: tests/cuda_emu.h runs each CUDA thread as a fiber and emulates
# WMMA, mma.sync and cp.async, so the kernels' indexing and synchronisation are checked without a GPU
EMU := -O2 -g -std=c++17 -DSDC_EMU -include tests/cuda_emu.h
$(B)/emu/test_cuda: sd_cuda.cu tests/test_cuda.cu tests/cuda_emu.h sd.h
	@mkdir -p $(B)/emu
	$(CXX) $(EMU) -x c++ -c sd_cuda.cu -o $(B)/emu/sd_cuda.o
	$(CXX) $(EMU) -x c++ tests/test_cuda.cu -x none $(B)/emu/sd_cuda.o -o $@ -lm
test-cuda-emu: $(B)/emu/test_cuda
	$(B)/emu/test_cuda

# the porting suite: cross compilers and qemu-user (tools/cross.sh lists the Debian packages; it exits
# 77, a make error, when no target could be built here: every one says SKIP)
cross:
	sh tools/cross.sh $(CROSS)

# libFuzzer targets (tests/fuzz): make fuzz runs each for FUZZ_TIME seconds; make test replays the corpus
-include tests/fuzz/fuzz.mk

clean:
	rm -rf $(B)

.PHONY: all test test-readme test-asan test-tsan test-valgrind clean demo bench big cross test-cuda-emu
