#!/usr/bin/env bash
# Generates what Sources/MLOpsAPI/openapi.yaml defines: the Swift types and client in
# Sources/MLOpsAPI/Generated (swift-openapi-generator) and the document each role serves.
#   tools/openapi/generate.sh           write them
#   tools/openapi/generate.sh --check   fail if the committed ones differ from a fresh generation
set -euo pipefail
cd "$(dirname "$0")/../.."
spec=Sources/MLOpsAPI/openapi.yaml
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

swift build --package-path tools/openapi --product swift-openapi-generator >/dev/null
generator=$(swift build --package-path tools/openapi --show-bin-path)/swift-openapi-generator
mkdir -p "$out/MLOpsAPI/Generated"
"$generator" generate "$spec" --config Sources/MLOpsAPI/openapi-generator-config.yaml \
    --output-directory "$out/MLOpsAPI/Generated" 2>"$out/generator.log" >/dev/null || { cat "$out/generator.log" >&2; exit 1; }
grep -o "warning: .*" "$out/generator.log" >&2 || true
for role in AuthRole DataRole TrainRole PredictRole; do mkdir -p "$out/$role/Generated"; done
# Roles that implement the generated server protocol for their operations.
for role in AuthRole DataRole TrainRole; do
    config=tools/openapi/$(echo "${role%Role}" | tr '[:upper:]' '[:lower:]')-server.yaml
    "$generator" generate "$spec" --config "$config" --output-directory "$out/$role/Generated" 2>"$out/generator.log" >/dev/null ||
        { cat "$out/generator.log" >&2; exit 1; }
    grep -o "warning: .*" "$out/generator.log" >&2 || true
done
python3 tools/openapi/role_documents.py "$spec" "$out"

status=0
for directory in MLOpsAPI/Generated AuthRole/Generated DataRole/Generated TrainRole/Generated PredictRole/Generated; do
    if [ "${1:-}" = --check ]; then
        diff -r -q "$out/$directory" "Sources/$directory" >/dev/null || {
            echo "Sources/$directory is not what $spec generates: run make generate" >&2
            diff -r "$out/$directory" "Sources/$directory" | head -20 >&2
            status=1
        }
    else
        rm -rf "Sources/$directory" && mkdir -p "Sources/$directory" && cp -R "$out/$directory/." "Sources/$directory/"
    fi
done
exit $status
