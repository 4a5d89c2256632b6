# latchkey: `make demo` and `make test` each work on a fresh Debian 12 machine.
BUILD      ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS       ?= $(shell nproc)

.PHONY: all deps configure build test unit browser screenshots bench demo asan fuzz fuzz-long package clean

all: build

deps:
	@scripts/install-deps

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

configure: $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD) -j $(JOBS)

# scripts/run-tests: CTest, a failing test run once more (a stopgap explained there), and the
# names of the tests that failed at least once printed last.
test: deps
	@$(MAKE) --no-print-directory build
	scripts/run-tests $(BUILD) $(JOBS)

unit: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -L unit

# The web app in headless chromium against real demos (tests/browser, also part of `make test`).
browser: deps
	@$(MAKE) --no-print-directory build
	ctest --test-dir $(BUILD) --output-on-failure -L browser

# Pictures of the app's main screens into docs/screenshots (by hand, not in CI).
screenshots: deps
	@$(MAKE) --no-print-directory build
	LATCHKEY_BINARY=$(BUILD)/src/cli/latchkey node tests/browser/screenshots.mjs

bench: deps
	@$(MAKE) --no-print-directory build
	$(BUILD)/bench/core_bench
	$(BUILD)/bench/hub_bench $(BUILD)/src/cli/latchkey
	$(BUILD)/bench/push_bench $(BUILD)/src/cli/latchkey

# A hub on http://127.0.0.1:8080 (the web app, and the API under /api/v1) and one simulated
# lock, paired over the real link; data in
# ./latchkey-data (kept across runs). `latchkey demo --script` is the scripted core walk-through.
demo: deps
	@$(MAKE) --no-print-directory build
	$(BUILD)/src/cli/latchkey demo

# A release .deb for this machine's architecture (CPack, packaging/): the stripped binary, the
# systemd units, /etc/latchkey/hub.toml and the man page, in $(BUILD)/latchkey_*.deb.
package: deps
	@$(MAKE) --no-print-directory build
	cd $(BUILD) && cpack -G DEB

# The unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer.
asan: deps
	cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DLATCHKEY_SANITIZE=ON -DLATCHKEY_UNIT_TESTS_ONLY=ON
	cmake --build build-asan -j $(JOBS)
	ctest --test-dir build-asan --output-on-failure -j $(JOBS) -L unit

# The libFuzzer targets (tests/fuzz), FUZZ_SECONDS (default 60) each, in build-fuzz with clang.
fuzz: deps
	scripts/run-fuzzers

# Before a release: each fuzz target for FUZZ_SECONDS (default an hour; 6 targets, one after
# another) on the corpus kept in tests/fuzz/corpus/<target>, which keeps what the run found,
# merged to the smallest set with the same coverage. Commit the grown corpus (tests/fuzz/README.md).
fuzz-long: deps
	FUZZ_SECONDS=$(or $(FUZZ_SECONDS),3600) FUZZ_KEEP_CORPUS=1 scripts/run-fuzzers

clean:
	rm -rf $(BUILD) build-asan
