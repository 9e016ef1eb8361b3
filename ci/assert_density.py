#!/usr/bin/env python3
"""Assertion density of a crate's non-test code: assertions per function.

Counts, in every `.rs` file under the given source directories (default: core/src):
  functions  - lines declaring `fn NAME` (free functions, methods, trait items with bodies
               or not), outside test code;
  assertions - uses of `assert!`, `assert_eq!`, `assert_ne!` and their `debug_` forms,
               outside test code.
Test code is skipped: files named `tests.rs` or under a `tests/` directory, and everything
from a `#[cfg(test)]` attribute to the end of its file (the project keeps test modules last).
Prints one line per directory and a total; `--min R` exits 1 when assertions/functions < R.
"""
import pathlib
import re
import sys

FN = re.compile(r"^\s*(pub(\([^)]*\))?\s+)?(const\s+)?(async\s+)?(unsafe\s+)?fn\s+\w+")
ASSERT = re.compile(r"\b(debug_)?assert(_eq|_ne)?!\s*\(")


def count_file(path):
    fns = asserts = 0
    for line in path.read_text().splitlines():
        if line.strip().startswith("#[cfg(test)]"):
            break
        stripped = line.strip()
        if stripped.startswith("//"):
            continue
        if FN.match(line):
            fns += 1
        asserts += len(ASSERT.findall(line))
    return fns, asserts


def main(argv):
    minimum = None
    if "--min" in argv:
        i = argv.index("--min")
        minimum = float(argv[i + 1])
        argv = argv[:i] + argv[i + 2:]
    roots = argv or ["core/src"]
    total_fns = total_asserts = 0
    for root in roots:
        fns = asserts = 0
        for path in sorted(pathlib.Path(root).rglob("*.rs")):
            if path.name == "tests.rs" or "tests" in path.parts:
                continue
            f, a = count_file(path)
            fns += f
            asserts += a
        print(f"{root}: {asserts} assertions in {fns} functions "
              f"({asserts / max(fns, 1):.2f} per function)")
        total_fns += fns
        total_asserts += asserts
    ratio = total_asserts / max(total_fns, 1)
    print(f"total: {total_asserts} assertions in {total_fns} functions ({ratio:.2f} per function)")
    if minimum is not None and ratio < minimum:
        print(f"below the minimum of {minimum} per function", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
