#!/usr/bin/python3
"""End-to-end tests: run the real smsslab binary and assert on its outputs.

Discovers tests/e2e/test_*.py; every function named test_* is called with a
Ctx (binary path, a fresh temp dir, helpers). Raise Skip(reason) to skip
(only for a missing optional resource such as ../shared/real). Standard
library only, plus python3-jsonschema for schema validation.
Usage: run_e2e.py --bin build/release/smsslab [-k PATTERN]
"""
import argparse
import importlib.util
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import traceback

ROOT = pathlib.Path(__file__).resolve().parents[2]


class Skip(Exception):
    pass


class Ctx:
    def __init__(self, binary, variant, tmp):
        self.bin = str(binary)
        self.variant = variant
        self.tmp = pathlib.Path(tmp)
        self.root = ROOT
        real = ROOT.parent / "shared" / "real"
        self.real = real if real.is_dir() else None

    def run(self, *args, stdin=None, rc=None, env=None, timeout=120):
        """Run smsslab ARGS; assert the exit code when rc is given."""
        e = dict(os.environ)
        e.pop("NO_COLOR", None)
        if env:
            e.update(env)
        p = subprocess.run([self.bin, *map(str, args)], input=stdin, capture_output=True,
                           env=e, timeout=timeout, cwd=self.root)
        if rc is not None and p.returncode != rc:
            raise AssertionError(
                f"smsslab {' '.join(map(str, args))}: exit {p.returncode}, expected {rc}\n"
                f"stderr: {p.stderr.decode(errors='replace')[:2000]}")
        return p

    def json(self, *args, rc=0):
        """Run and parse stdout as one JSON document."""
        return json.loads(self.run(*args, rc=rc).stdout)

    def need_real(self):
        if self.real is None:
            raise Skip("../shared/real is not present")
        return self.real


def load_tests(pattern):
    for path in sorted((ROOT / "tests" / "e2e").glob("test_*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[path.stem] = mod
        spec.loader.exec_module(mod)
        for name in sorted(dir(mod)):
            if name.startswith("test_") and callable(getattr(mod, name)):
                full = f"{path.stem}.{name}"
                if not pattern or pattern in full:
                    yield full, getattr(mod, name)


def sanitizer_options():
    """Run directly (not through make), a sanitizer build needs the options
    the Makefile exports to every child: take them from the Makefile, so
    there is one place that sets them. Options already set are kept."""
    for line in (ROOT / "Makefile").read_text().splitlines():
        line = line.strip()
        for name in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
            head = f"export {name} ?= "
            if line.startswith(head):
                os.environ.setdefault(name, line[len(head):])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--variant", help="release, debug or san (default: the --bin folder's name "
                    "when it is one of them, else release)")
    ap.add_argument("-k", dest="pattern")
    a = ap.parse_args()
    if not a.variant:
        folder = pathlib.Path(a.bin).parent.name
        a.variant = folder if folder in ("release", "debug", "san") else "release"
    if a.variant == "san":
        sanitizer_options()
    sys.path.insert(0, str(ROOT / "tests" / "e2e"))
    failed = skipped = passed = 0
    for full, fn in load_tests(a.pattern):
        with tempfile.TemporaryDirectory(prefix="smsslab-e2e-") as tmp:
            try:
                fn(Ctx(pathlib.Path(a.bin).resolve(), a.variant, tmp))
                passed += 1
                print(f"PASS {full}")
            except Skip as s:
                skipped += 1
                print(f"SKIP {full}: {s}")
            except Exception:
                failed += 1
                print(f"FAIL {full}")
                traceback.print_exc()
    print(f"e2e: {passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
