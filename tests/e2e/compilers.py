#!/usr/bin/python3
"""Determinism across compilers: smsslab built with gcc and with clang must
write byte-identical output for the same input -- every scenario in
scenarios/ with its own seed and three overrides, through `run`, `check
--format json` and `render` (DOT). A difference means output depends on
something a compiler may choose: evaluation order, floating point
contraction, uninitialised padding, qsort on equal keys.

Run by `make test-compilers` (not by `make test`: it builds twice, about a
minute on two cores). Builds go to build/compilers/{gcc,clang}, reused when
up to date. Exit 0 when identical, 1 on any difference (the first differing
byte is printed), 2 when a compiler is missing.
Usage: tests/e2e/compilers.py [--seeds 1,42,...]
"""
import argparse
import os
import pathlib
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
SEEDS = ["1", "42", "18446744073709551615"]


def build(cc):
    o = f"build/compilers/{cc}"
    subprocess.run(["make", "--no-print-directory", "-s", f"-j{os.cpu_count() or 2}",
                    f"O={o}", "VARIANT=release", f"CC={cc}", "all"], cwd=ROOT, check=True)
    return ROOT / o / "smsslab"


def outputs(binary, scenario, seed):
    """(label, bytes) for each command's output on one scenario and seed."""
    seed_args = ["--seed", seed] if seed else []
    res = []
    for label, args, ok in (("run", ["run", *seed_args, "-o", "-", scenario], (0,)),
                            ("check", ["check", "--format", "json", *seed_args, scenario],
                             (0, 1)),
                            ("render", ["render", *seed_args, "-o", "-", scenario], (0,))):
        p = subprocess.run([str(binary), *args], cwd=ROOT, capture_output=True, timeout=120)
        if p.returncode not in ok:
            raise SystemExit(f"{binary} {' '.join(args)}: exit {p.returncode}: "
                             f"{p.stderr.decode(errors='replace')[:500]}")
        res.append((label, p.stdout))
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default=",".join(SEEDS))
    a = ap.parse_args()
    for cc in ("gcc", "clang"):
        if not shutil.which(cc):
            print(f"compilers: '{cc}' is not installed", file=sys.stderr)
            return 2
    bins = {cc: build(cc) for cc in ("gcc", "clang")}
    seeds = [""] + [s for s in a.seeds.split(",") if s]
    scenarios = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "scenarios").glob("*.yaml"))
    compared = diffs = 0
    for scn in scenarios:
        for seed in seeds:
            g = outputs(bins["gcc"], scn, seed)
            c = outputs(bins["clang"], scn, seed)
            for (label, gb), (_, cb) in zip(g, c):
                compared += 1
                if gb != cb:
                    diffs += 1
                    at = next((i for i, (x, y) in enumerate(zip(gb, cb)) if x != y),
                              min(len(gb), len(cb)))
                    print(f"DIFF {label} {scn} seed={seed or 'own'}: first difference at byte "
                          f"{at}: gcc {gb[at:at + 60]!r} clang {cb[at:at + 60]!r}")
    print(f"compilers: {compared} outputs compared over {len(scenarios)} scenarios x "
          f"{len(seeds)} seeds, {diffs} different")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
