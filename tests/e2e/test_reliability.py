"""Reliability, end to end (issue 17): inputs that can be read only once (standard
input, pipes, FIFOs, <(...)), smsslab's own JSON in any key order, and what
happens on faults -- out of memory, a closed pipe, a kill -- and to file
modes. Each case names the reproducer of the issue it pins."""
import json
import os
import pathlib
import subprocess
import sys
import threading

# run_e2e.py runs as __main__: its Skip is the one the runner catches.
Skip = getattr(sys.modules["__main__"], "Skip", None)
if Skip is None:
    from run_e2e import Skip

FIX = "tests/fixtures/real-like"


def _run_doc(ctx, scenario="scenarios/anomaly-smss-wrong-parent.yaml"):
    p = ctx.tmp / "run.json"
    ctx.run("run", scenario, "-o", p, rc=0)
    return p


def _sh(ctx, script, timeout=60, stdin=None):
    """Run a bash script with $B set to the binary; returns the CompletedProcess."""
    env = dict(os.environ, B=ctx.bin)
    env.pop("NO_COLOR", None)
    return subprocess.run(["/bin/bash", "-c", script], capture_output=True, env=env,
                          cwd=ctx.tmp, timeout=timeout, input=stdin)


def _fifo_check(ctx, data, *args, timeout=30):
    """smsslab check on a named FIFO whose writer writes data and closes.
    A writer that finishes early (everything fits in the pipe) is the case
    that made a second opening of the FIFO wait forever."""
    fifo = ctx.tmp / "in.fifo"
    os.mkfifo(fifo)

    def writer():
        with open(fifo, "wb") as f:
            f.write(data)

    t = threading.Thread(target=writer, daemon=True)
    t.start()
    try:
        p = ctx.run("check", *args, fifo, timeout=timeout)
    except subprocess.TimeoutExpired:
        # Unblock the writer (if it still waits) so the thread ends.
        os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        raise AssertionError(f"check on a FIFO did not finish in {timeout} s")
    t.join(5)
    return p


def _same_check(ctx, path, got, name):
    """got (a CompletedProcess) must be check's own result on the regular file."""
    want = ctx.run("check", "--format", "json", path)
    assert got.returncode == want.returncode, \
        f"{name}: exit {got.returncode}, the file gives {want.returncode}: {got.stderr[:400]!r}"
    # Findings name their input (evidence.file): the pipe's name, not the file's.
    def findings(out):
        rows = [json.loads(l) for l in out.splitlines()]
        for r in rows:
            r.get("evidence", {}).pop("file", None)
        return rows
    assert findings(got.stdout) == findings(want.stdout), f"{name}: findings differ from the file's"


# ---- 1: detection never reads past the bytes it was given ----

def test_stdin_cut_banner_is_refused_cleanly(ctx):
    # Under AddressSanitizer this was a heap over-read (strncmp on 12 bytes).
    for data in (b"Volatility 3", b"V", b"evtxexp"):
        p = ctx.run("check", "-", stdin=data, rc=2)
        assert p.stderr.startswith(b"smsslab: <stdin>: cannot tell the input format: "), p.stderr
        assert p.stdout == b""


# ---- 2: pipes, FIFOs and <(...) are read once ----

def test_process_substitution_reads_whole_input(ctx):
    run = _run_doc(ctx)
    p = _sh(ctx, '"$B" check --format json <(cat run.json)')
    _same_check(ctx, run, p, "<(cat run.json)")
    p = _sh(ctx, 'cat run.json | "$B" check --format json /dev/stdin')
    _same_check(ctx, run, p, "/dev/stdin")


def test_fifo_with_native_json_whose_writer_left(ctx):
    # A snapshot document small enough to sit in the pipe: the writer is
    # gone before smsslab looks at it twice.
    run = json.loads(_run_doc(ctx).read_text())
    snap = dict(schema="smsslab.snapshot/1", host=run["host"], os=run["os"],
                sessions=run["sessions"], fields=run["fields"], **run["snapshots"][-1])
    path = ctx.tmp / "snap.json"
    path.write_text(json.dumps(snap) + "\n")
    assert path.stat().st_size < 60000
    p = _fifo_check(ctx, path.read_bytes(), "--format", "json")
    assert p.returncode == 1, p.stderr
    _same_check(ctx, path, p, "FIFO with a snapshot document")


def test_fifo_with_utf16_xml_does_not_hang(ctx):
    xml = (ctx.root / FIX / "sysmon_wevtutil.xml").read_text()
    path = ctx.tmp / "sysmon16.xml"
    path.write_bytes(b"\xff\xfe" + xml.encode("utf-16-le"))
    p = _fifo_check(ctx, path.read_bytes(), "--format", "json")
    assert p.returncode in (0, 1), p.stderr
    _same_check(ctx, path, p, "FIFO with UTF-16 XML")


def test_fifo_with_host_data_keeps_first_bytes(ctx):
    # More than the 64 KiB head: NXLog lines repeated.
    lines = (ctx.root / FIX / "nxlog.jsonl").read_bytes()
    path = ctx.tmp / "many.jsonl"
    path.write_bytes(lines * 40)
    assert path.stat().st_size > 65536
    p = _fifo_check(ctx, path.read_bytes(), "--format", "json")
    assert p.returncode in (0, 1), p.stderr
    _same_check(ctx, path, p, "FIFO with NDJSON")


def test_evtx_from_a_pipe_is_refused_by_name(ctx):
    data = (ctx.root / FIX / "fake.evtx").read_bytes()
    p = _sh(ctx, '"$B" check /dev/stdin', stdin=data)
    assert p.returncode == 2, p
    assert p.stderr == (b"smsslab: /dev/stdin: .evtx cannot be read from a pipe or device; "
                        b"pass the file's path\n"), p.stderr


# ---- 6: smsslab's JSON whatever the order of its keys ----

def test_native_json_with_sorted_keys_is_recognised(ctx):
    run = _run_doc(ctx, "scenarios/hard-negative-pid-reuse.yaml")  # many events
    doc = json.loads(run.read_text())
    assert list(doc).index("schema") == 0
    srt = ctx.tmp / "sorted.json"
    srt.write_text(json.dumps(doc, sort_keys=True, indent=2) + "\n")  # jq -S
    i = srt.read_text().index('"schema"')
    assert i > 65536, f"schema key at byte {i}: the test needs it past the first 64 KiB"
    want = ctx.run("check", "--format", "json", run)
    for name, p in (("file", ctx.run("check", "--format", "json", srt)),
                    ("stdin", ctx.run("check", "--format", "json", "-", stdin=srt.read_bytes())),
                    ("<()", _sh(ctx, '"$B" check --format json <(cat sorted.json)'))):
        assert p.returncode == want.returncode, f"{name}: exit {p.returncode}: {p.stderr[:300]!r}"
        assert p.stdout == want.stdout, f"{name}: findings differ"


# ---- 3: out of memory is exit 2 and leaves nothing behind ----

def test_out_of_memory_exits_2_without_temp_files(ctx):
    if ctx.variant == "san":
        raise Skip("prlimit --as cannot bound a sanitizer build (shadow memory)")
    procs = [{"pid": 8 + 4 * i, "ppid": 4, "name": "svchost.exe",
              "image": "C:\\Windows\\System32\\svchost.exe", "command_line": "svchost.exe -k x",
              "create_time": "2024-05-01T08:00:03.284512Z", "session": 0}
             for i in range(150000)]
    big = ctx.tmp / "big.json"
    big.write_text(json.dumps({"schema": "smsslab.snapshot/1", "host": "H",
                               "processes": procs}) + "\n")
    out = ctx.tmp / "out"
    out.mkdir()
    for cmd, name in (("check", "findings.json"), ("render", "tree.dot")):
        p = subprocess.run(["/usr/bin/prlimit", f"--as={150 << 20}", "--", ctx.bin, cmd, big,
                            "-o", out / name], capture_output=True, timeout=120)
        assert p.returncode == 2, f"{cmd}: exit {p.returncode}: {p.stderr[-300:]!r}"
        assert p.stderr.startswith(b"smsslab: out of memory allocating "), p.stderr[-300:]
        assert p.stderr.count(b"\n") == 1, p.stderr
        left = sorted(f.name for f in out.iterdir())
        assert not left, f"{cmd}: files left behind: {left}"


# ---- 11: a reader that leaves early gives a documented status ----

def test_closed_pipe_exits_2_not_141(ctx):
    # run writes ~107 KB: more than a pipe holds, so it writes after head left.
    p = _sh(ctx, '"$B" run | head -c 10 >/dev/null; echo "${PIPESTATUS[0]}"')
    assert p.stdout == b"2\n", f"exit {p.stdout!r} (141 = killed by SIGPIPE): {p.stderr!r}"
    assert p.stderr == b""
    # -o naming a FIFO is written in place: the same when its reader leaves.
    p = _sh(ctx, 'mkfifo f; (head -c 10 f >/dev/null &) ; "$B" run -o f; echo "$?"')
    assert p.stdout == b"2\n", f"exit {p.stdout!r}: {p.stderr!r}"


# ---- 10: output modes follow the umask and keep a replaced file's mode ----

def test_output_modes_follow_umask_and_existing_file(ctx):
    def run_with_umask(mask, out):
        subprocess.run([ctx.bin, "run", "-o", out], check=True, cwd=ctx.tmp,
                       preexec_fn=lambda: os.umask(mask))
        return out.stat().st_mode & 0o7777

    assert run_with_umask(0o077, ctx.tmp / "private.json") == 0o600
    assert run_with_umask(0o022, ctx.tmp / "public.json") == 0o644
    assert run_with_umask(0o002, ctx.tmp / "group.json") == 0o664
    kept = ctx.tmp / "kept.json"
    kept.write_text("old\n")
    for mode in (0o600, 0o640, 0o755):
        kept.chmod(mode)
        assert run_with_umask(0o022, kept) == mode, oct(mode)
    # Set-id bits of a replaced file are not carried over.
    kept.chmod(0o4755)
    assert run_with_umask(0o022, kept) == 0o755


# ---- 7: a cut or damaged .evtx is read with a warning, not silently ----

def test_cut_and_damaged_evtx_are_reported(ctx):
    src = ctx.need_real() / "evtx" / "panache_sysmon_vs_EDRTestingScript.evtx"
    data = src.read_bytes()
    chunks = int.from_bytes(data[42:44], "little")
    extent = 4096 + chunks * 65536
    assert chunks >= 2 and extent <= len(data)

    def stderr_lines(path):
        p = ctx.run("check", "--format", "json", path)
        assert p.returncode in (0, 1), p.stderr
        return [l for l in p.stderr.decode().splitlines() if ": warning: " in l]

    assert stderr_lines(src) == [], "the whole file is not damaged"
    # Ten cuts inside the chunks the header lists (the issue: 9 of 10 were
    # read silently); libevtx reads each of them without an error.
    cut = ctx.tmp / "cut.evtx"
    for i in range(10):
        at = 4096 + 65536 + i * (extent - 4096 - 65536) // 10
        cut.write_bytes(data[:at])
        got = stderr_lines(cut)
        assert len(got) == 1 and got[0].startswith(
            f"smsslab: {cut}: warning: the file is cut short: {at} of the {extent} bytes its "
            f"header describes ({chunks} chunks of records); read "), (at, got)
        assert got[0].endswith(" records, the rest are lost"), got
    # Cut inside the first chunk: nothing is left, and the error says why.
    cut.write_bytes(data[:4096 + 1000])
    p = ctx.run("check", cut, rc=2)
    assert p.stderr.decode() == (
        f"smsslab: {cut}: no process or registry records in what could be read: the file is "
        f"cut short: 5096 of the {extent} bytes its header describes ({chunks} chunks of "
        "records); read 0 records, the rest are lost\n"), p.stderr
    # A chunk whose header is overwritten: libevtx skips it and flags the file.
    zap = bytearray(data)
    zap[4096 + 65536:4096 + 65536 + 8] = bytes(8)
    bad = ctx.tmp / "zapped.evtx"
    bad.write_bytes(zap)
    got = stderr_lines(bad)
    assert len(got) == 1 and got[0].startswith(
        f"smsslab: {bad}: warning: the file is damaged: libevtx could not read all its "
        "chunks; read "), got


# ---- 12: a long CSV field costs a few reallocations, not one per 128 bytes ----

def test_csv_megabyte_fields_are_read_quickly(ctx):
    from test_hostile import _bounded
    fix = (ctx.root / FIX / "vol3_pstree.csv").read_text().splitlines()
    # Two rows whose command lines are 4 MiB: libcsv grew its buffer 128
    # bytes at a time (a 1 MiB field took 72 s under the sanitizers).
    long_rows = [r.rsplit(",", 2)[0] + ",\"" + "A" * (4 << 20) + "\"," + "x" for r in fix[1:3]]
    path = ctx.tmp / "long.csv"
    path.write_text("\n".join([fix[0], *long_rows, *fix[3:]]) + "\n")
    rc, out, err = _bounded(ctx, ["check", "--format", "json", path], max_s=3.0, max_mb=512)
    assert rc in (0, 1), err


# ---- 14: simulated strings are never cut ----

def test_long_anomaly_parameter_comes_out_whole(ctx):
    dll = "ServerDll=" + "x" * 3000 + ",5"
    scn = ctx.tmp / "long.yaml"
    scn.write_text((ctx.root / "scenarios/anomaly-subsystems-windows-changed.yaml").read_text()
                   .replace("type: subsystems-windows-changed",
                            f"type: subsystems-windows-changed\n    serverdll: \"{dll}\""))
    doc = ctx.json("run", scn, "-o", "-")
    vals = [r["data"] for s in doc["snapshots"] for r in s["registry"]
            if r["name"] == "Windows" and r.get("anomaly")]
    assert vals, "the changed Windows value is missing"
    for v in vals:
        assert v.endswith(" " + dll), f"cut to {len(v)} bytes: ...{v[-40:]!r}"


# ---- 5: Graphviz runs bounded in time and output, and dies with us ----

def _fake_dot(ctx, name, body):
    p = ctx.tmp / name
    p.write_text("#!/bin/sh\n" + body)
    p.chmod(0o755)
    return p


def _alive(pid):
    try:
        state = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def _wait_for(path, seconds=10.0):
    import time
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if path.exists() and path.read_text().strip():
            return int(path.read_text())
        time.sleep(0.05)
    raise AssertionError(f"{path} never written")


def test_graphviz_is_bounded_and_stopped_with_smsslab(ctx):
    import signal
    import time
    run = _run_doc(ctx)
    out = ctx.tmp / "out"
    out.mkdir()
    pidf = ctx.tmp / "dot.pid"
    slow = _fake_dot(ctx, "slowdot", f'cat >/dev/null; echo $$ > "{pidf}"; exec sleep 1000\n')
    t0 = time.monotonic()
    p = ctx.run("render", run, "-o", out / "t.svg", "--dot", slow, "--dot-timeout", "1", rc=2)
    assert time.monotonic() - t0 < 10
    assert p.stderr.decode() == (
        f"smsslab render: Graphviz failed: '{slow}' did not finish within 1 s and was stopped "
        "(a large tree; allow more time with --dot-timeout SECONDS, 0 for none)\n"), p.stderr
    assert not _alive(_wait_for(pidf)), "the timed-out dot still runs"
    assert not list(out.iterdir())

    spew = _fake_dot(ctx, "spewdot", "cat >/dev/null; exec yes\n")
    p = ctx.run("render", run, "-o", out / "t.svg", "--dot", spew, "--dot-max-output", "100000",
                rc=2, timeout=30)
    assert p.stderr.decode() == (
        f"smsslab render: Graphviz failed: '{spew}' wrote more than 100000 bytes and was "
        "stopped (raise the limit with --dot-max-output BYTES, 0 for none)\n"), p.stderr
    assert not list(out.iterdir())

    # SIGTERM to smsslab: dot goes too, and no temporary file stays.
    pidf.unlink()
    child = subprocess.Popen([ctx.bin, "render", run, "-o", out / "t.svg", "--dot", slow],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    dot_pid = _wait_for(pidf)
    child.send_signal(signal.SIGTERM)
    child.wait(10)
    end = time.monotonic() + 5
    while _alive(dot_pid) and time.monotonic() < end:
        time.sleep(0.05)
    assert not _alive(dot_pid), "dot outlived smsslab"
    assert not list(out.iterdir())

    # The defaults still draw a real picture.
    if subprocess.run(["/usr/bin/which", "dot"], capture_output=True).returncode == 0:
        ctx.run("render", run, "-o", out / "t.svg", rc=0)
        assert (out / "t.svg").read_bytes().lstrip().startswith(b"<?xml")


# ---- 13 (part): messages that name the real problem ----

def test_csv_header_past_the_column_cap_is_named(ctx):
    cols = [f"X{i}" for i in range(70)] + ["PID", "PPID", "ImageFileName"]
    path = ctx.tmp / "wide.csv"
    path.write_text(",".join(cols) + "\n" + ",".join(["a"] * 70 + ["4", "0", "System"]) + "\n")
    p = ctx.run("check", "--input-format", "vol3-csv", path, rc=2)
    assert p.stderr.decode() == (
        f"smsslab: {path}: row 1: 73 columns, over the limit of 64: the header must name PID "
        "and PPID within the first 64\n"), p.stderr


def test_snapshot_over_the_process_cap_names_file_and_missing_host(ctx):
    # A process listing has no host name: the refusal said "host ''" and no file.
    path = ctx.tmp / "big.csv"
    with open(path, "w") as f:
        f.write("PID,PPID,ImageFileName\n4,0,System\n")
        f.write("".join(f"{8 + 4 * i},4,x.exe\n" for i in range(200000)))
    p = ctx.run("check", "--input-format", "vol3-csv", path, rc=2)
    assert p.stderr.decode() == (
        f"smsslab: {path}: (no host name): 200001 processes in one snapshot (at most 200000)\n"
    ), p.stderr


def test_doctype_in_event_xml_is_named(ctx):
    # Behind the reader's wrapper element a DTD was libxml2's "internal error:
    # detected an error in element content".
    for i, doctype in enumerate(['<!DOCTYPE Events [<!ENTITY x "hi">]>',
                                 '<!DOCTYPE Events SYSTEM "events.dtd">']):
        path = ctx.tmp / f"dtd{i}.xml"
        path.write_text('<?xml version="1.0"?>\n<!-- exported\n by hand -->\n' + doctype +
                        "\n<Events><Event><System><EventID>1</EventID></System></Event>"
                        "</Events>\n")
        p = ctx.run("check", path, rc=2)
        assert p.stderr.decode() == (
            f"smsslab: {path}:4: event XML with a DOCTYPE (a DTD or entity declarations) is "
            "refused: Windows, wevtutil and Sysmon never write one; remove it\n"), p.stderr


def test_utf16_native_json_and_utf32_are_named(ctx):
    text = _run_doc(ctx).read_text()
    for enc, bom, name in (("utf-16-le", b"\xff\xfe", "FF FE"), ("utf-16-be", b"\xfe\xff", "FE FF")):
        path = ctx.tmp / f"run-{enc}.json"
        path.write_bytes(bom + text.encode(enc))
        p = ctx.run("check", path, rc=2)
        assert p.stderr.decode() == (
            f"smsslab: {path}: smsslab JSON saved as UTF-16 (byte-order mark {name}); smsslab "
            "reads its own JSON as UTF-8 only: convert it, e.g. iconv -f UTF-16 -t UTF-8\n"
        ), p.stderr
    for enc, name in (("utf-32-le", "FF FE 00 00"), ("utf-32-be", "00 00 FE FF")):
        path = ctx.tmp / f"run-{enc}.json"
        bom = b"\xff\xfe\0\0" if enc.endswith("le") else b"\0\0\xfe\xff"
        path.write_bytes(bom + text.encode(enc))
        p = ctx.run("check", path, rc=2)
        assert p.stderr.decode() == (
            f"smsslab: {path}: the file is UTF-32 (byte-order mark {name}); smsslab reads "
            "UTF-8 (and UTF-16LE event XML or JSON): save it as UTF-8\n"), p.stderr
