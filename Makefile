# mlopsd — common tasks. `make run` starts every role in one process on embedded defaults.
SWIFT ?= swift
ROLE ?= all

.PHONY: build test run demo release clean bench bench-roles bench-serving bench-replicas parity dvc local local-down local-ha local-ha-down up down image compose-tools compose-check k8s-check monitoring-check fuzz soak format generate

build:
	$(SWIFT) build

test:
	$(SWIFT) test

# Development server: DEBUG=true generates an ephemeral JWT secret and, on first start, an admin
# password (printed once). State goes to ./var.
run:
	DEBUG=true $(SWIFT) run mlopsd serve --role $(ROLE)

# The whole path on examples/crashes.csv with `mlopsd client`, on a throwaway server.
demo:
	bash examples/demo.sh

release:
	$(SWIFT) build -c release --product mlopsd
	@echo "binary: $$($(SWIFT) build -c release --show-bin-path)/mlopsd"

clean:
	rm -rf .build var

# Release benchmarks against the Python peers (pandas, scikit-learn, LightGBM, FastAPI in venvs),
# figures into docs/benchmarks.md.
bench:
	bash bench/run.sh
	bash bench/serving.sh
	bash bench/replicas.sh

# The predict role under wrk, direct and through nginx, beside a FastAPI peer and nginx's floor.
# The alert rules and Prometheus configuration under deploy/monitoring: syntax, and when each alert
# fires (promtool, from Debian's prometheus package).
monitoring-check:
	promtool check config deploy/monitoring/prometheus.yml
	promtool test rules deploy/monitoring/alerts-test.yml

bench-serving:
	bash bench/serving.sh

# Training throughput with one and two train replicas, predictions through the replicated edge.
bench-replicas:
	bash bench/replicas.sh

# Mixed load through nginx on the replicated topology while replicas restart (SOAK_SECONDS, 180):
# requests and errors by status, jobs, RSS over time into docs/benchmarks.md.
soak:
	bash bench/soak.sh

# The house format (.swift-format, checked in CI); generated sources keep the generator's.
SWIFT_SOURCES = find Sources Tests fuzz/targets tools -name '*.swift' -not -path '*/Generated/*' -not -path '*/.build/*'
format:
	$(SWIFT) format --in-place --parallel $$($(SWIFT_SOURCES)) Package.swift

# Types, client and each role's served document from Sources/MLOpsAPI/openapi.yaml (committed;
# CI fails when they are not current).
generate:
	bash tools/openapi/generate.sh

# libFuzzer targets (CSV reading, bundle decoding, request JSON, multipart uploads), each for
# FUZZ_SECONDS (60) from its corpus in fuzz/corpus; needs the debug build for NIO.
fuzz:
	$(SWIFT) build
	bash fuzz/run.sh

# The compose topology without Docker: four roles on 127.0.0.1:8001-8004, nginx on :8080.
local:
	bash deploy/local.sh up

local-down:
	bash deploy/local.sh down

# Two processes of every role on one PostgreSQL database (a throwaway cluster unless
# MLOPSD_DATABASE_URL is set), behind the same nginx: the replicated topology on one machine.
local-ha:
	MLOPSD_LOCAL_REPLICAS=2 MLOPSD_LOCAL_DIR=$${MLOPSD_LOCAL_DIR:-var/local-ha} bash deploy/local.sh up

local-ha-down:
	MLOPSD_LOCAL_DIR=$${MLOPSD_LOCAL_DIR:-var/local-ha} bash deploy/local.sh down

# The compose stack with Docker or Podman (CONTAINER_ENGINE=podman to choose): builds the image,
# starts four roles and nginx on 127.0.0.1:8080 and waits for them. PREDICT_REPLICAS=3 for three
# prediction replicas. Writes .env from env.example with generated secrets if there is none.
up: compose-tools
	PATH="$(CURDIR)/$(COMPOSE_VENV)/bin:$$PATH" bash deploy/stack.sh up

# Stops the stack; the volumes stay (`bash deploy/stack.sh down -v` removes them too).
down: compose-tools
	PATH="$(CURDIR)/$(COMPOSE_VENV)/bin:$$PATH" bash deploy/stack.sh down

image: compose-tools
	PATH="$(CURDIR)/$(COMPOSE_VENV)/bin:$$PATH" bash deploy/stack.sh build

# Tools for compose.yaml from PyPI: its schema checker, and podman-compose for Podman before 4.7
# (which has no `podman compose`); Debian's podman-compose 1.0 misreads `${VAR:-}`.
COMPOSE_VENV ?= .venv-compose
compose-tools:
	test -x $(COMPOSE_VENV)/bin/podman-compose || (python3 -m venv $(COMPOSE_VENV) && \
		$(COMPOSE_VENV)/bin/pip install --quiet check-jsonschema==0.39.0 pyyaml podman-compose==1.5.0)

# compose.yaml against the Compose Specification's JSON schema and the promises docs/deployment.md
# makes about it (hardening, each service only its own secrets), offline.
compose-check: compose-tools
	$(COMPOSE_VENV)/bin/check-jsonschema --builtin-schema vendor.compose-spec compose.yaml
	$(COMPOSE_VENV)/bin/python deploy/check-compose.py compose.yaml

# deploy/kubernetes rendered with kubectl's kustomize and validated offline: the Kubernetes schemas
# (kubernetes-validate) and checkov's checks.
K8S_VENV ?= .venv-k8s
k8s-check:
	test -x $(K8S_VENV)/bin/checkov || (python3 -m venv $(K8S_VENV) && \
		$(K8S_VENV)/bin/pip install --quiet kubernetes-validate==1.37.0 checkov==3.3.30)
	K8S_VENV=$(K8S_VENV) bash deploy/kubernetes/check.sh

# The data and train roles over loopback HTTP: uploads, preprocess/build-features and training jobs.
bench-roles:
	bash bench/roles.sh

# The real DVC CLI for the data-version tests: `MLOPSD_TEST_DVC=$(DVC_VENV)/bin/dvc swift test`.
DVC_VENV ?= .venv-dvc
dvc:
	test -x $(DVC_VENV)/bin/dvc || (python3 -m venv $(DVC_VENV) && $(DVC_VENV)/bin/pip install --quiet dvc==3.67.1)

# Quality parity against scikit-learn and LightGBM on the same split (fails beyond the agreed margins).
# MLOPSD_BIN names a release binary to use instead of building one.
PARITY_VENV ?= .venv-parity
parity:
	test -x $(PARITY_VENV)/bin/python || (python3 -m venv $(PARITY_VENV) && \
		$(PARITY_VENV)/bin/pip install --quiet scikit-learn==1.9.1 lightgbm==4.7.0 pandas==3.1.1)
	bin="$(MLOPSD_BIN)"; if [ -z "$$bin" ]; then $(SWIFT) build -c release --product mlopsd && \
		bin="$$($(SWIFT) build -c release --show-bin-path)/mlopsd"; fi; \
		$(PARITY_VENV)/bin/python bench/parity.py --mlopsd "$$bin" --datasets ../shared/datasets --work var/parity
