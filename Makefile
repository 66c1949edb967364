# ganvas: the two set-up commands are `make demo` and `make test`; each installs what is missing
# (Debian packages, via scripts/install-deps.sh), builds, then runs.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=Release
# ccache hits across clones of the repository (CI builds a fresh clone).
export CCACHE_BASEDIR := $(CURDIR)
# ccache caches translation units that use the precompiled torch header only with these.
export CCACHE_SLOPPINESS := pch_defines,time_macros,include_file_mtime,include_file_ctime

.PHONY: all deps configure build test demo bench clean

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

clean:
	rm -rf $(BUILD) demo-out
