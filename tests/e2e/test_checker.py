"""End-to-end tests of smsslab check, rules and explain: exit codes, JSON
lines, filters, de-duplication, not-evaluated rules, the generated
docs/rules.md, and every normal scenario checking clean."""
import json

from run_e2e import Skip


def boot(ctx):
    """A normal simulated boot as a run document."""
    p = ctx.tmp / "boot.json"
    ctx.run("run", "-o", p, rc=0)
    return p


def snapshot(ctx, name, mutate):
    """The default boot's last snapshot as a standalone snapshot document,
    changed by mutate(doc)."""
    run = json.loads(boot(ctx).read_text())
    snap = dict(run["snapshots"][-1])
    doc = {"schema": "smsslab.snapshot/1"}
    for k in ("source", "scenario", "seed", "host", "domain", "os", "boot_time", "fields",
              "sessions", "labels"):
        if k in run:
            doc[k] = run[k]
    doc.update(snap)
    doc["labels"] = []
    mutate(doc)
    p = ctx.tmp / name
    p.write_text(json.dumps(doc) + "\n")
    return p


def proc(doc, name):
    return next(p for p in doc["processes"] if p["name"] == name)


def wrong_smss_path(doc):
    smss = [p for p in doc["processes"] if p["name"] == "smss.exe"]
    smss[0]["image"] = "C:\\Windows\\Temp\\smss.exe"


def evil_boot_execute(doc):
    for r in doc["registry"]:
        if r["name"] == "BootExecute":
            r["data"] = ["autocheck autochk *", "evil.exe"]


def test_check_default_boot_is_clean(ctx):
    p = ctx.run("check", boot(ctx), rc=0)
    assert b"no findings" in p.stdout, p.stdout
    p = ctx.run("check", "--format", "json", boot(ctx), rc=0)
    assert p.stdout == b""


def test_check_stdin_default(ctx):
    data = boot(ctx).read_bytes()
    ctx.run("check", stdin=data, rc=0)
    ctx.run("check", "-", stdin=data, rc=0)


def test_check_findings_exit_1_and_json_lines(ctx):
    f = snapshot(ctx, "bad.json", lambda d: (wrong_smss_path(d), evil_boot_execute(d)))
    p = ctx.run("check", "--format", "json", f, rc=1)
    lines = [json.loads(x) for x in p.stdout.decode().splitlines()]
    rules = {x["rule"] for x in lines}
    assert {"SMSS-PATH", "SM-BOOTEXECUTE"} <= rules, rules
    for x in lines:
        keys = list(x)
        assert keys[:5] == ["rule", "severity", "title", "technique", "snapshot"], keys
        assert keys[5] in ("process", "registry") and keys[6] == "message", keys
    path = next(x for x in lines if x["rule"] == "SMSS-PATH")
    assert path["process"]["name"] == "smss.exe" and path["process"]["pid"] > 0
    reg = next(x for x in lines if x["rule"] == "SM-BOOTEXECUTE")
    assert reg["registry"]["name"] == "BootExecute"
    # human report: every part of a finding and the summary
    out = ctx.run("check", f, rc=1, env={"NO_COLOR": "1"}).stdout.decode()
    for want in ("SMSS-PATH", "normal:", "why:", "ATT&CK: T1036.005", "process: smss.exe pid",
                 "registry: HKLM", "finding"):
        assert want in out, (want, out)
    assert "\033[" not in out


def test_check_filters(ctx):
    f = snapshot(ctx, "bad.json", lambda d: (wrong_smss_path(d), evil_boot_execute(d)))
    p = ctx.run("check", "--format", "json", "--rules", "SM-BOOTEXECUTE", f, rc=1)
    assert {json.loads(x)["rule"] for x in p.stdout.decode().splitlines()} == {"SM-BOOTEXECUTE"}
    ctx.run("check", "--ignore", "SMSS-PATH,SM-BOOTEXECUTE", f, rc=0)
    p = ctx.run("check", "--format", "json", "--min-severity", "critical", f)
    assert all(json.loads(x)["severity"] == "critical" for x in p.stdout.decode().splitlines())
    ctx.run("check", "--rules", "NOPE", f, rc=2)
    ctx.run("check", "--min-severity", "severe", f, rc=2)
    ctx.run("check", "--format", "xml", f, rc=2)
    ctx.run("check", "--bogus", f, rc=2)


def test_check_input_errors_exit_2(ctx):
    ctx.run("check", ctx.tmp / "missing.json", rc=2)
    bad = ctx.tmp / "bad.json"
    bad.write_text('{"schema": "smsslab.snapshot/1", "processes": [')
    ctx.run("check", bad, rc=2)


def test_check_dedup_across_snapshots(ctx):
    # The same finding in two snapshots of one run document is reported once.
    run = json.loads(boot(ctx).read_text())
    assert len(run["snapshots"]) >= 2
    for s in run["snapshots"]:
        for p in s["processes"]:
            if p["name"] == "lsass.exe":
                p["image"] = "C:\\Temp\\lsass.exe"
    f = ctx.tmp / "run.json"
    f.write_text(json.dumps(run))
    p = ctx.run("check", "--format", "json", f, rc=1)
    lines = [json.loads(x) for x in p.stdout.decode().splitlines()]
    assert [x["rule"] for x in lines].count("LSASS-PATH") == 1, lines
    # Each input is its own host: the same document given twice is reported twice.
    p = ctx.run("check", "--format", "json", f, f, rc=1)
    lines = [json.loads(x) for x in p.stdout.decode().splitlines()]
    assert [x["rule"] for x in lines].count("LSASS-PATH") == 2, lines


def test_check_not_evaluated(ctx):
    def pslist(d):
        d["fields"] = ["image", "session", "exit", "boot"]
        evil_boot_execute(d)
    f = snapshot(ctx, "pslist.json", pslist)
    p = ctx.run("check", f, rc=0)
    assert b"not evaluated" in p.stderr and b"SM-BOOTEXECUTE" in p.stderr, p.stderr


def test_check_output_file(ctx):
    f = snapshot(ctx, "bad.json", wrong_smss_path)
    out = ctx.tmp / "report.jsonl"
    p = ctx.run("check", "--format", "json", "-o", out, f, rc=1)
    assert p.stdout == b""
    assert "SMSS-PATH" in out.read_text()


def test_normal_scenarios_check_clean(ctx):
    scen = sorted(ctx.root.glob("scenarios/normal-*.yaml")) + \
        sorted(ctx.root.glob("scenarios/hard-negative-*.yaml")) + \
        [ctx.root / "scenarios" / "default.yaml"]
    scen = [s for s in scen if s.exists()]
    if not scen:
        raise Skip("no normal scenarios yet")
    for s in scen:
        doc = ctx.run("run", s, rc=0).stdout
        p = ctx.run("check", "-", stdin=doc)
        assert p.returncode == 0, (s.name, p.stdout.decode()[:2000])


def test_explorer_folder_windows_are_not_a_second_shell(ctx):
    """The explorer hard negatives hold what they claim -- a second
    explorer.exe with arguments beside the shell, from svchost -k DcomLaunch
    (/factory) or from the shell itself (/separate) -- and check clean; the
    same process without its arguments is a second shell with a living
    parent, which EXPLORER-PARENT and EXPLORER-INSTANCES report."""
    for kind, parent_cmd in (("factory", "-k DcomLaunch"), ("separate", "Explorer.EXE")):
        sc = ctx.root / "scenarios" / f"hard-negative-explorer-{kind}.yaml"
        run = json.loads(ctx.run("run", sc, rc=0).stdout)
        snap = run["snapshots"][-1]
        procs = snap["processes"]
        extra = [p for p in procs if p["name"] == "explorer.exe"
                 and f"/{kind}" in (p["command_line"] or "")]
        assert len(extra) == 1, (kind, extra)
        x = extra[0]
        parent = next(p for p in procs if p["pid"] == x["ppid"]
                      and p["create_time"] == x["parent_create_time"])
        assert parent_cmd in parent["command_line"], (kind, parent)
        assert x["user"] == "CORP\\alice" and x["session"] == 1 and x["exit_time"] is None
        ctx.run("check", sc, rc=0)
        # Without its arguments the same process is a second, parented shell.
        x["command_line"] = "C:\\Windows\\Explorer.EXE"
        bad = ctx.tmp / f"explorer-{kind}.json"
        bad.write_text(json.dumps(run))
        out = ctx.run("check", "--format", "json", bad, rc=1).stdout.decode()
        rules = {json.loads(line)["rule"] for line in out.splitlines()}
        assert {"EXPLORER-PARENT", "EXPLORER-INSTANCES"} <= rules, (kind, rules)


def test_rules_and_markdown(ctx):
    out = ctx.run("rules", rc=0).stdout.decode()
    assert "SMSS-PARENT" in out and "T1547.001" in out
    rows = [json.loads(x) for x in ctx.run("rules", "--format", "json", rc=0).stdout.splitlines()]
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)) and "LOOKALIKE-NAME" in ids
    for r in rows:
        assert r["severity"] in ("info", "low", "medium", "high", "critical")
        assert r["normal"] and r["rationale"] and r["technique"] and r["source"]
    md = ctx.run("rules", "--format", "markdown", rc=0).stdout.decode()
    committed = (ctx.root / "docs" / "rules.md").read_text()
    assert md == committed, "docs/rules.md is stale: smsslab rules --format markdown > docs/rules.md"
    ctx.run("rules", "--format", "yaml", rc=2)


def test_explain(ctx):
    out = ctx.run("explain", "SMSS-PARENT", rc=0).stdout.decode()
    for want in ("normal:", "why:", "ATT&CK:", "T1036.005"):
        assert want in out
    out = ctx.run("explain", "smss.exe", rc=0).stdout.decode()
    assert "SMSS-PATH" in out and "SM-BOOTEXECUTE" in out and "techniques:" in out
    out = ctx.run("explain", "lsass.exe", rc=0).stdout.decode()
    assert "LSASS-CHILDREN" in out
    ctx.run("explain", "registry", rc=0)
    p = ctx.run("explain", "notepad.exe", rc=2)
    assert b"smss.exe" in p.stderr and b"smsslab rules" in p.stderr
    ctx.run("explain", rc=2)
