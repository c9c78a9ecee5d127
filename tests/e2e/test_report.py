"""smsslab report end to end, in a real browser: headless Chromium loads the
page from disk (no network, no JavaScript needed) and the test checks its DOM
and its screenshot -- the Graphviz tree and the timeline are drawn, the
findings are there for the instructor and absent for students. Also: the page
is self-contained, byte-identical on reruns, and errors leave no file."""
import os
import re
import shutil
import subprocess
import sys

import pngdecode

# The runner runs as __main__: its Skip is the one it catches.
Skip = getattr(sys.modules["__main__"], "Skip", None)
if Skip is None:
    from run_e2e import Skip

ANOMALY = "scenarios/anomaly-smss-wrong-parent.yaml"
TREE_BG = bytes((243, 240, 224))  # .fig.tree's padding colour in teach/report.c
BAR = bytes((158, 202, 225))      # a running process's bar in the timeline
FLAG = bytes((252, 187, 161))     # a flagged process's bar


def _need_tools():
    if shutil.which("dot") is None:
        raise Skip("the Graphviz 'dot' program is not on PATH")
    for name in ("chromium", "chromium-browser"):
        if shutil.which(name):
            return shutil.which(name)
    raise Skip("headless chromium is not installed (scripts/deps.sh test installs it)")


def _chromium(ctx, browser, page, *mode):
    profile = ctx.tmp / "profile"
    profile.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASAN", "UBSAN", "LSAN"))}
    p = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                        "--disable-background-networking", "--disable-component-update",
                        "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
                        "--window-size=1400,3000", "--force-device-scale-factor=0.5",
                        *mode, page.as_uri()],
                       capture_output=True, env=env, timeout=90, cwd=ctx.tmp)
    assert p.returncode == 0, p.stderr.decode(errors="replace")[-2000:]
    return p.stdout.decode(errors="replace")


def _drawn(ctx, browser, page):
    """What the browser drew: (tree rows, ink in the tree, red in the tree,
    timeline bar pixels, flagged bar pixels)."""
    shot = ctx.tmp / (page.stem + ".png")
    _chromium(ctx, browser, page, f"--screenshot={shot}")
    _, _, bpp, rows = pngdecode.decode(shot.read_bytes())
    px = pngdecode.pixels(rows, bpp)
    tree = [r for r in px if TREE_BG in r]
    ink = sum(1 for r in tree for p in r if sum(p) < 600)
    red = sum(1 for r in tree for p in r if p[0] > p[1] + 60 and p[0] > p[2] + 60)
    bars = sum(r.count(BAR) for r in px)
    flags = sum(r.count(FLAG) for r in px)
    return len(tree), ink, red, bars, flags


def test_report_in_headless_chromium(ctx):
    browser = _need_tools()
    full, student = ctx.tmp / "report.html", ctx.tmp / "student.html"
    ctx.run("report", ANOMALY, "-o", full, rc=0)
    ctx.run("report", ANOMALY, "--student", "-o", student, rc=0)

    dom = _chromium(ctx, browser, full, "--dump-dom")
    assert re.search(r'<svg[^>]*class="smsslab-timeline"', dom), "no timeline in the DOM"
    tree = dom.split('id="tree"', 1)[1].split("</section>", 1)[0]
    # The classroom picture: ~20 boxes, the 40 svchosts folded into one.
    assert len(re.findall(r'<g id="node\d+" class="node"', tree)) >= 15, "no Graphviz tree"
    assert "svchost.exe ×" in tree
    assert dom.count('class="finding sev-') == 6 and "SMSS-PARENT" in dom
    assert 'id="card-smss.exe"' in dom and 'id="card-lsass.exe"' in dom
    sdom = _chromium(ctx, browser, student, "--dump-dom")
    assert re.search(r'<svg[^>]*class="smsslab-timeline"', sdom)
    assert 'class="node"' in sdom and 'id="findings"' not in sdom
    assert "SMSS-PARENT" not in sdom and "anomaly-smss-wrong-parent" not in sdom

    rows, ink, red, bars, flags = _drawn(ctx, browser, full)
    assert rows > 100 and ink > 3000, f"the tree is not drawn ({rows} rows, {ink} ink)"
    assert red > 50, "the flagged smss.exe is not red in the tree"
    assert bars > 5000, "the timeline's bars are not drawn"
    assert flags > 50, "the flagged process's bar is not drawn"
    rows, ink, red, bars, flags = _drawn(ctx, browser, student)
    assert rows > 100 and ink > 3000 and bars > 5000
    assert red == 0 and flags == 0, "the student page shows what is wrong"


def test_report_is_self_contained_and_deterministic(ctx):
    if shutil.which("dot") is None:
        raise Skip("the Graphviz 'dot' program is not on PATH")
    out = ctx.tmp / "r.html"
    ctx.run("report", ANOMALY, "-o", out, rc=0)
    page = out.read_bytes()
    assert page.startswith(b"<!DOCTYPE html>") and b"Content-Security-Policy" in page
    assert b"<script" not in page.lower() and b"<?xml" not in page and b"<!DOCTYPE svg" not in page
    # Only XML namespace names, never something to fetch.
    urls = set(re.findall(rb'(?:href|src)="([^"#][^"]*)"', page))
    assert not urls, urls
    assert ctx.run("report", ANOMALY, "-o", "-", rc=0).stdout == page
    # Real host data works too (no smss events: the steps the processes show).
    src = ctx.root / "tests" / "fixtures" / "real-like" / "security_evtxexport.xml"
    ctx.run("report", src, "-o", ctx.tmp / "host.html", rc=0)
    assert b"SubSystems" in (ctx.tmp / "host.html").read_bytes()


def test_report_errors_exit_2_and_leave_nothing(ctx):
    out = ctx.tmp / "r.html"
    p = ctx.run("report", ANOMALY, rc=2)
    assert b"-o report.html" in p.stderr
    ctx.run("report", ANOMALY, "-o", ctx.tmp / "r.pdf", rc=2)
    p = ctx.run("report", ANOMALY, "-o", out, "--dot", ctx.tmp / "no-such-dot", rc=2)
    assert b"no-such-dot" in p.stderr
    ctx.run("report", "missing.yaml", "-o", out, rc=2)
    assert not list(ctx.tmp.iterdir())
