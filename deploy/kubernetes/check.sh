#!/usr/bin/env bash
# `make k8s-check`: renders the base and every overlay with kubectl's kustomize, validates each
# resource against the Kubernetes schemas (kubernetes-validate, strict) and runs checkov's
# Kubernetes checks (checkov.yaml says which are left out). Offline: no cluster, no downloads.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=${K8S_VENV:-.venv-k8s}
command -v kubectl >/dev/null || { echo "k8s-check: needs kubectl (1.21 or later: kustomize v4+)" >&2; exit 2; }
work=$(mktemp -d)
created=()
cleanup() {
    rm -rf "$work"
    for file in "${created[@]}"; do rm -f "$file"; done
}
trap cleanup EXIT

# The dev overlay reads its secrets from files that are never committed; stand-ins for rendering.
stand_in=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
for pair in jwt.env:JWT_SECRET_KEY=$stand_in admin.env:ADMIN_PASSWORD=$stand_in postgres.env:POSTGRES_PASSWORD=$stand_in \
    "database.env:MLOPSD_DATABASE_URL=postgres://mlopsd:$stand_in@postgres:5432/mlopsd?sslmode=disable"; do
    file=deploy/kubernetes/overlays/dev/${pair%%:*}
    if [ ! -f "$file" ]; then
        echo "${pair#*:}" >"$file"
        created+=("$file")
    fi
done

render() { # kustomization-directory output
    kubectl kustomize --load-restrictor LoadRestrictionsNone "$1" >"$2"
    "$venv/bin/kubernetes-validate" --strict --quiet "$2"
}

# The base leaves the namespace to its overlays, so checkov (which refuses `default`) sees those.
render deploy/kubernetes/base "$work/base.yaml"
echo "k8s-check: base: $(grep -c '^kind:' "$work/base.yaml") resources valid"
for overlay in deploy/kubernetes/overlays/*/; do
    name=$(basename "$overlay")
    render "$overlay" "$work/$name.yaml"
    "$venv/bin/checkov" --config-file deploy/kubernetes/checkov.yaml -f "$work/$name.yaml" >"$work/$name.checkov" \
        || { cat "$work/$name.checkov"; exit 1; }
    echo "k8s-check: $name: $(grep -c '^kind:' "$work/$name.yaml") resources valid;" \
        "checkov $(grep -o 'Passed checks: [0-9]*, Failed checks: [0-9]*' "$work/$name.checkov")"
done
