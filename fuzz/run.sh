#!/usr/bin/env bash
# Builds the libFuzzer targets with swiftc (SwiftPM's --sanitize=fuzzer links without coverage
# feedback, so the fuzzer would run blind) and runs each for a bounded time from its committed
# corpus. A crash, a sanitizer report or a broken invariant fails the run and leaves the input
# in .build/fuzz/crashes/<target>/ to be turned into a regression test.
#
#   fuzz/run.sh [target...]        targets: csv bundle json multipart (default: all)
#   FUZZ_SECONDS=60                time per target
#
# The JSON and multipart targets import NIO from the package's debug build (`swift build` first);
# the code under test is compiled here, instrumented.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
seconds=${FUZZ_SECONDS:-60}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(csv bundle json multipart)
out=$root/.build/fuzz
mkdir -p "$out"
triple=$(swiftc -print-target-info | python3 -c 'import json,sys; print(json.load(sys.stdin)["target"]["unversionedTriple"])')
debug=$root/.build/$triple/debug
flags=(-O -sanitize=fuzzer,address -parse-as-library -swift-version 6 -module-cache-path "$out/ModuleCache")
export SWIFT_BACKTRACE=enable=no  # let libFuzzer and ASan report crashes, quickly

# The -I/-Xcc flags SwiftPM compiled DataRole with: they locate NIO's Swift and C modules.
nio_flags() {
    python3 - "$root/.build/debug.yaml" "$triple" <<'PY'
import json, sys
path, triple = sys.argv[1], sys.argv[2]
key = f'"C.DataRole-{triple}-debug.module":'
lines = open(path).read().splitlines()
start = next(i for i, line in enumerate(lines) if line.strip() == key)
args = json.loads(next(l for l in lines[start:] if l.strip().startswith("args:")).split("args:", 1)[1])
keep, i = [], 0
while i < len(args):
    if args[i] in ("-I", "-Xcc"):
        keep += args[i:i + 2]; i += 2
    else:
        i += 1
print("\n".join(keep))
PY
}

# NIO and its dependencies as one archive, so the linker takes only the objects it needs.
nio_archive() {
    [ -f "$out/libnio.a" ] && [ "$out/libnio.a" -nt "$debug/NIOCore.build" ] && return
    rm -f "$out/libnio.a"
    find "$debug" -path '*.build/*.o' \
        \( -path '*/NIO*' -o -path '*/_NIO*' -o -path '*/CNIO*' -o -path '*/Atomics.build/*' \
           -o -path '*/_AtomicsShims.build/*' -o -path '*Collections*' -o -path '*/DequeModule.build/*' \
           -o -path '*/HeapModule.build/*' -o -path '*/OrderedCollections.build/*' -o -path '*/BitCollections.build/*' \
           -o -path '*/HashTreeCollections.build/*' -o -path '*/RopeModule.build/*' \) \
        ! -name 'main.swift.o' ! -name '*.swiftmodule.o' -print0 | xargs -0 ar qc "$out/libnio.a"
}

build() {
    local target=$1
    case $target in
    csv | bundle)
        if [ ! -f "$out/libMLCore.a" ] || [ -n "$(find Sources/MLCore -newer "$out/libMLCore.a" -name '*.swift')" ]; then
            swiftc "${flags[@]}" -enable-testing -module-name MLCore -emit-module -emit-module-path "$out/MLCore.swiftmodule" \
                -I Sources/CZlib -emit-library -static -o "$out/libMLCore.a" $(find Sources/MLCore -name '*.swift' | sort)
        fi
        local file=CSVReading
        [ "$target" = bundle ] && file=BundleDecoding
        swiftc "${flags[@]}" -I "$out" -I Sources/CZlib -L "$out" -lMLCore -lz fuzz/targets/$file.swift -o "$out/fuzz-$target"
        ;;
    json)
        mapfile -t nio < <(nio_flags)
        nio_archive
        swiftc "${flags[@]}" "${nio[@]}" -module-name FuzzJSON -L "$out" -lnio \
            Sources/Kernel/JSON/JSONParser.swift Sources/Kernel/JSON/JSONValue.swift Sources/Kernel/JSON/JSONWriter.swift \
            fuzz/targets/JSONParsing.swift -o "$out/fuzz-json"
        ;;
    multipart)
        mapfile -t nio < <(nio_flags)
        nio_archive
        swiftc "${flags[@]}" "${nio[@]}" -module-name FuzzMultipart -L "$out" -lnio \
            Sources/DataRole/Datasets/MultipartForm.swift fuzz/targets/MultipartParsing.swift -o "$out/fuzz-multipart"
        ;;
    *) echo "unknown fuzz target '$target' (csv bundle json multipart)" >&2; exit 2 ;;
    esac
}

failed=()
for target in "${targets[@]}"; do
    start=$SECONDS
    build "$target" 2> >(grep -v "Cannot export local symbol" >&2)
    echo "fuzz $target: built in $((SECONDS - start)) s"
    corpus=$out/corpus/$target
    crashes=$out/crashes/$target
    rm -rf "$corpus" && mkdir -p "$corpus" "$crashes"
    cp fuzz/corpus/$target/* "$corpus"/ 2>/dev/null || true
    # Inputs stay small: what the targets check does not depend on size, and small runs fast;
    # multipart's reach past its 16 KiB header limit.
    max_len=8192
    [ "$target" = multipart ] && max_len=20000
    if "$out/fuzz-$target" "$corpus" -max_total_time="$seconds" -max_len=$max_len -rss_limit_mb=2048 -timeout=10 \
        -artifact_prefix="$crashes/" -print_final_stats=1 > "$out/$target.log" 2>&1; then
        echo "fuzz $target: $(grep -E '^stat::number_of_executed_units' "$out/$target.log" | awk '{print $2}') executions," \
            "corpus $(ls "$corpus" | wc -l) inputs, no crash ($seconds s)"
    else
        echo "fuzz $target: FAILED — input and log in $crashes, $out/$target.log" >&2
        grep -E 'ERROR|Fatal error|precondition|SUMMARY' "$out/$target.log" | head -5 >&2
        failed+=("$target")
    fi
done
[ ${#failed[@]} -eq 0 ] || { echo "fuzz: crashes in ${failed[*]}" >&2; exit 1; }
