#!/usr/bin/python3
"""Determinism across compilers: smsslab built with gcc and with clang must
write byte-identical output for the same input -- every scenario in
scenarios/ with its own seed and three overrides, through `run`, `check
--format json` and `render` (DOT), and a corpus in every format that draws
every anomaly type (each file of it). A difference means output depends on
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
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
SEEDS = ["1", "42", "18446744073709551615"]
# Enough samples that every anomaly type is drawn several times at rate 1.
CORPUS_N = 400


# The C++ compiler of each (snap/sjson.cpp, simdjson).
CXX = {"gcc": "g++", "clang": "clang++"}


def build(cc):
    o = f"build/compilers/{cc}"
    subprocess.run(["make", "--no-print-directory", "-s", f"-j{os.cpu_count() or 2}",
                    f"O={o}", "VARIANT=release", f"CC={cc}", f"CXX={CXX[cc]}", "all"], cwd=ROOT,
                   check=True)
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
    # The run document read back (the simdjson path of snap/sjson.cpp).
    p = subprocess.run([str(binary), "check", "--format", "json", "-"], cwd=ROOT,
                       input=res[0][1], capture_output=True, timeout=120)
    if p.returncode not in (0, 1):
        raise SystemExit(f"{binary} check -: exit {p.returncode}: "
                         f"{p.stderr.decode(errors='replace')[:500]}")
    res.append(("check-run", p.stdout))
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default=",".join(SEEDS))
    a = ap.parse_args()
    for cc in ("gcc", "clang"):
        if not shutil.which(cc) or not shutil.which(CXX[cc]):
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
    # corpus draws its own scenarios (corpus/gen.c): every anomaly type, all
    # formats, a few seeds.
    with tempfile.TemporaryDirectory(prefix="smsslab-compilers-") as tmp:
        for seed in seeds[1:]:
            trees = {}
            for cc, binary in bins.items():
                out = pathlib.Path(tmp) / f"{cc}-{seed}"
                p = subprocess.run([str(binary), "corpus", "-n", str(CORPUS_N), "--seed", seed,
                                    "--anomaly-rate", "1", "--per-file", "50", "-q",
                                    "--formats", "all,hive,security-xml,security-evtx",
                                    "-o", str(out)], cwd=ROOT, capture_output=True, timeout=300)
                if p.returncode != 0:
                    raise SystemExit(f"{binary} corpus --seed {seed}: exit {p.returncode}: "
                                     f"{p.stderr.decode(errors='replace')[:500]}")
                trees[cc] = {str(f.relative_to(out)): f.read_bytes()
                             for f in sorted(out.rglob("*")) if f.is_file()}
            g, c = trees["gcc"], trees["clang"]
            if sorted(g) != sorted(c):
                diffs += 1
                print(f"DIFF corpus seed={seed}: files differ: {sorted(set(g) ^ set(c))}")
            for name in sorted(set(g) & set(c)):
                compared += 1
                if g[name] != c[name]:
                    diffs += 1
                    at = next((i for i, (x, y) in enumerate(zip(g[name], c[name])) if x != y),
                              min(len(g[name]), len(c[name])))
                    print(f"DIFF corpus seed={seed} {name}: first difference at byte {at}: "
                          f"gcc {g[name][at:at + 60]!r} clang {c[name][at:at + 60]!r}")
    print(f"compilers: {compared} outputs compared over {len(scenarios)} scenarios x "
          f"{len(seeds)} seeds and {len(seeds) - 1} corpora of {CORPUS_N} samples, "
          f"{diffs} different")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
