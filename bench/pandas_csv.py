"""pandas.read_csv timed the same way as `mlopsd-bench csv`: one warm-up, then the median of N runs."""
import json
import os
import statistics
import sys
import time

import pandas as pd

path = sys.argv[1]
iterations = int(sys.argv[2]) if len(sys.argv) > 2 else 20
rows = len(pd.read_csv(path))
samples = []
for _ in range(iterations):
    start = time.perf_counter()
    pd.read_csv(path)
    samples.append((time.perf_counter() - start) * 1000)
samples.sort()
print(json.dumps({
    "name": "csv_read_infer",
    "implementation": f"pandas {pd.__version__}",
    "file": os.path.basename(path),
    "rows": rows,
    "median_ms": round(samples[len(samples) // 2], 3),
    "min_ms": round(samples[0], 3),
}))
