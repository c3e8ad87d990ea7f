# Sourced by the bench scripts: `measure LABEL URL BODY-FILE CONNECTIONS` runs wrk (2 threads,
# $DURATION) posting the body with $WRK_TOKEN and prints one JSON line: requests/s, p50 and p99 in
# ms, non-2xx responses and socket errors.
measure() {
    local out
    out=$(WRK_BODY_FILE=$3 wrk -t2 -c"$4" -d"$DURATION" --latency -s bench/wrk_post.lua "$2")
    LABEL=$1 python3 -c '
import os, re, sys, json
text = sys.stdin.read()
def ms(token):
    value, unit = re.match(r"([\d.]+)(us|ms|s)", token).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
p50 = ms(re.search(r"^\s+50%\s+(\S+)", text, re.M).group(1))
p99 = ms(re.search(r"^\s+99%\s+(\S+)", text, re.M).group(1))
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
errors = re.search(r"Socket errors: (.*)", text)
print(json.dumps({"label": os.environ["LABEL"], "rps": rps, "p50": p50, "p99": p99,
                  "non2xx": int(bad.group(1)) if bad else 0, "socket_errors": errors.group(1) if errors else ""}))' <<<"$out"
}
