"""Writes a synthetic flight-delay regression set with high-cardinality categoricals, for parity
and the boosting benchmark: `python bench/make_flights.py OUT.csv [ROWS]` (default 200,000 rows,
fixed seed, so every run sees the same file).

Delay depends on the origin and destination airports (240 each), the carrier (18), the hour and
the month, with effects drawn at random: category codes carry no order, so a model that splits
codes by threshold needs many splits where one split on a category set would do. Distance follows
from the airport pair; 2% of carriers and 3% of distances are missing.
"""
import sys

import numpy as np

rows = int(sys.argv[2]) if len(sys.argv) > 2 else 200_000
rng = np.random.default_rng(20261130)
airports = [f"A{code:03d}" for code in range(240)]
carriers = [f"C{code:02d}" for code in range(18)]
position = rng.uniform(0, 3000, size=(len(airports), 2))
origin_effect = rng.normal(0, 12, len(airports))
destination_effect = rng.normal(0, 8, len(airports))
carrier_effect = rng.normal(0, 10, len(carriers))
carrier_evening = rng.normal(0, 6, len(carriers))
month_effect = rng.normal(0, 4, 12)

# Busy airports are busier: a Zipf-like share of the rows.
weights = 1 / np.arange(1, len(airports) + 1) ** 0.8
weights /= weights.sum()
origin = rng.choice(len(airports), size=rows, p=weights)
destination = rng.choice(len(airports), size=rows, p=weights)
carrier = rng.integers(0, len(carriers), size=rows)
hour = rng.integers(5, 24, size=rows)
month = rng.integers(1, 13, size=rows)
distance = np.linalg.norm(position[origin] - position[destination], axis=1) + 50
evening = (hour >= 17).astype(float)
delay = (
    origin_effect[origin]
    + destination_effect[destination]
    + carrier_effect[carrier]
    + carrier_evening[carrier] * evening
    + month_effect[month - 1]
    + 0.8 * (hour - 5)
    + 0.004 * distance
    + rng.normal(0, 10, rows)
)

carrier_text = np.array(carriers, dtype=object)[carrier]
carrier_text[rng.random(rows) < 0.02] = ""
distance_text = np.char.mod("%.1f", distance).astype(object)
distance_text[rng.random(rows) < 0.03] = ""
with open(sys.argv[1], "w") as out:
    out.write("origin,destination,carrier,hour,month,distance,delay\n")
    for row in range(rows):
        out.write(f"{airports[origin[row]]},{airports[destination[row]]},{carrier_text[row]},{hour[row]},{month[row]},"
                  f"{distance_text[row]},{delay[row]:.2f}\n")
