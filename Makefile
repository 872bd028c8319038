# The two entry points of the README: `make demo` and `make test`.
.PHONY: demo test deps fuzz bench

deps:
	@scripts/install-deps.sh

demo: deps
	scripts/demo.sh

test: deps
	swift build --build-tests
	swift test --skip-build
	Tests/HA/failover-netns.sh
	Tests/Net/udp-blocked-netns.sh

fuzz: deps
	scripts/fuzz.sh
