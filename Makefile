# The two entry points of the README: `make demo` and `make test`.
.PHONY: demo test deps fuzz bench

deps:
	@scripts/install-deps.sh

demo: deps
	scripts/demo.sh

test:
	scripts/test.sh

fuzz: deps
	scripts/fuzz.sh
