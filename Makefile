# mlopsd — common tasks. `make run` starts every role in one process on embedded defaults.
SWIFT ?= swift
ROLE ?= all

.PHONY: build test run release clean bench bench-roles parity dvc

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

# The data and train roles over loopback HTTP: uploads, preprocess/build-features and training jobs.
bench-roles:
	bash bench/roles.sh

# The real DVC CLI for the data-version tests: `MLOPSD_TEST_DVC=$(DVC_VENV)/bin/dvc swift test`.
DVC_VENV ?= .venv-dvc
dvc:
	test -x $(DVC_VENV)/bin/dvc || (python3 -m venv $(DVC_VENV) && $(DVC_VENV)/bin/pip install --quiet dvc==3.67.1)

# Quality parity against scikit-learn and LightGBM on the same split (fails beyond the agreed margins).
PARITY_VENV ?= .venv-parity
parity:
	test -x $(PARITY_VENV)/bin/python || (python3 -m venv $(PARITY_VENV) && \
		$(PARITY_VENV)/bin/pip install --quiet scikit-learn==1.9.1 lightgbm==4.7.0 pandas==3.1.1)
	$(SWIFT) build -c release --product mlopsd
	$(PARITY_VENV)/bin/python bench/parity.py --mlopsd "$$($(SWIFT) build -c release --show-bin-path)/mlopsd" --datasets ../shared/datasets --work var/parity
