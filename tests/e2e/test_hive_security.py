"""smsslab corpus --formats security-xml,security-evtx,hive, read back by
independent readers and by smsslab itself.

Security 4688/4689: evtxexport (libevtx) and python-evtx must read every
.evtx record without a warning and give back exactly the events of the XML
written beside them, with the field names and order of the real records in
../shared/real/formats (Microsoft's 4688 v2 and 4689 examples). smsslab
reads the XML and the .evtx to the same process tree and findings.

Hives: hivexregedit --export (hivex) and regfexport (libregf, an independent
implementation) read every SYSTEM and SOFTWARE hive without a warning;
smsslab check finds a planted value in a hive and nothing in a clean one;
a hive given with the .evtx of its host makes one snapshot holding both the
processes and the registry; damaged hives are refused, naming the file.
"""
import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import evtxread

Skip = getattr(sys.modules["__main__"], "Skip", None)
if Skip is None:
    from run_e2e import Skip

NS = "{http://schemas.microsoft.com/win/2004/08/events/event}"
HEX = {"SubjectLogonId", "NewProcessId", "ProcessId", "TargetLogonId", "Status"}


def _event(elem):
    sysb = elem.find(NS + "System")
    data = []
    for d in elem.find(NS + "EventData").findall(NS + "Data"):
        name, value = d.get("Name"), d.text or ""
        if name in HEX:
            value = int(value, 16)
        data.append((name, value))
    t = sysb.find(NS + "TimeCreated").get("SystemTime")
    return (int(sysb.find(NS + "EventID").text), int(sysb.find(NS + "Version").text),
            int(sysb.find(NS + "EventRecordID").text), t[:26],
            sysb.find(NS + "Computer").text or "", sysb.find(NS + "Channel").text, data)


def _xml_events(path):
    return [_event(ET.fromstring(line)) for line in path.read_text().splitlines()]


def _evtxexport(path):
    return [_event(e) for e in evtxread.evtxexport_elements(path)]


def _python_evtx(path):
    import Evtx.Evtx as E

    events = []
    with evtxread.python_evtx_strict():
        with E.Evtx(str(path)) as log:
            fh = log.get_file_header()
            assert fh.verify() and not fh.is_dirty()
            for ch in fh.chunks():
                assert ch.verify(), f"chunk at {ch.offset():#x}: magic or CRC32"
                for rec in ch.records():
                    assert rec.verify()
                    ev = _event(ET.fromstring(rec.xml()))
                    events.append(ev[:3] + (None,) + ev[4:])  # float-rendered time
    return events


def _first_4688_types(path):
    """EventData substitution types of the first 4688 v2 record, as python-evtx names them."""
    import Evtx.Evtx as E

    with E.Evtx(str(path)) as log:
        for rec in log.records():
            ev = _event(ET.fromstring(rec.xml()))
            if ev[0] != 4688 or ev[1] != 2:
                continue
            for x in rec.root().substitutions():
                if type(x).__name__ == "BXmlTypeNode":
                    return [type(y).__name__ for y in x._root.substitutions()]
    return None


def _real_names(ctx, name):
    f = ctx.root.parent / "shared" / "real" / "formats" / name
    if not f.exists():
        return None
    text = f.read_text()
    return re.findall(r'<Data Name="(\w+)"', text[text.index("<Event"):])


def test_security_evtx_reads_back_as_its_xml(ctx):
    evtxread.need_readers()
    out = ctx.tmp / "c"
    ctx.run("corpus", "-n", "16", "--seed", "8", "--per-file", "8", "--anomaly-rate", "0.5",
            "--formats", "security-xml,security-evtx", "-q", "-o", out, rc=0)
    names = {}
    for part in sorted((out / "security-evtx").glob("part-*.evtx")):
        xml_ev = _xml_events(out / "security-xml" / (part.stem + ".xml"))
        assert {e[0] for e in xml_ev} == {4688, 4689}
        assert _evtxexport(part) == xml_ev
        py = _python_evtx(part)
        assert py == [e[:3] + (None,) + e[4:] for e in xml_ev]
        for e in xml_ev:
            assert e[5] == "Security"
            names.setdefault((e[0], e[1]), [n for n, _ in e[6]])
    # Same arguments, same bytes.
    again = ctx.tmp / "again"
    ctx.run("corpus", "-n", "16", "--seed", "8", "--per-file", "8", "--anomaly-rate", "0.5",
            "--formats", "security-xml,security-evtx", "-q", "-o", again, rc=0)
    for rel in ("security-evtx/part-00001.evtx", "security-xml/part-00001.xml"):
        assert (out / rel).read_bytes() == (again / rel).read_bytes()
    # Field names and order as Windows writes them (Microsoft's examples).
    v2 = _real_names(ctx, "ms_docs_4688_v2_example.xml")
    exit_names = _real_names(ctx, "ms_docs_4689_example.xml")
    if v2 is None:
        raise Skip("../shared/real/formats is not present")
    assert names[(4688, 2)] == v2
    assert names[(4689, 0)] == exit_names
    # Values typed as Windows types them: a real Security log's 4688 v2 template.
    real = ctx.root.parent / "shared" / "real" / "evtx" / "sec4688_msf_payload_services_cmd.evtx"
    if real.exists():
        mine = _first_4688_types(sorted((out / "security-evtx").glob("part-*.evtx"))[0])
        assert mine == _first_4688_types(real) and "SIDTypeNode" in mine, mine
    # Windows 7 writes version 0: the first eight fields.
    if (4688, 0) in names:
        assert names[(4688, 0)] == v2[:8]
    # The manifest points at each sample's Security records in both files.
    for line in (out / "manifest.jsonl").read_text().splitlines():
        m = json.loads(line)
        x, v = m["files"]["security-xml"], m["files"]["security-evtx"]
        assert x["lines"] == v["records"] and x["first_record_id"] == v["first_record_id"]
        ev = _xml_events(out / x["file"])[x["line"] - 1:x["line"] - 1 + x["lines"]]
        assert ev[0][2] == x["first_record_id"] and ev[-1][2] == x["last_record_id"]
        # The Computer: the host, or host.dns_domain on a domain member (as Windows logs it).
        computer = m["host"] + ("." + m["dns_domain"] if m.get("dns_domain") else "")
        assert {e[4] for e in ev} == {computer}
        for a in m["anomalies"]:
            for p in a["processes"]:
                ids = p["security_record_ids"]
                got = [e for e in ev if e[2] in ids]
                assert len(got) == len(ids) >= 1
                assert all(dict(e[6]).get("NewProcessId", dict(e[6]).get("ProcessId")) ==
                           p["pid"] for e in got)


def test_golden_security_evtx_reads_back_in_both_readers(ctx):
    # tests/golden/security-4688-4689.evtx is written by tests/test_corpus.c
    # through corpus/security.c and compared there byte for byte (README.md
    # beside it: how to regenerate). Both readers, strict (any warning
    # fails), must give back exactly the events of the XML written with it:
    # 4688 version 2 (Windows 10) and 0 (Windows 7), 4689.
    evtxread.need_readers()
    golden = ctx.root / "tests" / "golden"
    xml_ev = _xml_events(golden / "security-4688-4689.xml")
    assert {(e[0], e[1]) for e in xml_ev} == {(4688, 2), (4688, 0), (4689, 0)}
    assert {e[4] for e in xml_ev} == {"GOLDEN-PC", "GOLDEN-7"}
    evtx = golden / "security-4688-4689.evtx"
    assert _evtxexport(evtx) == xml_ev
    assert _python_evtx(evtx) == [e[:3] + (None,) + e[4:] for e in xml_ev]


def test_security_xml_and_evtx_read_to_the_same_tree(ctx):
    out = ctx.tmp / "c"
    ctx.run("corpus", "-n", "1", "--seed", "30", "--anomaly-rate", "1", "--anomalies",
            "services-shell", "--formats", "security-xml,security-evtx", "-q", "-o", out, rc=0)
    x, v = out / "security-xml" / "part-00000.xml", out / "security-evtx" / "part-00000.evtx"
    a = ctx.run("check", "--format", "json", x)
    b = ctx.run("check", "--format", "json", v)
    assert a.returncode == b.returncode == 1, (a.stderr[:300], b.stderr[:300])
    assert "SERVICES-SHELL" in a.stdout.decode()
    assert evtxread.findings(a.stdout) == evtxread.findings(b.stdout)
    ta = ctx.run("render", "--no-check", x, rc=0).stdout.decode()
    tb = ctx.run("render", "--no-check", v, rc=0).stdout.decode()
    # Only the source's name differs ("source security-xml").
    strip = lambda s: re.sub(r"security-(xml|evtx)", "F", s)  # noqa: E731
    assert strip(ta) == strip(tb) and ta.count("->") > 20


def _need_hive_readers():
    for tool, pkg in (("hivexregedit", "libwin-hivex-perl"), ("regfexport", "libregf-utils")):
        if not shutil.which(tool):
            raise Skip(f"{tool} ({pkg}) is not installed")


def _hive_corpus(ctx, n, seed, types, formats="hive"):
    out = ctx.tmp / f"h{seed}"
    args = ["corpus", "-n", n, "--seed", seed, "--anomaly-rate", "1" if types else "0",
            "--formats", formats, "-q", "-o", out]
    if types:
        args += ["--anomalies", types]
    ctx.run(*args, rc=0)
    return out, [json.loads(x) for x in (out / "manifest.jsonl").read_text().splitlines()]


def test_hives_read_back_in_hivex_and_libregf(ctx):
    _need_hive_readers()
    out, man = _hive_corpus(ctx, 6, 4, "bootexecute-extra,winlogon-shell,ifeo-debugger")
    for m in man:
        h = m["files"]["hive"]
        for key in ("system", "software"):
            f = out / h[key]
            p = subprocess.run(["hivexregedit", "--export", str(f), "\\"], capture_output=True,
                               timeout=60)
            assert p.returncode == 0 and p.stderr == b"", (f, p.stderr[:500])
            text = p.stdout.decode("utf-8", "replace")
            q = subprocess.run(["regfexport", str(f)], capture_output=True, timeout=60)
            assert q.returncode == 0 and q.stderr == b"", (f, q.stderr[:500])
            if key == "system" and shutil.which("hivexget"):  # libhivex-bin
                got = subprocess.run(["hivexget", str(f), "ControlSet001\\Control\\ComputerName"
                                      "\\ComputerName", "ComputerName"], capture_output=True,
                                     timeout=60)
                assert got.stdout.decode().strip() == m["host"] and got.stderr == b""
            if key == "system":
                assert "[\\Select]" in text and '"Current"=dword:00000001' in text
                assert "[\\ControlSet001\\Control\\Session Manager\\KnownDLLs]" in text
                assert "Key: ComputerName" in q.stdout.decode() and m["host"] in q.stdout.decode()
            else:
                assert "[\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon]" in text
    # Same arguments, same bytes.
    again = ctx.tmp / "again"
    ctx.run("corpus", "-n", "6", "--seed", "4", "--anomaly-rate", "1", "--anomalies",
            "bootexecute-extra,winlogon-shell,ifeo-debugger", "--formats", "hive", "-q", "-o",
            again, rc=0)
    for m in man:
        for key in ("system", "software"):
            rel = m["files"]["hive"][key]
            assert (out / rel).read_bytes() == (again / rel).read_bytes()


RULE_OF = {"bootexecute-extra": "SM-BOOTEXECUTE", "winlogon-shell": "WINLOGON-SHELL",
           "ifeo-debugger": "IFEO-DEBUGGER"}


def test_check_finds_planted_values_in_hives_and_nothing_in_clean_ones(ctx):
    out, man = _hive_corpus(ctx, 6, 4, ",".join(RULE_OF))
    for m in man:
        h = m["files"]["hive"]
        p = ctx.run("check", "--format", "json", out / h["system"], out / h["software"])
        rules = {json.loads(x)["rule"] for x in p.stdout.decode().splitlines()}
        want = {RULE_OF[a["type"]] for a in m["anomalies"]}  # a hive has no processes
        assert p.returncode == 1 and want <= rules, (m["anomalies"], rules)
        # One snapshot: the two hives of one host, named by SYSTEM.
        p = ctx.run("check", out / h["system"], out / h["software"])
        assert "in 1 snapshot " in p.stdout.decode() and m["host"] in p.stdout.decode()
    # score attributes a hive's findings to its sample by the file alone.
    lines = b""
    for m in man:
        h = m["files"]["hive"]
        lines += ctx.run("check", "--format", "json", out / h["system"], out / h["software"]).stdout
    (ctx.tmp / "hive.jsonl").write_bytes(lines)
    r = json.loads(ctx.run("score", "--truth", out, "--detections", ctx.tmp / "hive.jsonl",
                           "--format", "json", rc=0).stdout)
    o = r["overall"] if "overall" in r else r
    assert o["labels"] == sum(len(m["anomalies"]) for m in man) == o["detected"], o
    assert o["precision"] == 1.0
    clean, cman = _hive_corpus(ctx, 3, 9, None)
    for m in cman:
        h = m["files"]["hive"]
        p = ctx.run("check", clean / h["system"], clean / h["software"], rc=0)
        assert b"no findings in 1 snapshot" in p.stdout


def test_hive_and_evtx_of_one_host_are_one_snapshot(ctx):
    # Security .evtx (processes, no registry events) + the host's hives.
    out, man = _hive_corpus(ctx, 4, 11, "services-shell,winlogon-shell",
                            "hive,security-evtx")
    evtx = out / "security-evtx" / "part-00000.evtx"
    alone = ctx.run("check", "--format", "json", evtx)
    assert "WINLOGON-SHELL" not in alone.stdout.decode()  # the log has no registry
    checked = both = 0
    for m in man:
        types = {a["type"] for a in m["anomalies"]}
        h = m["files"]["hive"]
        p = ctx.run("check", "--format", "json", evtx, out / h["system"], out / h["software"])
        found = [json.loads(x) for x in p.stdout.decode().splitlines()]
        # A domain member's log names it by its DNS name (PC01.example.corp).
        mine = [f for f in found
                if f["snapshot"]["host"].split(".")[0].lower() == m["host"].lower()]
        if "winlogon-shell" in types:
            reg = [f for f in mine if f["rule"] == "WINLOGON-SHELL"]
            assert reg, mine
            # The same snapshot as the host's processes (its time is the log's).
            assert reg[0]["snapshot"]["at"] is not None
            procs = [f for f in mine if "process" in f]
            if "services-shell" in types:
                # Both kinds of finding in one snapshot of the host.
                assert procs and procs[0]["snapshot"] == reg[0]["snapshot"]
                both += 1
            checked += 1
        # No snapshot of the hives alone: one per host of the log.
        human = ctx.run("check", evtx, out / h["system"], out / h["software"])
        n_alone = ctx.run("check", evtx).stdout.decode().strip().splitlines()[-1]
        snaps = lambda s: re.search(r"in (\d+) snapshots?", s).group(1)  # noqa: E731
        assert snaps(human.stdout.decode().strip().splitlines()[-1]) == snaps(n_alone)
    assert checked and both  # seed 11: sample 2 has both anomalies


def test_hive_of_another_host_and_damaged_hives_are_refused(ctx):
    out, man = _hive_corpus(ctx, 2, 12, None, "hive,security-evtx")
    h0 = man[0]["files"]["hive"]
    # Sample 1's log alone with sample 0's SYSTEM: two hosts.
    one = ctx.tmp / "one"
    ctx.run("corpus", "-n", "1", "--seed", "77", "--anomaly-rate", "0", "--formats",
            "security-evtx", "-q", "-o", one, rc=0)
    p = ctx.run("check", one / "security-evtx" / "part-00000.evtx", out / h0["system"], rc=2)
    assert b"SYSTEM hive is of host" in p.stderr
    # A cut log read with a hive: the warning names the log, not the group.
    cut = ctx.tmp / "cut.evtx"
    cut.write_bytes((out / "security-evtx" / "part-00000.evtx").read_bytes()[:70000])
    p = ctx.run("check", out / h0["system"], cut)
    assert p.returncode in (0, 1), p.stderr[:300]
    assert f"smsslab: {cut}: warning: the file is cut short".encode() in p.stderr, p.stderr[:300]
    good = (out / h0["system"]).read_bytes()
    cases = {
        "cut.hive": good[:6000],                                   # shorter than a page
        "sum.hive": good[:4] + b"\x99" + good[5:],                 # base block checksum
        "bin.hive": good[:4096] + b"xbin" + good[4100:],            # no hive bin
        "junk.hive": b"regf" + bytes(9000),                        # a header of zeros
    }
    for name, data in cases.items():
        f = ctx.tmp / name
        f.write_bytes(data)
        p = ctx.run("check", f, rc=2)
        err = p.stderr.decode()
        assert str(f) in err and "hive" in err, err
        assert p.stdout == b""


def test_other_tools_hits_on_security_records_are_scored(ctx):
    out = ctx.tmp / "c"
    ctx.run("corpus", "-n", "8", "--seed", "19", "--anomaly-rate", "1", "--formats",
            "evtx,security-evtx", "-q", "-o", out, rc=0)
    man = [json.loads(x) for x in (out / "manifest.jsonl").read_text().splitlines()]
    hits, want = [], 0
    for m in man:
        f = m["files"]["security-evtx"]
        for a in m["anomalies"]:
            ids = [i for p in a["processes"] for i in p["security_record_ids"]]
            if not ids:
                continue
            want += 1
            assert all(f["first_record_id"] <= i <= f["last_record_id"] for i in ids)
            # As a tool reports it: an absolute path, the record id, the host.
            hits.append({"file": str(out / f["file"]), "record_id": ids[0], "rule": "t",
                         "snapshot": {"host": m["host"]}})
        # A record of the sample no label touched: a false alert.
        touched = {i for a in m["anomalies"] for p in a["processes"]
                   for i in p["security_record_ids"]}
        free = next(i for i in range(f["first_record_id"], f["last_record_id"] + 1)
                    if i not in touched)
        hits.append({"file": f["file"], "record_id": free, "rule": "t",
                     "snapshot": {"host": m["host"]}})
    (ctx.tmp / "hits.jsonl").write_text("".join(json.dumps(h) + "\n" for h in hits))
    r = json.loads(ctx.run("score", "--truth", out, "--detections", ctx.tmp / "hits.jsonl",
                           "--format", "json", rc=0).stdout)["overall"]
    assert want >= 4 and r["detected"] == want and r["true_alerts"] == want
    assert r["false_alerts"] == len(man) and r["unknown_sample_alerts"] == 0, r
