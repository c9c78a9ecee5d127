"""smsslab timeline end to end: the smss steps, sessions, logons and findings
in time order as text; the SVG chart (a lane per session, one bar per
process, no script, escaped); the same steps from a scenario and from its run
document; real host data; byte-identical reruns; errors exit 2 and leave no
file."""
import re
import xml.dom.minidom

ANOMALY = "scenarios/anomaly-smss-wrong-parent.yaml"
RDP = "scenarios/normal-win10-rdp.yaml"
STEPS = ["Session Manager", "BootExecute", "KnownDLLs", "DOS devices", "page files",
         "environment", "SubSystems Kmode", "SubSystems"]


def _lines(text):
    return [l for l in text.splitlines() if not l.startswith("#")]


def test_text_orders_steps_sessions_and_findings(ctx):
    text = ctx.run("timeline", ANOMALY, rc=0).stdout.decode()
    rows = _lines(text)
    times = [r.split()[0] for r in rows]
    assert times == sorted(times, key=lambda t: tuple(map(float, t[1:].replace(":", " ").split()))), \
        "lines are not in time order"
    steps = [r.split(None, 3)[3].split(":")[0] for r in rows if r.split()[2] == "smss"]
    assert steps == STEPS, steps
    # The copy of smss.exe started from cmd.exe, with its findings right under it.
    i = next(k for k, r in enumerate(rows) if re.search(r"start +smss\.exe pid \d+ \(parent cmd\.exe", r))
    assert rows[i].startswith("+0:05:0"), rows[i]  # the anomaly's 'at: 5m', seconds later
    assert "FINDING  HIGH SMSS-PARENT" in rows[i + 1], rows[i + 1]
    assert any("logon    CORP\\alice logs on" in r for r in rows)
    assert "6 findings" in text.splitlines()[-1]
    # --no-check: the same timeline without the findings.
    plain = ctx.run("timeline", ANOMALY, "--no-check", rc=0).stdout.decode()
    assert "FINDING" not in plain and "start    smss.exe" in plain


def test_run_document_gives_the_scenarios_steps(ctx):
    doc = ctx.tmp / "boot.json"
    ctx.run("run", ANOMALY, "-o", doc, rc=0)
    from_doc = ctx.run("timeline", doc, rc=0).stdout
    from_scn = ctx.run("timeline", ANOMALY, rc=0).stdout
    assert from_doc == from_scn


def test_svg_chart_lanes_bars_and_determinism(ctx):
    out = ctx.tmp / "t.svg"
    ctx.run("timeline", RDP, "-o", out, rc=0)
    data = out.read_bytes()
    doc = xml.dom.minidom.parseString(data)
    svg = doc.documentElement
    assert svg.tagName == "svg" and not doc.getElementsByTagName("script")
    assert b"javascript:" not in data.lower()
    assert not [a for e in svg.getElementsByTagName("*") for a in e.attributes.keys()
                if a.lower().startswith("on")], "an event handler attribute"
    lanes = [g.getAttribute("id") for g in doc.getElementsByTagName("g")
             if g.getAttribute("class") == "session"]
    assert lanes == ["lane-none0", "lane-s0", "lane-s1", "lane-s2"], lanes
    bars = [g for g in doc.getElementsByTagName("g") if g.getAttribute("class").startswith("proc")]
    text = ctx.run("timeline", RDP, rc=0).stdout.decode()
    nprocs = int(re.search(r"# (\d+) processes", text).group(1))
    assert len(bars) == nprocs
    ticks = [g for g in doc.getElementsByTagName("g") if g.getAttribute("class") == "step"]
    assert len(ticks) == len(STEPS)
    assert doc.getElementsByTagName("line") and any(
        l.getAttribute("class") == "logon" for l in doc.getElementsByTagName("line"))
    again = ctx.tmp / "again.svg"
    ctx.run("timeline", RDP, "-o", again, rc=0)
    assert again.read_bytes() == data
    assert ctx.run("timeline", RDP, "--format", "svg", rc=0).stdout == data


def test_real_host_data(ctx):
    src = ctx.root / "tests" / "fixtures" / "real-like" / "security_evtxexport.xml"
    text = ctx.run("timeline", src, rc=0).stdout.decode()
    assert "start    smss.exe pid 300 (parent System pid 4)" in text
    assert "SubSystems: Required: the Windows subsystem csrss.exe starts" in text
    # No sessions in a Security log: a session's smss child is no boot program.
    assert "BootExecute" not in text


def test_errors_exit_2_and_leave_nothing(ctx):
    out = ctx.tmp / "t.svg"
    p = ctx.run("timeline", "missing.yaml", "-o", out, rc=2)
    assert b"missing.yaml" in p.stderr and not out.exists()
    p = ctx.run("timeline", ANOMALY, "-o", ctx.tmp / "t.png", rc=2)
    assert b".txt or .svg" in p.stderr
    ctx.run("timeline", ANOMALY, "--format", "pdf", rc=2)
    ctx.run("timeline", ANOMALY, "--bogus", rc=2)
    assert b"usage: smsslab timeline" in ctx.run("timeline", "--help", rc=0).stdout
    assert not list(ctx.tmp.iterdir())
