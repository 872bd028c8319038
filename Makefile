# The two entry points of the README: `make demo` and `make test`.
.PHONY: demo test deps fuzz bench

deps:
	@scripts/install-deps.sh

demo: deps
	swift build -c release --product avserver
	.build/release/avserver all

test: deps
	swift build --build-tests
	swift test --skip-build
	Tests/HA/failover-netns.sh

fuzz: deps
	scripts/fuzz.sh
