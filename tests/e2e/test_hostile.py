"""Hostile input, end to end: files a stranger controls go through smsslab
run, check and render (and the real-data readers), and each case asserts the
exact outcome -- the one located error line, exit 2, nothing on stdout, no
output file and no temporary file left behind when -o was given -- within a
time bound and a memory bound (ru_maxrss of the child, plus prlimit --as
outside sanitizer builds, whose shadow memory needs terabytes of address
space). Output safety: hostile names and command lines come out of JSON,
DOT and Graphviz intact and cannot inject keys, nodes or attributes.

The bad-scenario messages of test_scenario_errors.py are not repeated here;
this file adds the other commands, the readers and the resource bounds."""
import json
import os
import pathlib
import signal
import subprocess
import threading
import time

from run_e2e import Skip

SNAP = "smsslab.snapshot/1"


# ru_maxrss survives fork and exec on Linux, so a child of this (large)
# Python process would report our RSS as its own. A fresh, small Python
# forks the command instead and reports the grandchild's peak alone.
_RSS_HELPER = r"""
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, st, ru = os.wait4(pid, 0)
with open(sys.argv[1], "w") as f:
    f.write(str(ru.ru_maxrss))
code = os.waitstatus_to_exitcode(st)
sys.exit(code if code >= 0 else 128 - code)
"""


def _bounded(ctx, args, max_s=10.0, max_mb=512, as_limit=True):
    """Run smsslab ARGS under a time and memory bound. Returns (rc, out, err).
    as_limit=False measures smsslab's own defences without prlimit's."""
    san = ctx.variant == "san"
    cmd = [ctx.bin, *map(str, args)]
    if not san and as_limit:
        cmd = ["/usr/bin/prlimit", f"--as={(max_mb + 256) << 20}", "--"] + cmd
    rss_p, out_p, err_p = ctx.tmp / ".maxrss", ctx.tmp / ".stdout", ctx.tmp / ".stderr"
    limit_s = max_s * (4 if san else 1)
    with open(out_p, "wb") as so, open(err_p, "wb") as se:
        t0 = time.monotonic()
        p = subprocess.Popen(["/usr/bin/python3", "-c", _RSS_HELPER, str(rss_p), *cmd],
                             stdin=subprocess.DEVNULL, stdout=so, stderr=se, cwd=ctx.root,
                             start_new_session=True)
        try:
            p.wait(timeout=limit_s + 5)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        took = time.monotonic() - t0
    assert took < limit_s, f"{args}: took {took:.2f} s (bound {limit_s} s)"
    rss_mb = int(rss_p.read_text()) / 1024
    limit_mb = max_mb * (4 if san else 1)
    assert rss_mb < limit_mb, f"{args}: peak RSS {rss_mb:.0f} MB (bound {limit_mb} MB)"
    err = err_p.read_bytes().decode(errors="replace")
    if san:  # ASan's note when allocator_may_return_null turns a huge allocation into NULL
        err = "".join(l for l in err.splitlines(True)
                      if "WARNING: AddressSanitizer failed to allocate" not in l)
    return p.returncode, out_p.read_bytes(), err


def _refused(ctx, cmd, path, want, max_s=10.0, max_mb=512, extra=(), as_limit=True):
    """cmd ("check", "render", "run") on path must fail with exactly the line
    "smsslab: " + want (want may use {f} for the path), exit 2, and leave no
    output or temporary file in the output folder."""
    outdir = ctx.tmp / f"out-{cmd}-{pathlib.Path(path).stem}"
    outdir.mkdir()
    out = outdir / ("tree.svg" if cmd == "render" else "out.json")
    rc, stdout, err = _bounded(ctx, [cmd, *extra, "-o", out, path], max_s, max_mb, as_limit)
    line = "smsslab: " + want.format(f=path)
    assert rc == 2, f"{cmd} {path}: exit {rc}, stderr {err[:500]!r}"
    assert err == line + "\n", f"{cmd} {path}:\n got  {err[:600]!r}\n want {line!r}"
    assert stdout == b"", f"{cmd} {path}: stdout not empty"
    left = sorted(f.name for f in outdir.iterdir())
    assert not left, f"{cmd} {path}: files left behind: {left}"


def _write(ctx, name, data):
    p = ctx.tmp / name
    p.write_bytes(data if isinstance(data, bytes) else data.encode())
    return p


def _snapdoc(procs, **extra):
    d = {"schema": SNAP, "processes": procs}
    d.update(extra)
    return json.dumps(d)


UNKNOWN_FMT = ("{f}: cannot tell the input format: expected an .evtx file (ElfFile signature), "
               "a SYSTEM or SOFTWARE registry hive (regf), "
               "event XML (<Event>), NDJSON (NXLog or ECS, one object per line), Volatility 3 "
               "CSV (PID,PPID header) or JSON, Get-CimInstance Win32_Process JSON, or smsslab "
               "JSON; use --input-format (auto, evtx, xml, nxlog, ecs, ndjson, vol3-csv, "
               "vol3-json, vol3-jsonl, cim-json, json, hive)")


# ---- run: the scenario cases test_scenario_errors.py leaves out ----

def test_run_refuses_hostile_scenarios(ctx):
    cases = [
        ("truncated", b"name: x\nsessions:\n  - id: 2\n    user: CO",
         "{f}:3:5: session 2 needs a 'connect' or 'logon' time"),
        ("binary", bytes(range(256)) * 16,
         "{f}:1:1: NUL byte in the input: a scenario is UTF-8 text"),
        ("long_string", b"description: " + b"A" * (1 << 20) + b"\n",
         "{f}:1:14: 'description' is 1048576 bytes long, over the limit of 4096"),
        ("long_name", b"name: \"" + b"A" * 300 + b"\"\n",
         "{f}:1:7: 'name' is 300 bytes long, over the limit of 256"),
        ("nul_escape", b"name: \"a\\0b\"\n", "{f}:1:7: 'name' contains a NUL byte"),
        ("control_char", b"sessions: [{id: 2, user: \"a\\nb\", logon: 3s}]\n",
         "{f}:1:26: 'user' contains a control character (byte 0x0a)"),
        ("bad_utf8_name", b"name: \xc3\x28\n",
         "{f}:1:8: invalid trailing UTF-8 octet (byte 0x28): a scenario is UTF-8 text"),
        ("duplicate_key", b"name: a\nname: b\n", "{f}:2:1: duplicate key 'name' (first at 1:1)"),
        ("huge_seed", b"seed: 184467440737095516160000\n",
         "{f}:1:7: 'seed' value '184467440737095516160000' is out of range "
         "(0..18446744073709551615)"),
        ("negative_seed", b"seed: -1\n",
         "{f}:1:7: 'seed' value '-1' is out of range (0..18446744073709551615)"),
        ("huge_session_id", b"sessions: [{id: 70000, user: a, logon: 1s}]\n",
         "{f}:1:17: 'id' value '70000' is out of range (0..65535)"),
        ("negative_time", b"sessions: [{id: 2, user: a, logon: -5s}]\n",
         "{f}:1:36: 'logon' has a bad duration '-5s': use a number and units from large to "
         "small, e.g. '250ms', '30s', '2h', '1h30m' (units d h m s ms us)"),
        ("overflow_time", b"duration: 99999999999999999999d\n",
         "{f}:1:11: 'duration' has a bad duration '99999999999999999999d': use a number and "
         "units from large to small, e.g. '250ms', '30s', '2h', '1h30m' (units d h m s ms us)"),
        ("past_limit_time", b"duration: 367d\n",
         "{f}:1:11: 'duration' value '367d' is past the limit of 366d"),
        ("snapshot_past_limit", b"snapshots: [1d, 400d]\n",
         "{f}:1:17: 'snapshots' value '400d' is past the limit of 366d"),
        ("boot_before_1970", b"boot_time: 1600-01-01T00:00:00Z\n",
         "{f}:1:12: 'boot_time' '1600-01-01T00:00:00Z' is not an ISO 8601 UTC time between "
         "1970 and 9999 (e.g. '2024-05-01T08:00:00Z')"),
        ("boot_near_10000", b"boot_time: 9999-12-31T23:59:59Z\nduration: 366d\n",
         "{f}:1:12: 'boot_time' is too late: the simulation must end before the year 10000 "
         "(allow 366 days, or set a shorter 'duration')"),
    ]
    for name, data, want in cases:
        _refused(ctx, "run", _write(ctx, name + ".yaml", data), want, max_s=5, max_mb=128)


def test_run_deep_and_wide_scenarios_stay_small(ctx):
    # A million nesting levels: libyaml alone would take minutes (quadratic).
    deep = _write(ctx, "deep.yaml", b"name: " + b"[" * 1000000 + b"]" * 1000000 + b"\n")
    _refused(ctx, "run", deep, "{f}:1:7: 'name' must be a string, not a list", 3, 128)
    laughs = b"description: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    for c in "bcdefghi":
        prev = chr(ord(c) - 1)
        laughs += f"x{c}: &{c} [".encode() + ", ".join(["*" + prev] * 10).encode() + b"]\n"
    _refused(ctx, "run", _write(ctx, "laughs.yaml", laughs),
             "{f}:1:14: anchor '&a' is not allowed: scenarios refuse anchors and aliases so no "
             "input can expand into an alias bomb", 2, 64)
    many = b"sessions: [\n" + b"".join(b"{id: %d, connect: 1m},\n" % i for i in range(2, 1026))
    many += b"{}," * 1000000 + b"{}]\n"
    _refused(ctx, "run", _write(ctx, "million.yaml", many),
             "{f}:1026:1: too many sessions: the limit is 1024 besides the console session", 3, 128)


def test_run_seed_option_is_range_checked(ctx):
    for bad in ("18446744073709551616", "-1", "1e3", ""):
        rc, out, err = _bounded(ctx, ["run", "--seed", bad, "-o", ctx.tmp / "x.json"], 5, 64)
        assert rc == 2 and out == b"", (bad, rc, err)
        assert err.startswith(f"smsslab run: --seed: '{bad}' is not an integer in 0..2^64-1"), err
        assert not (ctx.tmp / "x.json").exists()


# ---- check and render on hostile snapshots ----

def _hostile_snapshots(ctx):
    """(name, bytes, expected error line) for smsslab JSON inputs."""
    cut = '{"schema": "smsslab.snapshot/1", "processes": [{"pid": 4, "name": "Sys'
    return [
        ("empty", b"", UNKNOWN_FMT),
        ("garbage", bytes((i * 7919) & 0xff for i in range(1, 4000)), UNKNOWN_FMT),
        ("truncated", cut.encode(), "{f}:1:68: invalid JSON"),  # the unclosed string
        ("deep_arrays", b'{"schema":"smsslab.snapshot/1","processes":' + b"[" * 1000000,
         "{f}:1:1043: invalid JSON"),  # cJSON stops at 1000 levels
        ("huge_pid", _snapdoc([{"pid": 1e300, "ppid": 0, "name": "a"}]).encode(),
         "{f}: document 1: processes[0].pid: expected an integer in range"),
        # 1.18e23 made the double -> int64 cast undefined behaviour (fuzz_snapshot).
        ("overflow_session", _snapdoc([{"pid": 4, "ppid": 0, "session": 1.18e23}]).encode(),
         "{f}: document 1: processes[0].session: expected an integer in range"),
        ("negative_ppid", _snapdoc([{"pid": 4, "ppid": -1, "name": "a"}]).encode(),
         "{f}: document 1: processes[0].ppid: expected an integer in range"),
        ("negative_time", _snapdoc([{"pid": 4, "ppid": 0,
                                     "create_time": "-0001-01-01T00:00:00Z"}]).encode(),
         '{f}: document 1: processes[0].create_time: expected an ISO 8601 UTC time like '
         '"2024-05-01T08:00:03.284512Z" or null'),
        ("overflow_time", _snapdoc([{"pid": 4, "ppid": 0,
                                     "create_time": "99999-01-01T00:00:00Z"}]).encode(),
         '{f}: document 1: processes[0].create_time: expected an ISO 8601 UTC time like '
         '"2024-05-01T08:00:03.284512Z" or null'),
        ("long_command_line", _snapdoc([{"pid": 4, "ppid": 0,
                                         "command_line": "A" * (1 << 20)}]).encode(),
         "{f}: document 1: processes[0].command_line: string longer than the limit of "
         "32768 bytes"),
    ]


def test_check_and_render_refuse_hostile_snapshots(ctx):
    for name, data, want in _hostile_snapshots(ctx):
        p = _write(ctx, name + ".json", data)
        _refused(ctx, "check", p, want, 5, 128)
        _refused(ctx, "render", p, want, 5, 128)


def test_million_processes_and_sessions_are_refused_in_bounds(ctx):
    procs = ctx.tmp / "procs.json"
    with open(procs, "w") as f:
        f.write('{"schema":"%s","processes":[' % SNAP)
        f.write(",".join('{"pid":%d,"ppid":4,"name":"x.exe"}' % (i * 4 + 8)
                         for i in range(1000000)))
        f.write("]}\n")
    # The whole document is parsed before the count is checked: ~15x its size.
    _refused(ctx, "check", procs, "{f}: document 1: processes[200000]: more processes than "
             "the limit of 200000 per snapshot", 20, 1024)
    sess = ctx.tmp / "sessions.json"
    with open(sess, "w") as f:
        f.write('{"schema":"%s","processes":[],"sessions":[' % SNAP)
        f.write(",".join('{"id":%d,"kind":"rdp"}' % i for i in range(1000000)))
        f.write("]}\n")
    _refused(ctx, "render", sess, "{f}: document 1: sessions[4096]: more sessions than the "
             "limit of 4096", 20, 1024)


def test_odd_but_valid_snapshots_are_drawn(ctx):
    """Cycles, self-parents, exits before creation, duplicate keys: drawn, not crashed."""
    docs = {
        "cycle": _snapdoc([{"pid": 8, "ppid": 9, "name": "smss.exe"},
                           {"pid": 9, "ppid": 8, "name": "smss.exe"},
                           {"pid": 10, "ppid": 10, "name": "csrss.exe"}]),
        "exit_before_create": _snapdoc([{"pid": 4, "ppid": 0, "name": "System",
                                         "create_time": "2024-01-01T00:00:00Z",
                                         "exit_time": "1970-01-01T00:00:00Z"}]),
        "dupkeys": '{"schema":"smsslab.snapshot/1","processes":[{"pid":4,"pid":5,"name":"a"}]}',
    }
    for name, text in docs.items():
        p = _write(ctx, name + ".json", text)
        focus = {"cycle": "smss.exe", "dupkeys": "a"}.get(name, "4")
        rc, out, err = _bounded(ctx, ["render", "--focus", focus, "-o", "-", p], 5, 128)
        assert rc == 0, (name, err)
        assert out.startswith(b"digraph") and out.rstrip().endswith(b"}"), name
        rc, _, err = _bounded(ctx, ["check", p], 5, 128)
        assert rc in (0, 1), (name, rc, err)


# ---- the readers ----

def test_readers_refuse_hostile_host_data(ctx):
    cases = [
        ("garbage_as_xml", "xml", b"\x00\x01garbage" * 100),
        ("garbage_as_ndjson", "ndjson", b"{{{{\n" * 10),
        ("garbage_as_csv", "vol3-csv", b"\xff\xfe\x00" * 100),
        ("garbage_as_evtx", "evtx", b"ElfFile\x00" + b"\xff" * 5000),
        ("empty_as_xml", "xml", b""),
        ("deep_xml", "xml", b"<Event>" + b"<a>" * 200000 + b"</a>" * 200000 + b"</Event>"),
        ("deep_ndjson", "ndjson", b"[" * 1000000 + b"\n"),
        ("long_line", "ndjson", b'{"EventID":1,"CommandLine":"' + b"A" * (17 << 20) + b'"}\n'),
    ]
    for name, fmt, data in cases:
        p = _write(ctx, name + ".dat", data)
        for cmd in ("check", "render"):
            outdir = ctx.tmp / f"o-{cmd}-{name}"
            outdir.mkdir()
            rc, out, err = _bounded(ctx, [cmd, "--input-format", fmt, "-o",
                                          outdir / "x.svg", p], 10, 512)
            assert rc == 2, f"{name} {cmd}: exit {rc}: {err[:300]!r}"
            assert err.startswith(f"smsslab: {p}") and err.count("\n") == 1, \
                f"{name} {cmd}: {err[:300]!r}"
            assert out == b"" and not list(outdir.iterdir()), f"{name} {cmd}: output left"


XML_EVENT = """<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System>
<Provider Name="Microsoft-Windows-Sysmon"/><EventID>1</EventID><Version>5</Version>
<TimeCreated SystemTime="2024-05-01T08:00:{sec:02d}.000000Z"/><Computer>HOST</Computer></System>
<EventData><Data Name="UtcTime">2024-05-01 08:00:{sec:02d}.000</Data>
<Data Name="ProcessGuid">{{g{pid}}}</Data><Data Name="ProcessId">{pid}</Data>
<Data Name="Image">{image}</Data><Data Name="CommandLine">{cmd}</Data>
<Data Name="User">NT AUTHORITY\\SYSTEM</Data><Data Name="ParentProcessId">{ppid}</Data>
<Data Name="ParentImage">C:\\Windows\\System32\\smss.exe</Data></EventData></Event>
"""


def test_evtx_asking_libevtx_for_gigabytes_is_refused_in_bounds(ctx):
    # Found by fuzzing: records whose template says 2^30 values made libevtx
    # calloc 8 GiB each (24 GB resident, 83 s, then exit 0). The reader caps
    # libevtx's address space while it works; no prlimit here, so the test
    # sees smsslab's own defence. (Sanitizer builds: ASan's allocation limit.)
    # One byte of a public log changed (tests/fuzz/known/: kept as a patch,
    # since the logs in ../shared/real are never copied into the project).
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        "patches", ctx.root / "tests" / "fuzz" / "known" / "patches.py")
    patches = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(patches)
    f = ctx.tmp / "evtx-8gib-template.evtx"
    if not patches.build("evtx-8gib-template", ctx.need_real(), f):
        raise Skip("the base log of tests/fuzz/known/evtx-8gib-template.patch.json differs")
    for cmd in ("check", "render"):
        _refused(ctx, cmd, f, "{f}: record 34: unreadable record (damaged, or it asks for more "
                 "memory than any real record needs): libevtx_file_get_record_by_index: unable "
                 "to retrieve record values: 33", max_s=5, max_mb=256, as_limit=False)


def test_xml_external_entities_are_not_loaded(ctx):
    """XXE: an entity naming a local file must not pull its text into the output,
    and an entity bomb must stay small."""
    secret = _write(ctx, "secret.txt", "TOPSECRET-0xdeadbeef\n")
    head = ('<?xml version="1.0"?>\n<!DOCTYPE Events [<!ENTITY x SYSTEM "file://%s">\n'
            % secret)
    for i, c in enumerate("bcdefghij"):
        head += '<!ENTITY %s "%s">\n' % (c, ("&" + ("x" if i == 0 else "bcdefghij"[i - 1])
                                            + ";") * 10)
    head += "]>\n<Events>\n"
    body = XML_EVENT.format(sec=1, pid=400, ppid=4, image="C:\\Windows\\System32\\smss.exe",
                            cmd="&x;") + XML_EVENT.format(sec=2, pid=500, ppid=400,
                                                          image="C:\\x.exe", cmd="&j;")
    p = _write(ctx, "xxe.xml", head + body + "</Events>\n")
    rc, out, err = _bounded(ctx, ["render", "--details", "--input-format", "xml", "-o", "-", p],
                            10, 256)
    assert b"TOPSECRET" not in out and "TOPSECRET" not in err, "external entity was loaded"
    rc2, out2, err2 = _bounded(ctx, ["check", "--format", "json", "--input-format", "xml", p],
                               10, 256)
    assert b"TOPSECRET" not in out2 and "TOPSECRET" not in err2


# ---- output safety ----

EVIL = [
    'a"];evil[label="pwned"];b["',
    "C:\\Windows\\System32\\",
    "\\",
    "x\\\"y",
    "<b>&amp;</b><!--",
    "tab\tnl\ncr\rnul-free\x01\x1b[31m",
    "\u202eexe.sys",
    "comma,semi;quote'\"",
    "}digraph{",
    "\\N\\G\\l\\n",
]


def _evil_snapshot(names):
    procs = [{"pid": 4, "ppid": 0, "name": "System"}]
    for i, n in enumerate(names):
        procs.append({"pid": 100 + 4 * i, "ppid": 4, "name": n + ".exe",
                      "image": "C:\\" + n, "command_line": n + " " + n, "user": n,
                      "create_time": "2024-05-01T08:00:%02d.000000Z" % (i + 1)})
    return _snapdoc(procs, at="2024-05-01T08:10:00.000000Z")


def _dot_graph(ctx, dot_text):
    """Lay dot_text out with Graphviz and return (node count, edge count, labels)."""
    p = subprocess.run(["dot", "-Tjson"], input=dot_text, capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr.decode(errors="replace")[:1000]
    g = json.loads(p.stdout)
    nodes = [o for o in g.get("objects", []) if "pos" in o]  # clusters have "bb" instead
    return len(nodes), len(g.get("edges", [])), [o.get("label", "") for o in nodes]


def test_hostile_strings_cannot_inject_into_dot(ctx):
    evil = _write(ctx, "evil.json", _evil_snapshot(EVIL))
    plain = _write(ctx, "plain.json", _evil_snapshot(["n%d" % i for i in range(len(EVIL))]))
    graphs = []
    for p in (evil, plain):
        rc, out, err = _bounded(ctx, ["render", "--details", "--no-check", "-o", "-", p], 10, 128)
        assert rc == 0, err
        graphs.append((out, _dot_graph(ctx, out)))
    (evil_dot, (en, ee, labels)), (_, (pn, pe, _)) = graphs
    assert (en, ee) == (pn, pe), f"hostile names changed the graph: {en}/{ee} vs {pn}/{pe}"
    assert b"pwned" in evil_dot  # kept as text ...
    assert not any(l == "pwned" for l in labels)  # ... never as a node of its own
    # Raw control characters never reach the DOT text.
    assert not any(b < 0x20 and b not in (0x0a,) for b in evil_dot), "control byte in DOT"
    # And it renders to SVG through smsslab itself.
    svg = ctx.tmp / "evil.svg"
    rc, _, err = _bounded(ctx, ["render", "--details", "-o", svg, evil], 30, 256)
    assert rc == 0 and svg.stat().st_size > 0, err


def test_hostile_strings_round_trip_through_json(ctx):
    """Snapshot JSON in, findings JSON and smsslab JSON out: every string parses back."""
    names = EVIL + ["smss.exe\x00hidden", "\ud7ff\ue000\U0001f600"]
    procs = [{"pid": 4, "ppid": 0, "name": "System"}]
    for i, n in enumerate(names):
        # smss.exe under the wrong parent: every name yields a finding to print.
        procs.append({"pid": 100 + 4 * i, "ppid": 4 if i % 2 else 999, "name": "smss.exe",
                      "image": "C:\\Windows\\Temp\\" + n, "command_line": n, "user": n})
    p = _write(ctx, "evil.json", _snapdoc(procs, at="2024-05-01T08:10:00.000000Z"))
    rc, out, err = _bounded(ctx, ["check", "--format", "json", p], 10, 128)
    assert rc == 1, (rc, err)
    lines = out.decode("utf-8").splitlines()
    assert lines, "no findings"
    for line in lines:
        f = json.loads(line)
        assert isinstance(f, dict) and "rule" in f
    # Invalid UTF-8 in the input: the JSON out stays valid UTF-8.
    raw = ('{"schema":"%s","processes":[{"pid":4,"ppid":0,"name":"System"},'
           '{"pid":8,"ppid":999,"name":"smss.exe","image":"C:\\\\x\xff\xfe.exe",'
           '"command_line":"\xc0\x80\xed\xa0\x80"}]}' % SNAP).encode("latin-1")
    p2 = _write(ctx, "badutf8.json", raw)
    rc, out, err = _bounded(ctx, ["check", "--format", "json", p2], 10, 128)
    assert rc in (0, 1), err
    for line in out.decode("utf-8").splitlines():  # strict decode: must not raise
        json.loads(line)


def test_run_output_escapes_scenario_strings(ctx):
    """Names from a scenario (quotes, backslashes, markup, bidi) come back
    unchanged from smsslab run's JSON, and its DOT holds no extra nodes."""
    name = 'x"y\\z</script>&\u202e'
    user = 'CORP\\al"ice,;<b>'
    scn = _write(ctx, "evil.yaml",
                 "name: %s\nhost: {name: %s}\nsessions: [{id: 2, user: %s, logon: 30s}]\n"
                 % (json.dumps(name), json.dumps('H"O\\ST'), json.dumps(user)))
    out = ctx.tmp / "run.json"
    rc, _, err = _bounded(ctx, ["run", "-o", out, scn], 20, 256)
    assert rc == 0, err
    d = json.loads(out.read_bytes().decode("utf-8"))
    assert d["scenario"] == name and d["host"] == 'H"O\\ST', (d["scenario"], d["host"])
    assert any(s.get("user") == user for s in d["sessions"]), d["sessions"]
    rc, dot, err = _bounded(ctx, ["render", "--details", "-o", "-", out], 20, 256)
    assert rc == 0, err
    _dot_graph(ctx, dot)


# ---- atomic writes ----

def test_interrupted_runs_leave_complete_files_only(ctx):
    """SIGTERM and SIGKILL at varied moments of `run -o` and `render -o`: the
    output is either absent or complete, and SIGTERM leaves no temporary file."""
    scn = _write(ctx, "big.yaml", "sessions: [%s]\noptions: {svchosts: 400}\n" % ", ".join(
        "{id: %d, user: a, logon: %ds}" % (i, i) for i in range(2, 200)))
    out = ctx.tmp / "o" / "run.json"
    out.parent.mkdir()
    san = 4 if ctx.variant == "san" else 1
    for i, sig in enumerate([signal.SIGTERM, signal.SIGINT, signal.SIGKILL] * 3):
        for f in out.parent.iterdir():
            f.unlink()
        p = subprocess.Popen([ctx.bin, "run", "-o", str(out), str(scn)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep((0.01 + 0.04 * i) * san)
        p.send_signal(sig)
        p.wait(timeout=60)
        if out.exists():
            json.loads(out.read_bytes())  # complete, or it would not parse
        left = [f.name for f in out.parent.iterdir() if f.name != "run.json"]
        if sig != signal.SIGKILL:
            assert not left, f"{sig.name}: temporary files left: {left}"


def _check_complete(path):
    """A corpus part file is complete: ends in a newline and every line parses."""
    import csv
    import io
    import xml.etree.ElementTree as ET
    data = path.read_bytes()
    if path.suffix == ".evtx":
        # Whole 64 KiB chunks after the 4096-byte header, which is final:
        # its CRC holds, the log is clean and it counts every chunk.
        import struct
        import zlib
        assert data[:8] == b"ElfFile\0" and (len(data) - 4096) % 65536 == 0, f"{path}: cut short"
        assert struct.unpack_from("<I", data, 124)[0] == zlib.crc32(data[:120]), f"{path}: header"
        assert struct.unpack_from("<I", data, 120)[0] == 0, f"{path}: dirty"
        assert struct.unpack_from("<H", data, 42)[0] == (len(data) - 4096) // 65536
        return
    assert data.endswith(b"\n"), f"{path}: does not end in a newline (cut short)"
    text = data.decode("utf-8")
    if path.suffix in (".jsonl", ".ndjson", ".json"):
        for line in text.splitlines():
            json.loads(line)
    elif path.suffix == ".xml":
        for line in text.splitlines():
            ET.fromstring(line)
    elif path.suffix == ".csv":
        rows = list(csv.reader(io.StringIO(text)))
        assert rows and all(len(r) == len(rows[0]) for r in rows), f"{path}: ragged CSV"


def test_killed_corpus_run_leaves_only_complete_files(ctx):
    """SIGKILL and SIGTERM in the middle of `corpus`: every file left parses whole,
    and SIGTERM leaves no temporary file."""
    san = 4 if ctx.variant == "san" else 1
    for i, sig in enumerate([signal.SIGKILL, signal.SIGTERM, signal.SIGKILL, signal.SIGINT]):
        out = ctx.tmp / f"corpus{i}"
        p = subprocess.Popen([ctx.bin, "corpus", "-n", "100000", "--seed", str(i), "-o",
                              str(out), "--per-file", "50", "-q"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # Wait for the first complete part (not a fixed time: the machine may be
        # busy), then let the run go on a little before the signal.
        deadline = time.monotonic() + 60 * san
        while time.monotonic() < deadline and p.poll() is None and \
                not any(".tmp" not in f.name for f in out.glob("manifest/part-*")):
            time.sleep(0.02)
        time.sleep(0.1 * i * san)
        assert p.poll() is None, f"{sig.name}: the corpus run ended before the signal"
        p.send_signal(sig)
        p.wait(timeout=60)
        files = [f for f in out.rglob("*") if f.is_file()]
        temps = [f for f in files if ".tmp" in f.name]
        assert len(files) - len(temps) > 0, f"{sig.name}: nothing written"
        for f in files:
            if f not in temps:
                _check_complete(f)
        if sig != signal.SIGKILL:
            assert not temps, f"{sig.name}: temporary files left: {temps[:5]}"


def test_corpus_output_stays_in_its_folder_and_escapes_fields(ctx):
    """File names come from part numbers, never from generated names; every
    XML, CSV and JSON file parses with a strict parser."""
    out = ctx.tmp / "c"
    rc, _, err = _bounded(ctx, ["corpus", "-n", "60", "--seed", "7", "-o", out,
                                "--per-file", "20", "-q"], 60, 512)
    assert rc == 0, err
    outside = [p for p in ctx.tmp.rglob("*") if p.is_file() and out not in p.parents
               and not p.name.startswith(".")]
    assert not outside, f"files written outside the output folder: {outside}"
    for f in out.rglob("*"):
        if f.is_file():
            assert f.resolve().is_relative_to(out.resolve())
            _check_complete(f)


def test_readers_bound_memory_in_bytes_and_name_the_limit(ctx):
    # 30,000 distinct Sysmon process events (~12 MB): under a 2 MiB bound the
    # reader stops while reading, names both figures and the variable, and
    # leaves no output; the default bound takes the file.
    lines = []
    for i in range(30000):
        lines.append(json.dumps({
            "EventID": 1, "SourceName": "Microsoft-Windows-Sysmon", "Hostname": "H",
            "UtcTime": "2024-05-01 08:%02d:%02d.%03d" % (i // 60000, i // 1000 % 60, i % 1000),
            "ProcessId": 1000 + 4 * i, "ProcessGuid": "{%08x-0000-0000-0000-000000000000}" % (i + 1),
            "Image": "C:\\Windows\\System32\\cmd.exe", "CommandLine": "cmd.exe /c echo %d" % i,
            "ParentProcessId": 500, "User": "NT AUTHORITY\\SYSTEM"}))
    p = _write(ctx, "many.ndjson", "\n".join(lines) + "\n")
    out = ctx.tmp / "mem-out"
    out.mkdir()
    r = ctx.run("check", "-o", out / "f.txt", p, env={"SMSSLAB_MAX_MEMORY": "2M"}, rc=2)
    err = r.stderr.decode()
    assert err.startswith(f"smsslab: {p}:") and err.count("\n") == 1, err
    assert "process and registry events read so far hold" in err and \
        "over the limit of 2 MiB (SMSSLAB_MAX_MEMORY=SIZE raises it" in err, err
    assert not list(out.iterdir()), "output left behind"
    for bad in ("0", "1K", "lots", "-5G", "2X", "5 "):
        r = ctx.run("check", p, env={"SMSSLAB_MAX_MEMORY": bad}, rc=2)
        assert f"SMSSLAB_MAX_MEMORY='{bad}': expected a size of at least 1M" in r.stderr.decode()
    r = ctx.run("check", "--format", "json", p, env={"SMSSLAB_MAX_MEMORY": "64MiB"})
    assert r.returncode in (0, 1), r.stderr.decode()[:500]
    r = ctx.run("check", "--format", "json", p)
    assert r.returncode in (0, 1), r.stderr.decode()[:500]
