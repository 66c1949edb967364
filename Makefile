# ganvas: the two set-up commands are `make demo` and `make test`; each installs what is missing
# (Debian packages, via scripts/install-deps.sh), builds, then runs.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=Release
# ccache hits across clones of the repository (CI builds a fresh clone).
export CCACHE_BASEDIR := $(CURDIR)
# ccache caches translation units that use the precompiled torch header only with these.
export CCACHE_SLOPPINESS := pch_defines,time_macros,include_file_mtime,include_file_ctime

FUZZ_SECONDS ?= 60
ASAN_OPTIONS_CI ?= detect_leaks=1:abort_on_error=0:allocator_may_return_null=1

.PHONY: all deps configure build test demo bench clean fuzz sanitize

all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD)/build.ninja: CMakeLists.txt | deps
	cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS)

configure: deps $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && GANVAS_PROGRESS=0 ctest --output-on-failure -j $(JOBS)

demo: build
	$(BUILD)/ganvas demo --out demo-out

bench: build
	GANVAS_WITH_PEERS=1 bash scripts/install-deps.sh
	bash bench/run_colorizer_bench.sh $(BUILD)

# libFuzzer targets (clang, AddressSanitizer + UndefinedBehaviorSanitizer) for every parser of
# files from strangers; each runs FUZZ_SECONDS on its corpus (seeded on first use).
fuzz:
	GANVAS_WITH_FUZZ=1 bash scripts/install-deps.sh
	cmake -S fuzz -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++
	cmake --build build-fuzz -j $(JOBS)
	bash fuzz/run.sh build-fuzz $(FUZZ_SECONDS)

# The whole test suite built with AddressSanitizer and UndefinedBehaviorSanitizer. By default
# without the hand-written x86 kernels, so that one build checks both memory safety and what
# other CPUs get (LibTorch's ops everywhere); SANITIZE_KERNELS=ON sanitizes the kernels instead.
# At -O1 (what AddressSanitizer's authors recommend): the suite's time is LibTorch's, which is not
# instrumented, and the build is far shorter than at -O3.
SANITIZE_KERNELS ?= OFF
sanitize: deps
	cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O1 -DNDEBUG" \
		-DGANVAS_SANITIZE=ON -DGANVAS_BUILD_BENCH=OFF -DGANVAS_X86_KERNELS=$(SANITIZE_KERNELS)
	cmake --build build-asan -j $(JOBS)
	cd build-asan && GANVAS_PROGRESS=0 ASAN_OPTIONS=$(ASAN_OPTIONS_CI) UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		ctest --output-on-failure -j $(JOBS)

clean:
	rm -rf $(BUILD) build-asan build-fuzz demo-out
