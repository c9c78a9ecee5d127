"""smsslab run with bad scenarios, end to end: each bad file gives exactly one
"smsslab: FILE:LINE:COL: message" line on stderr, exit status 2, no output
file and nothing on stdout; hostile files (alias bomb, deep nesting, a huge
list, an oversize file) are refused within a time bound; and a file that uses
every key (but anomalies, which belong to the simulator's tests) runs."""
import json
import time

# name, scenario text (bytes), expected "LINE:COL: message" prefix
CASES = [
    ("unknown_key", b"name: x\nhost:\n  nmae: y\n",
     "3:3: unknown key 'nmae' in 'host' (did you mean 'name'?)"),
    ("bad_duration", b"sessions:\n  - id: 1\n    user: CORP\\alice\n    logon: 35x\n",
     "4:12: 'logon' has a bad duration '35x'"),
    ("duplicate_session",
     b"sessions:\n  - {id: 2, user: a, logon: 30s}\n  - {id: 2, user: b, logon: 40s}\n",
     "3:10: duplicate session id 2 (first at 2:5)"),
    ("bad_time", b"boot_time: 2024-13-01T00:00:00Z\n",
     "1:12: 'boot_time' '2024-13-01T00:00:00Z' is not an ISO 8601 UTC time"),
    ("out_of_range", b"options: {svchosts: 401}\n",
     "1:21: 'svchosts' value '401' is out of range (0..400)"),
    ("wrong_type", b"sessions: 5\n", "1:11: 'sessions' must be a list of sessions, not a plain value"),
    ("yaml_syntax", b"host:\n\tname: x\n",
     "2:1: yaml syntax: found character that cannot start any token"),
    ("alias", b"name: &a x\ndescription: *a\n", "1:7: anchor '&a' is not allowed"),
    ("nul_byte", b"name: a\x00b\n", "1:8: NUL byte in the input"),
    ("invalid_utf8", b"name: caf\xff\n", "1:10: invalid leading UTF-8 octet (byte 0xff)"),
    ("empty", b"", "1:1: scenario is empty"),
    ("yes_boolean", b"options: {pid_reuse: yes}\n",
     "1:22: 'pid_reuse' must be true or false, not 'yes'"),
    ("unknown_registry", b"registry:\n  Foo: x\n", "2:3: unknown registry value 'Foo'"),
    ("console_logoff", b"sessions: [{id: 1, user: a, logon: 3s, logoff: 5s}]\n",
     "1:48: 'logoff' is only for sessions 2 and up"),
]


def _expect_error(ctx, name, data, want, max_s=10.0):
    scn = ctx.tmp / f"{name}.yaml"
    scn.write_bytes(data)
    out = ctx.tmp / f"{name}.json"
    t0 = time.monotonic()
    p = ctx.run("run", "-o", out, scn, rc=2)
    took = time.monotonic() - t0
    err = p.stderr.decode(errors="replace")
    prefix = f"smsslab: {scn}:{want}"
    assert err.startswith(prefix), f"{name}: stderr {err!r}, want prefix {prefix!r}"
    assert err.count("\n") == 1, f"{name}: more than one line on stderr: {err!r}"
    assert p.stdout == b"", f"{name}: stdout not empty"
    assert not out.exists(), f"{name}: an output file was left behind"
    leftovers = [f.name for f in ctx.tmp.iterdir() if f.name.startswith(f"{name}.json")]
    assert not leftovers, f"{name}: temporary files left: {leftovers}"
    assert took < max_s, f"{name}: took {took:.2f} s"


def test_bad_scenarios_give_located_errors(ctx):
    for name, data, want in CASES:
        _expect_error(ctx, name, data, want)


def test_hostile_scenarios_are_refused_fast(ctx):
    laughs = b"description: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    for c in "bcdefghi":
        prev = chr(ord(c) - 1)
        laughs += f"x{c}: &{c} [".encode() + ", ".join(["*" + prev] * 10).encode() + b"]\n"
    _expect_error(ctx, "billion_laughs", laughs, "1:14: anchor '&a' is not allowed", 2.0)

    deep = b"name: " + b"[" * 100000 + b"]" * 100000 + b"\n"
    _expect_error(ctx, "deep", deep, "1:7: 'name' must be a string, not a list", 2.0)

    many = b"sessions: [\n" + b"".join(b"{id: %d, connect: 1m},\n" % i for i in range(2, 1026))
    many += b"{}," * 1000000 + b"{}]\n"
    _expect_error(ctx, "million_sessions", many,
                  "1026:1: too many sessions: the limit is 1024", 2.0)


def test_oversize_file_is_refused(ctx):
    scn = ctx.tmp / "big.yaml"
    scn.write_bytes(b"#" * (4 * 1024 * 1024 + 1))
    out = ctx.tmp / "big.json"
    p = ctx.run("run", "-o", out, scn, rc=2)
    assert b"larger than the limit of 4194304 bytes" in p.stderr, p.stderr
    assert not out.exists()


def test_missing_file_is_an_error(ctx):
    out = ctx.tmp / "x.json"
    p = ctx.run("run", "-o", out, ctx.tmp / "absent.yaml", rc=2)
    assert b"absent.yaml" in p.stderr and not out.exists()


EVERY_KEY = """\
name: every-key
description: |
  Uses every scenario key except anomalies.
seed: 9999999999999999999
os: win11
host: {name: WS-0142, domain: CORP}
boot_time: 2024-05-01T08:00:00Z
duration: 2h
sessions:
  - {id: 1, kind: console, user: CORP\\alice, logon: 35s}
  - {id: 2, kind: rdp, user: CORP\\bob, connect: 9m50s, logon: 10m, logoff: 1h}
snapshots: [end, 30s, 30m]
registry:
  BootExecute: [autocheck autochk *]
  KnownDLLs\\kernel32: kernel32.dll
  AppCertDlls\\x: ~
options:
  credential_guard: true
  special_session: false
  win11_child_line: true
  rdp_termsvcs_parent: true
  pid_reuse: true
  shared_section: "1024,20480,1024"
  svchosts: 12
"""


def test_every_key_runs(ctx):
    scn = ctx.tmp / "every.yaml"
    scn.write_text(EVERY_KEY)
    out = ctx.tmp / "every.json"
    ctx.run("run", "-o", out, scn, rc=0)
    doc = json.loads(out.read_text())
    assert doc["scenario"] == "every-key"
    assert doc["os"] == "win11" and doc["host"] == "WS-0142" and doc["domain"] == "CORP"
    assert doc["seed"] == 9999999999999999999
    assert len(doc["snapshots"]) == 3
