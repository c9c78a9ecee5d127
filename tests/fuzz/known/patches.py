"""Known hostile inputs for the EVTX reader, kept as patches.

The fuzzer found them by mutating public .evtx logs in ../shared/real, which
must not be copied into the project. Each NAME.patch.json holds only the
differences from its base log: runs of bytes [offset, "hex"] and runs of
zeros [offset, "z", length]. build() recreates the input when the base log is
present (and its SHA-256 matches); tests skip otherwise.

    python3 tests/fuzz/known/patches.py make NAME BASE.evtx INPUT.evtx  # store
    python3 tests/fuzz/known/patches.py build NAME REAL_DIR OUT.evtx    # rebuild
"""
import hashlib
import json
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent


def make(name, base_path, input_path, base_rel):
    base = pathlib.Path(base_path).read_bytes()
    data = pathlib.Path(input_path).read_bytes()
    runs, i = [], 0
    while i < len(data):
        if i < len(base) and data[i] == base[i]:
            i += 1
            continue
        j = i
        while j < len(data) and not (j < len(base) and data[j] == base[j]):
            j += 1
        seg = data[i:j]
        runs.append([i, "z", len(seg)] if not any(seg) else [i, seg.hex()])
        i = j
    doc = {"base": base_rel, "base_sha256": hashlib.sha256(base).hexdigest(),
           "size": len(data), "runs": runs}
    (HERE / f"{name}.patch.json").write_text(json.dumps(doc, indent=0) + "\n")
    return doc


def build(name, real_dir, out_path):
    """Write the input to out_path; False when the base log is missing or differs."""
    doc = json.loads((HERE / f"{name}.patch.json").read_text())
    base_p = pathlib.Path(real_dir) / doc["base"]
    if not base_p.is_file():
        return False
    base = base_p.read_bytes()
    if hashlib.sha256(base).hexdigest() != doc["base_sha256"]:
        return False
    data = bytearray(base[:doc["size"]].ljust(doc["size"], b"\0"))
    for run in doc["runs"]:
        if run[1] == "z":
            data[run[0]:run[0] + run[2]] = bytes(run[2])
        else:
            seg = bytes.fromhex(run[1])
            data[run[0]:run[0] + len(seg)] = seg
    pathlib.Path(out_path).write_bytes(bytes(data))
    return True


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "make":
        d = make(sys.argv[2], sys.argv[3], sys.argv[4],
                 "evtx/" + pathlib.Path(sys.argv[3]).name)
        print(f"{sys.argv[2]}: {len(d['runs'])} runs")
    elif len(sys.argv) == 5 and sys.argv[1] == "build":
        sys.exit(0 if build(sys.argv[2], sys.argv[3], sys.argv[4]) else 1)
    else:
        sys.exit(__doc__)
