"""smsslab lab and grade end to end: a ten-exercise lab with two hard
negatives; what students get holds the anomaly (the checker finds exactly the
key's rules in it) and no answer (types, rule ids, labels, red); byte-identical
reruns; the sheet and key; errors exit 2 and leave nothing. Then grade: a
perfect answer sheet from the key, an imperfect one, marks and feedback."""
import json
import re

import yaml

STUDENT_FILES = ["host.json", "host-sysmon.xml", "host-processes.txt", "host-tree.svg"]


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
                      (("-n", 2, "--seed", 1, "--formats", "native,evtx"), "'evtx'"),
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
