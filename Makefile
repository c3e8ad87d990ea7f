# mlopsd — common tasks. `make run` starts every role in one process on embedded defaults.
SWIFT ?= swift
ROLE ?= all

.PHONY: build test run release clean bench

build:
	$(SWIFT) build

test:
	$(SWIFT) test

# Development server: DEBUG=true generates an ephemeral JWT secret and, on first start, an admin
# password (printed once). State goes to ./var.
run:
	DEBUG=true $(SWIFT) run mlopsd serve --role $(ROLE)

release:
	$(SWIFT) build -c release --product mlopsd
	@echo "binary: $$($(SWIFT) build -c release --show-bin-path)/mlopsd"

clean:
	rm -rf .build var

# Release benchmarks against the Python peers (pandas in a venv), figures into docs/benchmarks.md.
bench:
	bash bench/run.sh
