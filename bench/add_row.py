"""Adds a row to the first table of docs/benchmarks.md (the peer comparisons), after its last
row, so later sections of the file stay where they are."""
import sys

path, row = sys.argv[1], sys.argv[2]
lines = open(path).read().split("\n")
first = next(i for i, line in enumerate(lines) if line.startswith("|"))
last = first
while last + 1 < len(lines) and lines[last + 1].startswith("|"):
    last += 1
lines.insert(last + 1, row)
open(path, "w").write("\n".join(lines))
