# The two entry points of the README: `make demo` and `make test`.
.PHONY: demo test deps fuzz bench

deps:
	@scripts/install-deps.sh

demo: deps
	scripts/demo.sh

test: deps
	swift build --build-tests
	swift test --skip-build --skip 'BroadcasterTests|ViewerProcessTests'
	# Real client processes streaming in real time: one at a time, so that no other test
	# starves them of CPU on a small machine.
	swift test --skip-build --no-parallel --filter 'BroadcasterTests|ViewerProcessTests'
	Tests/HA/failover-netns.sh
	Tests/Net/udp-blocked-netns.sh

fuzz: deps
	scripts/fuzz.sh
