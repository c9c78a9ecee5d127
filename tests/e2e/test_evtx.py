"""smsslab corpus --formats evtx, read back by two independent readers.

libevtx's evtxexport (Debian libevtx-utils) and python-evtx (Debian
python3-evtx) must read every record of every part without a warning or an
error and give back exactly the events of the Sysmon XML written beside them:
EventID, EventRecordID, TimeCreated, Computer, every Data name and value.
python-evtx also checks the file header, both CRC32s of every chunk and the
record size copies, and resolves every template through the chunk's template
table. smsslab check must find the same findings in the .evtx as in the XML.
Writing twice gives the same bytes, and a small golden file pins them.
"""
import datetime
import json
import re
import sys
import xml.etree.ElementTree as ET

import evtxread

Skip = getattr(sys.modules["__main__"], "Skip", None)
if Skip is None:
    from run_e2e import Skip

NS = "{http://schemas.microsoft.com/win/2004/08/events/event}"
# How Sysmon types these fields in .evtx; readers render the types their way.
GUIDS = {"ProcessGuid", "LogonGuid", "ParentProcessGuid"}
HEX = {"LogonId"}
# FILETIME values in EventData (Kernel-General 12's StartTime): the XML and evtxexport write
# 100 ns digits, python-evtx microseconds through a float (off by up to 3 us, as TimeCreated).
TIMES = {"StartTime"}


class _Time:
    def __init__(self, text):
        m = re.fullmatch(r"(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)\.(\d{6})(\d?)\d*Z?", text)
        assert m, text
        t = datetime.datetime.fromisoformat(m.group(1) + "T" + m.group(2))
        self.us = int(t.replace(tzinfo=datetime.timezone.utc).timestamp()) * 10**6 + \
            int(m.group(3)) + (int(m.group(4) or 0) >= 5)
        self.text = text

    def __eq__(self, other):
        return isinstance(other, _Time) and abs(self.us - other.us) <= 3

    def __repr__(self):
        return repr(self.text)


def _event(elem):
    """(EventID, EventRecordID, SystemTime, Computer, [(Name, value)])."""
    sysb = elem.find(NS + "System")
    data = []
    for d in elem.find(NS + "EventData").findall(NS + "Data"):
        name, value = d.get("Name"), d.text or ""
        if name in GUIDS:
            value = value.upper()
        elif name in HEX:
            value = int(value, 16)
        elif name in TIMES:
            value = _Time(value)
        data.append((name, value))
    return (int(sysb.find(NS + "EventID").text), int(sysb.find(NS + "EventRecordID").text),
            sysb.find(NS + "TimeCreated").get("SystemTime"), sysb.find(NS + "Computer").text or "",
            data)


def _xml_events(path):
    return [_event(ET.fromstring(line)) for line in path.read_text().splitlines()]


def _ticks(systime):
    """'2025-03-27T16:02:23.359258500Z' -> the microseconds and the 100 ns digit."""
    m = re.fullmatch(r"(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)\.(\d{6})(\d?)\d*Z?", systime)
    assert m, systime
    return m.group(1) + "T" + m.group(2) + "." + m.group(3), m.group(4)


def _dt(filetime):
    return datetime.datetime(1601, 1, 1) + datetime.timedelta(microseconds=filetime // 10)


def _iso7(filetime):
    return _dt(filetime).strftime("%Y-%m-%dT%H:%M:%S.%f") + str(filetime % 10) + "00Z"


def _evtxexport(path):
    return [_event(e) for e in evtxread.evtxexport_elements(path)]


def _python_evtx(path):
    import Evtx.Evtx as E

    events, numbers = [], []
    with evtxread.python_evtx_strict():
        with E.Evtx(str(path)) as log:
            fh = log.get_file_header()
            assert fh.verify(), "file header: magic, version 3.1, block size or CRC32"
            assert not fh.is_dirty() and not fh.is_full()
            chunks = list(fh.chunks())
            assert fh.chunk_count() == len(chunks)
            assert fh.current_chunk_number() == len(chunks) - 1
            for ch in chunks:
                assert ch.verify(), f"chunk at {ch.offset():#x}: magic or CRC32"
                templates = ch.templates()
                ch.strings()
                nums = []
                for rec in ch.records():
                    assert rec.verify(), f"record {rec.record_num()}: size copy"
                    assert rec.size() % 8 == 0
                    inst = rec.root().template_instance()
                    assert inst.template_offset() in templates, "template not in the table"
                    nums.append(rec.record_num())
                    ev = _event(ET.fromstring(rec.xml()))
                    # python-evtx renders FILETIMEs through a float (off by
                    # a microsecond): compare the stored value instead, and
                    # the record's written time with it.
                    ft = [x for x in rec.root().substitutions()
                          if type(x).__name__ == "FiletimeTypeNode"]
                    assert len(ft) == 1
                    raw = ft[0].unpack_qword(0)
                    assert rec.unpack_qword(0x10) == raw
                    assert abs((ft[0].filetime() - _dt(raw)).total_seconds()) < 3e-6
                    events.append((ev[0], ev[1], _iso7(raw), ev[3], ev[4]))
                assert nums and ch.log_first_record_number() == nums[0]
                assert ch.log_last_record_number() == nums[-1]
                assert ch.file_first_record_number() == nums[0]
                numbers += nums
            assert fh.next_record_number() == len(numbers) + 1
            # Lookup by number goes through the chunk headers' ranges.
            for k in {1, len(numbers) // 2, len(numbers)}:
                assert log.get_record(k).record_num() == k
    assert numbers == list(range(1, len(numbers) + 1)), "record numbers are not 1..N"
    return events


def _same_events(xml_ev, other, reader):
    assert len(other) == len(xml_ev), f"{reader}: {len(other)} records, XML has {len(xml_ev)}"
    for a, b in zip(xml_ev, other):
        ta, tb = _ticks(a[2]), _ticks(b[2])
        assert ta == tb, f"{reader}: {a[2]} != {b[2]}"
        assert (a[0], a[1], a[3], a[4]) == (b[0], b[1], b[3], b[4]), \
            f"{reader}: record {a[1]} differs:\n{a}\n{b}"


def test_evtx_reads_back_as_the_sysmon_xml(ctx):
    evtxread.need_readers()
    out = ctx.tmp / "c"
    ctx.run("corpus", "-n", "40", "--seed", "3", "--per-file", "15", "--anomaly-rate", "0.6",
            "--formats", "sysmon,evtx", "-q", "-o", out, rc=0)
    parts = sorted((out / "evtx").glob("part-*.evtx"))
    assert len(parts) == 3
    total = 0
    for part in parts:
        xml_ev = _xml_events(out / "sysmon" / (part.stem + ".xml"))
        assert {e[0] for e in xml_ev} >= {1, 5, 12, 13}, "the part lacks an event type"
        _same_events(xml_ev, _evtxexport(part), "evtxexport")
        _same_events(xml_ev, _python_evtx(part), "python-evtx")
        total += len(xml_ev)
        # Whole chunks after a 4096-byte header; more than one chunk per part.
        size = part.stat().st_size
        assert (size - 4096) % 65536 == 0 and size > 4096 + 65536
    assert total > 1000
    # The manifest points at each sample's records in the .evtx.
    seen = {}
    for line in (out / "manifest.jsonl").read_text().splitlines():
        m = json.loads(line)
        f = m["files"]["evtx"]
        s = m["files"]["sysmon"]
        assert f["records"] == s["lines"]
        xml_ev = _xml_events(out / s["file"])[s["line"] - 1:s["line"] - 1 + s["lines"]]
        assert f["first_record_id"] == xml_ev[0][1] and f["last_record_id"] == xml_ev[-1][1]
        first = seen.setdefault(f["file"], 1)
        assert f["record"] == first
        seen[f["file"]] = first + f["records"]


def test_sysmon_14_rename_reads_back(ctx):
    # Sysmon 14 as regedit's new keys give it (OSSEM's event-14 records:
    # "New Key #1" created, then renamed): 12 CreateKey of the decoy name,
    # 14 RenameKey to the real key, 13 SetValue under it; both EVTX readers
    # read the records back, and the checker finds the same in XML, EVTX and ECS.
    evtxread.need_readers()
    out = ctx.tmp / "c14"
    ctx.run("corpus", "-n", "40", "--seed", "5", "--anomaly-rate", "1", "--anomalies",
            "sticky-keys,appcertdlls", "--formats", "sysmon,evtx,ecs", "-q", "-o", out, rc=0)
    part = out / "evtx" / "part-00000.evtx"
    xml_ev = _xml_events(out / "sysmon" / "part-00000.xml")
    renames = [(rid, dict(d)) for eid, rid, _, _, d in xml_ev if eid == 14]
    assert renames
    by_rid = {rid: (eid, dict(d)) for eid, rid, _, _, d in xml_ev}
    for rid, d in renames:
        assert [n for n, _ in by_rid[rid][1].items()] == [
            "RuleName", "EventType", "UtcTime", "ProcessGuid", "ProcessId", "Image",
            "TargetObject", "NewName", "User"]
        assert d["EventType"] == "RenameKey" and d["Image"] == "C:\\Windows\\regedit.exe"
        parent = d["NewName"].rsplit("\\", 1)[0]
        assert d["TargetObject"] == parent + "\\New Key #1"
        # the decoy key was created just before, the value set just after
        eid12, d12 = by_rid[rid - 1]
        assert eid12 == 12 and d12["EventType"] == "CreateKey"
        assert d12["TargetObject"] == d["TargetObject"]
        eid13, d13 = by_rid[rid + 1]
        assert eid13 == 13 and d13["TargetObject"].rsplit("\\", 1)[0] == d["NewName"]
    _same_events(xml_ev, _evtxexport(part), "evtxexport")
    _same_events(xml_ev, _python_evtx(part), "python-evtx")
    ecs = [json.loads(x) for x in (out / "ecs" / "part-00000.ndjson").read_text().splitlines()]
    e14 = [x for x in ecs if x["event"]["code"] == "14"]
    assert len(e14) == len(renames)
    assert all(x["winlog"]["event_data"]["EventType"] == "RenameKey" and
               x["registry"]["path"].endswith("\\New Key #1") for x in e14)
    found = [evtxread.findings(ctx.run("check", "--format", "json", f, rc=1).stdout)
             for f in (out / "sysmon" / "part-00000.xml", part,
                       out / "ecs" / "part-00000.ndjson")]
    assert found[0] == found[1]
    regs = [sorted((g["rule"], g["registry"]["key"]) for g in map(json.loads, f)
                   if "registry" in g) for f in found]
    assert regs[0] and regs[0] == regs[2]
    assert not any(k.endswith("New Key #1") for _, k in regs[0])


def test_check_finds_the_same_in_evtx_and_xml(ctx):
    out = ctx.tmp / "c"
    ctx.run("corpus", "-n", "6", "--seed", "21", "--anomaly-rate", "1", "--formats",
            "sysmon,evtx", "-q", "-o", out, rc=0)
    a = ctx.run("check", "--format", "json", out / "sysmon" / "part-00000.xml")
    b = ctx.run("check", "--format", "json", out / "evtx" / "part-00000.evtx")
    assert a.returncode == b.returncode == 1, (a.returncode, b.stderr[:500])
    fa, fb = evtxread.findings(a.stdout), evtxread.findings(b.stdout)
    assert len(fa) >= 6
    assert fa == fb


def test_evtx_is_deterministic(ctx):
    one, two = ctx.tmp / "a", ctx.tmp / "b"
    for d in (one, two):
        ctx.run("corpus", "-n", "30", "--seed", "9", "--per-file", "30", "--formats", "evtx", "-q",
                "-o", d, rc=0)
    got = (one / "evtx" / "part-00000.evtx").read_bytes()
    assert len(got) > 4096 + 3 * 65536
    assert got == (two / "evtx" / "part-00000.evtx").read_bytes()


def test_golden_evtx_reads_back_in_both_readers(ctx):
    # tests/golden/evtxw-3.evtx is written by tests/test_evtxw.c (which
    # compares it byte for byte); both readers must see its three records,
    # hostile strings included (markup and a line break kept, a control
    # character and an invalid byte as U+FFFD, a character outside the BMP).
    evtxread.need_readers()
    golden = ctx.root / "tests" / "golden" / "evtxw-3.evtx"
    cmd = ["\\SystemRoot\\System32\\smss.exe",
           "cmd.exe /c \"echo <a&b>\"\nline2 \ufffd bad\ufffd end",
           "\U0001F600 C:\\Users\\P\u00fcblic\\x.exe"]
    want = []
    for r in range(3):
        ft = 133457028000000000 + 12345678 * r
        want.append((5 if r == 2 else 1, 4242 + r, _iso7(ft), "GOLDEN-PC",
                     [("RuleName", ""), ("ProcessGuid", f"{{B764000{r}-5EA4-0000-0010-00000000100{r}}}"),
                      ("ProcessId", str(388 + 4 * r)), ("CommandLine", cmd[r]), ("LogonId", 0x3e7)]))
    _same_events(want, _python_evtx(golden), "python-evtx")
    # libevtx 20181227 decodes a surrogate pair wrongly (U+1F600 comes out as
    # U+1F201; the stored UTF-16 is D83D DE00, as Windows writes it, and
    # python-evtx reads it right): compare the rest.
    _same_events(_bmp_only(want), _bmp_only(_evtxexport(golden)), "evtxexport")


def _bmp_only(events):
    def fix(v):
        return re.sub("[\U00010000-\U0010FFFF]", "?", v) if isinstance(v, str) else v
    return [(e[0], e[1], e[2], e[3], [(n, fix(v)) for n, v in e[4]]) for e in events]
