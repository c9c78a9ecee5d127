"""smsslab corpus and score end to end: a run killed mid-way leaves only
complete part files and --resume completes it to the same bytes; shards run as
separate processes union to the unsharded corpus; formats agree; the scorer
reads hand-made detections and `check --format json` lines, and the built-in
checker scores recall and precision 1.0."""
import json
import os
import signal
import subprocess
import sys
import time
import xml.dom.minidom

Skip = getattr(sys.modules["__main__"], "Skip", None)
if Skip is None:
    from run_e2e import Skip


def _tree(root):
    out = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            p = os.path.join(dirpath, f)
            out[os.path.relpath(p, root)] = open(p, "rb").read()
    return out


def test_kill_then_resume_gives_identical_bytes(ctx):
    args = ["corpus", "-n", "600", "--seed", "11", "--per-file", "20", "-q"]
    full = ctx.tmp / "full"
    ctx.run(*args, "-o", full, rc=0)
    cut = ctx.tmp / "cut"
    p = subprocess.Popen([ctx.bin, *args, "-o", str(cut)], stderr=subprocess.PIPE)
    # Wait until some parts are done, then stop it mid-way.
    deadline = time.time() + 60
    while time.time() < deadline:
        done = list((cut / "manifest").glob("part-*.jsonl")) if (cut / "manifest").is_dir() else []
        if len(done) >= 3:
            break
        time.sleep(0.01)
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=60)
    files = _tree(cut)
    assert "manifest.jsonl" not in files or p.returncode == 0, "killed run assembled the manifest"
    for name in files:
        assert ".tmp" not in name, f"temporary file left behind: {name}"
    # Every part file present is complete: byte-identical to the full run's.
    fulls = _tree(full)
    for name, data in files.items():
        assert fulls.get(name) == data, f"{name} is partial"
    ctx.run(*args, "-o", cut, "--resume", rc=0)
    assert _tree(cut) == fulls


def test_sigkill_leaves_only_temp_files_that_resume_ignores(ctx):
    args = ["corpus", "-n", "400", "--seed", "12", "--per-file", "10", "-q"]
    full = ctx.tmp / "full"
    ctx.run(*args, "-o", full, rc=0)
    cut = ctx.tmp / "cut"
    p = subprocess.Popen([ctx.bin, *args, "-o", str(cut)], stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while time.time() < deadline:
        if (cut / "manifest").is_dir() and len(list((cut / "manifest").glob("part-*"))) >= 2:
            break
        time.sleep(0.01)
    p.kill()
    p.wait(timeout=60)
    fulls = _tree(full)
    for name, data in _tree(cut).items():
        if ".tmp" in name:
            continue  # SIGKILL cannot clean up; the names never clash with parts
        assert fulls.get(name) == data, f"{name} is partial"
    ctx.run(*args, "-o", cut, "--resume", rc=0)
    assert _tree(cut) == fulls, "--resume must complete the corpus and remove the killed run's temporary files"


def test_resume_removes_only_its_own_shards_temp_files(ctx):
    # Temporary files as core/afile names them, as SIGKILL leaves them: the
    # resumed shard 0/2 removes its parts' (0, 2) and keeps shard 1's (3),
    # which another process may be writing right now, and unrelated files.
    args = ["corpus", "-n", "40", "--seed", "5", "--per-file", "10", "-q", "--shard", "0/2"]
    out = ctx.tmp / "c"
    ctx.run(*args, "-o", out, rc=0)
    planted = {
        "native/.part-00000.jsonl.tmpAbC123": False,
        "manifest/.part-00002.jsonl.tmpzz9YYx": False,
        "native/.part-00003.jsonl.tmpQw3rty": True,
        "native/.part-00002.jsonl.tmp": True,
        "native/notes.tmpAbC123": True,
    }
    for name in planted:
        (out / name).write_bytes(b"x" * 100)
    before = {k: v for k, v in _tree(out).items() if k not in planted}
    loud = [a for a in args if a != "-q"]
    r = ctx.run(*loud, "-o", out, "--resume", rc=0).stderr.decode()
    assert "removed 2 temporary files left by a killed run" in r, r
    for name, kept in planted.items():
        assert (out / name).exists() == kept, name
    assert {k: v for k, v in _tree(out).items() if k not in planted} == before


def test_shards_as_processes_union_to_the_whole(ctx):
    args = ["corpus", "-n", "90", "--seed", "3", "--per-file", "7", "-q"]
    whole = ctx.tmp / "whole"
    ctx.run(*args, "-o", whole, rc=0)
    sharded = ctx.tmp / "sharded"
    procs = [subprocess.Popen([ctx.bin, *args, "-o", str(sharded), "--shard", f"{k}/4"])
             for k in range(4)]
    for p in procs:
        assert p.wait(timeout=120) == 0
    assert _tree(sharded) == _tree(whole)


def test_formats_and_manifest_agree(ctx):
    out = ctx.tmp / "c"
    ctx.run("corpus", "-n", "12", "--seed", "5", "-o", out, "--anomaly-rate", "1", "-q", rc=0)
    man = [json.loads(l) for l in (out / "manifest.jsonl").read_text().splitlines()]
    assert [m["sample"] for m in man] == list(range(12))
    for m in man:
        assert m["anomalies"], "rate 1 gives every sample a label"
        native = (out / m["files"]["native"]["file"]).read_text().splitlines()
        run = json.loads(native[m["files"]["native"]["line"] - 1])
        assert [l["id"] for l in run["labels"]] == [a["id"] for a in m["anomalies"]]
        f = m["files"]["sysmon"]
        lo = f["line"] - 1
        xml_lines = (out / f["file"]).read_text().splitlines()[lo:lo + f["lines"]]
        e = m["files"]["ecs"]
        ecs = (out / e["file"]).read_text().splitlines()[e["line"] - 1:e["line"] - 1 + e["lines"]]
        assert len(xml_lines) == len(ecs) == f["lines"]
        rids = []
        for x, j in zip(xml_lines, ecs):
            d = xml.dom.minidom.parseString(x)
            rid = d.getElementsByTagName("EventRecordID")[0].firstChild.data
            assert json.loads(j)["winlog"]["record_id"] == rid
            # the FQDN when the sample's host has a DNS domain (docs/fidelity.md, point 12)
            computer = m["host"] + ("." + m["dns_domain"] if m["dns_domain"] else "")
            assert d.getElementsByTagName("Computer")[0].firstChild.data == computer
            rids.append(int(rid))
        assert rids == sorted(rids), "EventRecordID increases"
        labelled = {r for a in m["anomalies"] for p in a["processes"] + a["registry"]
                    for r in p["record_ids"]}
        assert labelled <= set(rids)
        c = m["files"]["csv"]
        rows = (out / c["file"]).read_text().splitlines()[c["line"] - 1:c["line"] - 1 + c["lines"]]
        assert all(r.startswith(f"{m['sample']},") for r in rows)
        pids = {p["pid"] for p in run["snapshots"][-1]["processes"]}
        last = run["snapshots"][-1]["at"]
        assert pids == {int(r.split(",")[2]) for r in rows if r.split(",")[1] == last}


def test_score_builtin_checker_is_perfect(ctx):
    out = ctx.tmp / "c"
    ctx.run("corpus", "-n", "300", "--seed", "2024", "-o", out, "--anomaly-rate", "0.5",
            "--formats", "native", "-q", rc=0)
    rep = json.loads(ctx.run("score", "--truth", out, "--run-checker", "--format", "json",
                             rc=0).stdout)
    o = rep["overall"]
    assert o["labels"] > 100
    assert o["recall"] == 1.0 and o["precision"] == 1.0, json.dumps(rep)[:3000]
    assert rep["missed"] == [] and rep["false_alerts"] == []


def test_score_reads_check_json_and_hand_made_lines(ctx):
    out = ctx.tmp / "c"
    ctx.run("corpus", "-n", "8", "--seed", "77", "-o", out, "--anomaly-rate", "1",
            "--formats", "native", "--per-file", "4", "-q", rc=0)
    # smsslab check's own JSON lines, mapped to samples by host and snapshot time.
    dets = ctx.tmp / "check.jsonl"
    with open(dets, "wb") as f:
        for part in sorted((out / "native").glob("part-*.jsonl")):
            f.write(ctx.run("check", "--format", "json", part).stdout)
    rep = json.loads(ctx.run("score", "--truth", out, "--detections", dets, "--format", "json",
                             rc=0).stdout)
    assert rep["overall"]["recall"] == 1.0 and rep["overall"]["precision"] == 1.0, rep
    # Hand-made: one hit, its duplicate, one false alert; the rest missed.
    man = [json.loads(l) for l in (out / "manifest.jsonl").read_text().splitlines()]
    a = man[0]["anomalies"][0]
    if a["processes"]:
        hit = {"sample": 0, "pid": a["processes"][0]["pid"],
               "create_time": a["processes"][0]["create_time"], "rule": "MINE"}
    else:
        hit = {"sample": 0, "registry": a["registry"][0], "rule": "MINE"}
    hand = ctx.tmp / "hand.jsonl"
    hand.write_text("\n".join(json.dumps(x) for x in
                              [hit, hit, {"sample": 3, "pid": 99996, "rule": "MINE"}]) + "\n")
    rep = json.loads(ctx.run("score", "--truth", out, "--detections", hand, "--format", "json",
                             rc=0).stdout)
    o = rep["overall"]
    nlabels = sum(len(m["anomalies"]) for m in man)
    assert (o["labels"], o["detected"], o["true_alerts"], o["false_alerts"], o["duplicates"]) == \
        (nlabels, 1, 1, 1, 1)
    assert len(rep["missed"]) == nlabels - 1
    human = ctx.run("score", "--truth", out, "--detections", hand, rc=0).stdout.decode()
    assert "overall" in human and "false alerts (1)" in human
    bad = ctx.tmp / "bad.jsonl"
    bad.write_text('{"pid": 4}\n')
    p = ctx.run("score", "--truth", out, "--detections", bad, rc=2)
    assert b"bad.jsonl:1:" in p.stderr
    # CRLF line ends, blank lines and a last line without a newline read the same.
    crlf = ctx.tmp / "crlf.jsonl"
    crlf.write_bytes(b"\r\n" + hand.read_text().strip().replace("\n", "\r\n\r\n").encode())
    rep2 = json.loads(ctx.run("score", "--truth", out, "--detections", crlf, "--format", "json",
                              rc=0).stdout)
    assert rep2["overall"] == o
    # One hostile line longer than the limit: a located error, bounded memory.
    huge = ctx.tmp / "huge.jsonl"
    huge.write_bytes(json.dumps(hit).encode() + b"\n" + b" " * (17 << 20) + b"\n")
    p = ctx.run("score", "--truth", out, "--detections", huge, rc=2)
    assert b"huge.jsonl:2: line longer than 16777216 bytes" in p.stderr
    p = ctx.run("score", "--truth", out, "--detections", "-", stdin=b'{"sample":0,"pid":4}\x00x\n',
                rc=2)
    assert b"<stdin>:1: not a JSON object" in p.stderr


def test_corpus_usage_errors_and_quiet_stderr(ctx):
    ctx.run("corpus", "-n", "0", "--seed", "1", "-o", ctx.tmp / "x", rc=2)
    ctx.run("corpus", "-n", "5", "--seed", "1", "-o", ctx.tmp / "x", "--anomaly-rate", "2", rc=2)
    ctx.run("corpus", "-n", "5", "--seed", "1", "-o", ctx.tmp / "x", "--shard", "3/3", rc=2)
    p = ctx.run("corpus", "-n", "5", "--seed", "1", "-o", ctx.tmp / "x", "--anomalies",
                "no-such-type", rc=2)
    assert b"no-such-type" in p.stderr
    # Not a terminal: no progress bar (no carriage returns), and nothing on stdout.
    p = ctx.run("corpus", "-n", "5", "--seed", "1", "-o", ctx.tmp / "y", rc=0)
    assert p.stdout == b"" and b"\r" not in p.stderr


def test_docs_manifest_example_is_real(ctx):
    # docs/corpus.md shows a manifest line; it must be what the binary writes.
    doc = (ctx.root / "docs" / "corpus.md").read_text()
    block = doc.split("## Manifest line", 1)[1].split("```json\n", 1)[1].split("```", 1)[0]
    shown = json.loads(block.replace("{…}", "null"))
    out = ctx.tmp / "c1"
    ctx.run("corpus", "-n", "1", "--seed", "7", "-o", out, "-q", rc=0)
    real = json.loads((out / "manifest.jsonl").read_text().splitlines()[0])
    real["files"]["ecs"] = real["files"]["csv"] = None
    assert shown == real
