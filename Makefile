# sealpost: the two commands of the quick start, and the pieces they use.
#
#   make demo    install what is missing, build, run the local demo
#   make check   install what is missing, build, run every test
#
# Both need root on a fresh Debian 12 (apt-get, a private Postfix, nginx).

SHELL      := /bin/bash
.SHELLFLAGS := -o pipefail -c

BUILD      ?= build
BUILD_ASAN ?= build-asan
BUILD_FUZZ ?= build-fuzz
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CTEST_ARGS ?= --output-on-failure

.PHONY: all deps build build-asan build-fuzz check check-unit check-asan \
	check-fuzz check-lint demo format clean

all: build

deps:
	./packaging/install-deps.sh

build:
	cmake -S . -B $(BUILD) -DSEALPOST_WERROR=ON
	cmake --build $(BUILD) -j $(JOBS)

build-asan:
	cmake -S . -B $(BUILD_ASAN) -DSEALPOST_WERROR=ON -DSEALPOST_SANITIZE=ON \
		-DCMAKE_BUILD_TYPE=Debug
	cmake --build $(BUILD_ASAN) -j $(JOBS)

build-fuzz:
	CC=clang cmake -S . -B $(BUILD_FUZZ) -DSEALPOST_FUZZ=ON \
		-DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD_FUZZ) -j $(JOBS)

# Every test: lint, unit and integration on the normal build, the unit
# tests again under ASan/UBSan, then a short run of every fuzz target.
check: deps
	$(MAKE) build
	cd $(BUILD) && ctest $(CTEST_ARGS) | tee ctest-all.log
	$(MAKE) check-asan
	$(MAKE) check-fuzz
	./tests/check-summary.sh $(BUILD)/ctest-all.log \
		$(BUILD_ASAN)/ctest-asan.log $(BUILD_FUZZ)/ctest-fuzz.log

check-unit: build
	cd $(BUILD) && ctest $(CTEST_ARGS) -L unit

check-asan: build-asan
	cd $(BUILD_ASAN) && ASAN_OPTIONS=detect_leaks=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest $(CTEST_ARGS) -L unit | tee ctest-asan.log

check-fuzz: build-fuzz
	cd $(BUILD_FUZZ) && ctest $(CTEST_ARGS) -L fuzz | tee ctest-fuzz.log

check-lint:
	./tests/lint/check-format.sh .
	./tests/lint/check-banned.sh .

format:
	git ls-files '*.c' '*.h' | xargs clang-format -i

demo: deps build
	./tests/demo/demo.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_FUZZ)
