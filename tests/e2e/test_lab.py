"""smsslab lab and grade end to end: a ten-exercise lab with two hard
negatives; what students get holds the anomaly (the checker finds exactly the
key's rules in it) and no answer (types, rule ids, labels, red); byte-identical
reruns; the sheet and key; errors exit 2 and leave nothing. Then grade: a
perfect answer sheet from the key, an imperfect one, marks and feedback."""
import json
import re
import shutil
import subprocess

import yaml

import pngdecode

STUDENT_FILES = ["host.json", "host-sysmon.xml", "host-sysmon.evtx", "host-processes.txt",
                 "host-tree.svg"]


def _lab(ctx, name="lab", *extra, n=10):
    out = ctx.tmp / name
    ctx.run("lab", "-n", n, "--seed", 7, "--hard-negatives", 2, "-o", out, *extra, rc=0)
    return out


def _key(lab):
    return yaml.safe_load((lab / "key" / "key.yaml").read_text())


def _tree(d):
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


def test_lab_students_get_the_anomaly_and_no_answer(ctx):
    lab = _lab(ctx)
    key = _key(lab)
    xs = key["exercises"]
    assert [x["exercise"] for x in xs] == list(range(1, 11))
    assert sum(x["verdict"] == "normal" for x in xs) == 2
    assert [x["difficulty"] for x in xs][:3] == ["easy"] * 3 and xs[-1]["difficulty"] == "hard"
    sheet = (lab / "exercises.md").read_text() + (lab / "exercises.html").read_text()
    for x in xs:
        d = lab / f"exercise-{x['exercise']:02d}"
        assert sorted(p.name for p in d.iterdir()) == sorted(STUDENT_FILES)
        assert len(x["hard_negatives"]) == 2, x
        assert (lab / "key" / f"exercise-{x['exercise']:02d}.svg").is_file()
        student = b"".join((d / f).read_bytes() for f in STUDENT_FILES)
        assert b'"anomaly":"' not in student and b'"labels":[]' in student
        assert b'fill="red"' not in (d / "host-tree.svg").read_bytes()
        assert b"<EventID>13</EventID>" not in student
        # The checker, run on what students get, finds exactly the key's rules.
        p = ctx.run("check", "--format", "json", d / "host.json")
        found = [json.loads(l) for l in p.stdout.decode().splitlines()]
        if x["verdict"] == "normal":
            assert p.returncode == 0 and not found, found
            continue
        assert p.returncode == 1
        assert sorted({f["rule"] for f in found}) == sorted(x["rules"]), (x, found)
        assert x["type"].encode() not in student and x["type"] not in sheet
        for r in x["rules"]:
            assert r not in sheet, r
        assert b'fill="red"' in (lab / "key" / f"exercise-{x['exercise']:02d}.svg").read_bytes()
        t = x["target"]
        if "key" in t:
            # The registry panel: the student sees the value, the key marks it red.
            ssvg = (d / "host-tree.svg").read_text()
            ksvg = (lab / "key" / f"exercise-{x['exercise']:02d}.svg").read_text()
            assert "Registry values read at boot" in ssvg and f">{t['name']} = " in ssvg, t
            assert re.search(rf'fill="red">! {re.escape(t["name"])} = ', ksvg), t
        if "pid" in t:
            rows = (d / "host-processes.txt").read_text().splitlines()
            assert any(re.match(rf"{t['pid']} +\d+ ", r) for r in rows), t
    answers = (lab / "key" / "answers.md").read_text()
    assert answers.count("\n## Exercise ") == 10 and "| rule | normal | why | ATT&CK |" in answers
    assert "<img src=\"exercise-01/host-tree.svg\"" in (lab / "exercises.html").read_text()


def test_lab_same_arguments_same_bytes(ctx):
    a = _tree(_lab(ctx, "a", n=4))
    b = _tree(_lab(ctx, "b", n=4))
    assert a == b
    c = _tree(_lab(ctx, "c", "--difficulty", "hard", n=4))
    assert c != a


def test_lab_formats_and_errors(ctx):
    out = ctx.tmp / "few"
    ctx.run("lab", "-n", 2, "--seed", 1, "--difficulty", "easy", "--formats", "native,table",
            "-o", out, rc=0)
    assert sorted(p.name for p in (out / "exercise-01").iterdir()) == \
        ["host-processes.txt", "host.json"]
    assert "host-tree.svg" not in (out / "exercises.md").read_text()
    # Usage errors: exit 2, a message, nothing written.
    for args, msg in [((), "give -n N"),
                      (("-n", 0), "expected 1..500"),
                      (("-n", 2), "give --seed"),
                      (("-n", 2, "--seed", 1, "--difficulty", "brutal"), "easy, medium, hard"),
                      (("-n", 2, "--seed", 1, "--formats", "native,hive"), "'hive'"),
                      (("-n", 2, "--seed", 1, "--topics", "smss,kernel"), "unknown topic 'kernel'"),
                      (("-n", 2, "--seed", 1, "--topics", "lookalike", "--difficulty", "easy"),
                       "difficulties that have one: hard"),
                      (("-n", 2, "--seed", 1, "--hard-negatives", 9), "0..8")]:
        dest = ctx.tmp / "err"
        p = ctx.run("lab", *args, "-o", dest, rc=2)
        assert msg in p.stderr.decode(), (args, p.stderr)
        assert not dest.exists()
    # A folder with something in it is refused and left as it was.
    busy = ctx.tmp / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    p = ctx.run("lab", "-n", 2, "--seed", 1, "-o", busy, rc=2)
    assert "not empty" in p.stderr.decode()
    assert [q.name for q in busy.iterdir()] == ["notes.txt"]
    assert not [q for q in ctx.tmp.iterdir() if ".tmp-" in q.name]
    assert "--hard-negatives" in ctx.run("lab", "--help", rc=0).stdout.decode()


def _answers(key, wrong=()):
    """A perfect answer sheet from the key; exercises in `wrong` answered badly."""
    out = {}
    for x in key["exercises"]:
        n = x["exercise"]
        if n in wrong:
            out[n] = {"process": "explorer.exe", "reason": "looks odd"} \
                if x["verdict"] == "normal" else "normal"
        elif x["verdict"] == "normal":
            out[n] = "normal"
        elif "pid" in x["target"]:
            out[n] = {"process": x["target"]["pid"], "reason": x["rules"][0]}
        else:
            out[n] = {"registry": x["target"]["name"], "reason": x["title"]}
    return out


def test_grade_perfect_and_imperfect_answers(ctx):
    lab = _lab(ctx)
    key = _key(lab)
    normal = [x["exercise"] for x in key["exercises"] if x["verdict"] == "normal"]
    anomalous = [x for x in key["exercises"] if x["verdict"] == "anomaly"]
    perfect = ctx.tmp / "pat.yaml"
    perfect.write_text(yaml.safe_dump({"student": "Pat", "exercises": _answers(key)}))
    # Sam: says "anomaly" on a normal host, "normal" on an anomaly, the right
    # process with a free-text reason, and the wrong process with a rule id.
    sam = _answers(key, wrong={normal[0], anomalous[0]["exercise"]})
    proc = [x for x in anomalous[1:] if "pid" in x["target"]]
    sam[proc[0]["exercise"]] = {"process": proc[0]["target"]["name"], "reason": "no idea"}
    sam[proc[1]["exercise"]] = {"pid": 99999, "reason": proc[1]["rules"][0]}
    del sam[key["exercises"][-1]["exercise"]]
    sloppy = ctx.tmp / "sam.yaml"
    sloppy.write_text(yaml.safe_dump({"exercises": sam}))
    marks = ctx.tmp / "marks.csv"
    p = ctx.run("grade", "--key", lab / "key", "-o", marks, perfect, sloppy, rc=0)
    summary = p.stdout.decode()
    assert "Pat (" in summary and "30/30 marks" in summary
    rows = list(__import__("csv").DictReader(marks.open(newline="")))
    assert len(rows) == 20
    pat = {int(r["exercise"]): r for r in rows if r["student"] == "Pat"}
    sam_rows = {int(r["exercise"]): r for r in rows if r["student"] == "sam"}
    assert all(r["marks"] == "3" for r in pat.values())
    def m(n):
        r = sam_rows[n]
        return (int(r["verdict"]), int(r["location"]), int(r["reason"]))
    assert m(normal[0]) == (0, 0, 0) and "this host is normal" in sam_rows[normal[0]]["feedback"]
    a0 = anomalous[0]
    assert m(a0["exercise"]) == (0, 0, 0)
    assert sam_rows[a0["exercise"]]["feedback"].startswith("not normal: " + a0["title"])
    assert m(proc[0]["exercise"]) == (1, 1, 0)
    assert "what is wrong" in sam_rows[proc[0]["exercise"]]["feedback"]
    assert m(proc[1]["exercise"]) == (1, 0, 1)
    assert "look at " + proc[1]["target"]["name"] in sam_rows[proc[1]["exercise"]]["feedback"]
    last = key["exercises"][-1]["exercise"]
    assert m(last) == (0, 0, 0) and sam_rows[last]["feedback"] == "no answer"
    total = sum(sum(m(n)) for n in sam_rows)
    assert f"sam ({sloppy}): {total}/30 marks" in summary, summary
    # The rule's own explanation is the feedback.
    assert "normal: " in sam_rows[a0["exercise"]]["feedback"] and "ATT&CK" in \
        sam_rows[a0["exercise"]]["feedback"]


def test_grade_bad_input_is_located(ctx):
    lab = _lab(ctx, n=2)
    cases = [
        ("exercises:\n  1: normal\n  7: normal\n", "bad.yaml:3:3: the lab has no exercise 7"),
        ("exercises:\n  1: {process: 4, why: x}\n", "bad.yaml:2:19: unknown key 'why'"),
        ("exercises:\n  1: fine\n", "bad.yaml:2:6: exercise 1: 'fine'"),
        ("exercises:\n  1: normal\n 2: [\n", "bad.yaml:3:"),
        ("exercises: &a\n  1: normal\n", "anchors are not allowed"),
    ]
    for text, msg in cases:
        bad = ctx.tmp / "bad.yaml"
        bad.write_text(text)
        marks = ctx.tmp / "m.csv"
        p = ctx.run("grade", "--key", lab / "key", "-o", marks, bad, rc=2)
        assert msg in p.stderr.decode(), (text, p.stderr)
        assert not marks.exists()
    p = ctx.run("grade", "--key", lab / "exercises.md", ctx.tmp / "bad.yaml", rc=2)
    assert "not a lab key" in p.stderr.decode() or "yaml" in p.stderr.decode()
    assert "no key" in ctx.run("grade", ctx.tmp / "bad.yaml", rc=2).stderr.decode()
    assert "ANSWERS.yaml" in ctx.run("grade", "--help", rc=0).stdout.decode()


def _rules_by_id(ctx):
    out = ctx.run("rules", "--format", "json", rc=0).stdout.decode().splitlines()
    return {r["id"]: r for r in map(json.loads, out)}


def _rule_topic(rule):
    lesson = rule["lesson"]
    if lesson.lower().endswith(".exe"):
        return lesson[:-4].lower()
    if lesson == "core":
        return rule["id"].split("-")[0].lower()
    return lesson.lower()


def test_lab_topics_filter_by_the_anomalys_own_rule(ctx):
    """--topics keeps only anomalies about the topic, judged here from the
    rule table (the first expected rule's lesson) independently of lab.c."""
    listed = ctx.run("lab", "--topics", "help", rc=0).stdout.decode().split()
    for t in ["smss", "csrss", "winlogon", "lsass", "services", "registry", "lookalike"]:
        assert t in listed, listed
    assert ctx.run("help", "lab", rc=0).stdout.decode().count("--topics") >= 2
    rules = _rules_by_id(ctx)
    cat = {a["id"]: a for a in map(json.loads, ctx.run(
        "anomalies", "--format", "json", rc=0).stdout.decode().splitlines())}
    for topic, diff in [("csrss", "mixed"), ("registry", "hard"), ("lookalike", "mixed"),
                        ("lsass", "medium")]:
        out = ctx.tmp / f"t-{topic}"
        ctx.run("lab", "-n", 6, "--seed", 11, "--difficulty", diff, "--topics", topic,
                "--formats", "native", "-o", out, rc=0)
        xs = _key(out)["exercises"]
        anomalies = [x for x in xs if x["verdict"] == "anomaly"]
        assert len(anomalies) >= 4, xs
        for x in anomalies:
            assert topic in x["topics"], x
            # The key's topics follow from its first rule (and "registry" for a value).
            expect = {_rule_topic(rules[r]) for r in x["rules"][:1]}
            if "registry" in x["target"] or "key" in x["target"]:
                expect.add("registry")
            assert set(x["topics"]) == expect, (x, expect)
            assert x["type"] in cat
        if topic == "lookalike":
            assert {x["type"] for x in anomalies} == {"smss-lookalike"}
    # Without --topics the same seed draws other types: the filter did the work.
    out = ctx.tmp / "t-all"
    ctx.run("lab", "-n", 6, "--seed", 11, "--difficulty", "medium", "--formats", "native",
            "-o", out, rc=0)
    assert any("lsass" not in x.get("topics", ["lsass"]) for x in _key(out)["exercises"]
               if x["verdict"] == "anomaly")


def test_lab_evtx_reads_back_and_tells_nothing(ctx):
    """The student's .evtx: smsslab reads it to the same findings as the XML,
    libevtx's evtxexport reads it cleanly, and neither holds a label, an
    anomaly id or a registry event that exists only for the planted value."""
    out = ctx.tmp / "ev"
    ctx.run("lab", "-n", 5, "--seed", 3, "--formats", "evtx,sysmon", "-o", out, rc=0)
    xs = _key(out)["exercises"]
    assert any(x["verdict"] == "normal" for x in xs)
    for x in xs:
        d = out / f"exercise-{x['exercise']:02d}"
        assert sorted(p.name for p in d.iterdir()) == ["host-sysmon.evtx", "host-sysmon.xml"]
        ev = d / "host-sysmon.evtx"
        assert ev.read_bytes()[:8] == b"ElfFile\0"
        a = ctx.run("check", "--format", "json", ev)
        b = ctx.run("check", "--format", "json", d / "host-sysmon.xml")
        assert a.returncode in (0, 1) and a.returncode == b.returncode
        fa = sorted((f["rule"], f["process"]["pid"]) for f in map(json.loads, a.stdout.decode().splitlines()))
        fb = sorted((f["rule"], f["process"]["pid"]) for f in map(json.loads, b.stdout.decode().splitlines()))
        assert fa == fb
        if x["verdict"] == "normal":
            assert a.returncode == 0
        elif "pid" in x["target"]:
            assert a.returncode == 1 and any(pid == x["target"]["pid"] for _, pid in fa), (x, fa)
        if shutil.which("evtxexport"):
            p = subprocess.run(["evtxexport", "-f", "xml", str(ev)], capture_output=True,
                               timeout=120)
            assert p.returncode == 0 and p.stderr == b"", p.stderr[:500]
            text = p.stdout.decode()
            assert text.count("<EventID>1</EventID>") > 30
            assert "<EventID>13</EventID>" not in text
            words = ["anomaly", "smsslab", "label"] + ([x["type"]] if "type" in x else [])
            for w in words:
                assert w not in text.lower(), w


def test_readme_teaching_walkthrough_is_real(ctx):
    """The README's Teaching section: its lab command, Sam's answers and the
    grade summary it quotes are what the tool does; its pictures are the ones
    scripts/teaching-pictures.sh draws (same size: Graphviz's PNG bytes may
    differ between versions)."""
    readme = (ctx.root / "README.md").read_text()
    sec = readme.split("## Teaching\n", 1)[1].split("\n## ", 1)[0]
    lab = ctx.tmp / "lab"
    # As the README types it: a trailing slash names the same folder.
    out = ctx.run("lab", "-n", 10, "--seed", 7, "--hard-negatives", 2, "-o", f"{lab}/", rc=0)
    assert "wrote 10 exercises (2 normal) to " in out.stdout.decode()
    assert "$ smsslab lab -n 10 --seed 7 --hard-negatives 2 -o lab/" in sec
    answers = re.search(r"\$ cat answers/sam\.yaml\n(.*?)\$ smsslab grade", sec, re.S).group(1)
    (ctx.tmp / "answers").mkdir()
    (ctx.tmp / "answers" / "sam.yaml").write_text(answers)
    g = ctx.run("grade", "--key", lab / "key", "-o", ctx.tmp / "marks.csv",
                ctx.tmp / "answers" / "sam.yaml", rc=0).stdout.decode()
    first = g.splitlines()[0].replace(str(ctx.tmp) + "/", "")
    assert first in sec, first
    for line in g.splitlines()[1:]:
        quoted = [l for l in sec.splitlines() if l.startswith(line[:40])]
        if quoted:
            assert line.startswith(quoted[0].rstrip(".").split("...")[0]), (line, quoted)
    pics = re.findall(r"\(docs/img/([\w.-]+\.png)\)", readme)
    assert "teach-exercise-02.png" in pics and "teach-rdp-host.png" in pics
    if shutil.which("dot") is None:
        return
    drawn = ctx.tmp / "img"
    subprocess.run([str(ctx.root / "scripts" / "teaching-pictures.sh"), str(ctx.bin), str(drawn)],
                   cwd=ctx.root, check=True, capture_output=True, timeout=300)
    for name in pics:
        want = pngdecode.size((ctx.root / "docs" / "img" / name).read_bytes())
        assert pngdecode.size((drawn / name).read_bytes()) == want, name
