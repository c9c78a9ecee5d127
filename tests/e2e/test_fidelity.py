"""Events as Windows writes them (issue #15 item 4, docs/fidelity.md).

Each test pins one fidelity point of the corpus's Sysmon records (XML, with
the ECS and EVTX forms where the value is theirs too) and would fail if the
simulator or the writers went back to the old value. Where ../shared/real is
present, the simulated values are compared with the real records of the same
binaries (read with evtxexport); those comparisons skip without it.
"""
import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

Skip = getattr(sys.modules["__main__"], "Skip", None)
if Skip is None:
    from run_e2e import Skip

NS = "{http://schemas.microsoft.com/win/2004/08/events/event}"


def _records(path):
    """[(eid, rid, computer, {Name: value})] of a Sysmon XML part or evtxexport output."""
    out = []
    for block in re.findall(r"<Event xmlns=.*?</Event>", path.read_text(), flags=re.S):
        e = ET.fromstring(block)
        s = e.find(NS + "System")
        data = {d.get("Name"): d.text or "" for d in e.find(NS + "EventData").findall(NS + "Data")}
        out.append((int(s.find(NS + "EventID").text), int(s.find(NS + "EventRecordID").text),
                    s.find(NS + "Computer").text or "", data))
    return out


def _corpus(ctx, name, n, rate="0.5", extra=()):
    out = ctx.tmp / name
    if not out.exists():
        ctx.run("corpus", "-n", str(n), "--seed", "7", "-o", out, "--anomaly-rate", rate, "-q",
                *extra, rc=0)
    manifest = [json.loads(x) for x in (out / "manifest.jsonl").read_text().splitlines()]
    return out, _records(out / "sysmon" / "part-00000.xml"), manifest


def _procs(recs):
    return [d for eid, _, _, d in recs if eid == 1]


def _base(path):
    return path.rsplit("\\", 1)[-1].lower()


def _le(hexbytes):
    """'E703-000000000000' -> the 8 bytes read as a little-endian integer."""
    b = bytes.fromhex(hexbytes.replace("-", ""))
    return int.from_bytes(b, "little")


def test_guid_layout_is_sysmon_11s(ctx):
    # Point 1: {machine-time lo-time hi-seq LE-0000 boot LE} for processes,
    # the LogonId little-endian in a LogonGuid's last 8 bytes; System's GUID
    # carries sequence 1 and its first child's (the master smss's) time.
    _, recs, _ = _corpus(ctx, "c50", 50)
    pat = re.compile(r"\{[0-9A-F]{8}-([0-9A-F]{4})-([0-9A-F]{4})-([0-9A-F]{4}-[0-9A-F]{12})\}")
    masters = set()
    for eid, _, comp, d in recs:
        if eid != 1:
            continue
        m = pat.fullmatch(d["ProcessGuid"])
        assert m, d["ProcessGuid"]
        tail = _le(m.group(3))
        assert tail & 0xFFFF00000000 == 0 and tail >> 48 > 0, d["ProcessGuid"]
        lg = pat.fullmatch(d["LogonGuid"])
        assert lg and _le(lg.group(3)) == int(d["LogonId"], 16), (d["LogonGuid"], d["LogonId"])
        if d["ParentImage"] == "System" and comp not in masters:
            masters.add(comp)
            pg = pat.fullmatch(d["ParentProcessGuid"])
            assert _le(pg.group(3)) & 0xFFFFFFFF == 1
            assert pg.group(1, 2) == m.group(1, 2), "System's GUID time is its first child's"
    assert len(masters) >= 40


def test_rulename_percent_and_parent_placeholders(ctx):
    # Points 2, 3, 13: RuleName '-', '%' doubled, and about 1.5 % of benign
    # svchost/LogonUI/WmiPrvSE records with ParentImage '?', each one listed
    # in the manifest's benign list.
    _, recs, manifest = _corpus(ctx, "c50", 50)
    procs = _procs(recs)
    assert all(d["RuleName"] == "-" for _, _, _, d in recs if "RuleName" in d)
    csrss = [d for d in procs if _base(d["Image"]) == "csrss.exe"]
    assert csrss and all(d["CommandLine"].startswith("%%SystemRoot%%\\system32\\csrss.exe ")
                         for d in csrss)
    unknown = [d for d in procs if d["ParentImage"] == "?"]
    assert 0.005 <= len(unknown) / len(procs) <= 0.03, (len(unknown), len(procs))
    assert all(_base(d["Image"]) in ("svchost.exe", "logonui.exe", "wmiprvse.exe") and
               d["ParentProcessGuid"] == "{00000000-0000-0000-0000-000000000000}"
               for d in unknown)
    listed = [b for m in manifest for b in m["benign"] if b["kind"] == "sysmon-parent-unknown"]
    assert len(listed) == len(unknown)
    rids = {r for b in listed for r in b["record_ids"]}
    assert all(rid in rids for eid, rid, _, d in recs if eid == 1 and d["ParentImage"] == "?")


def test_version_resources_are_per_binary(ctx):
    # Point 9: OriginalFileName as the PE has it, FileVersion per binary.
    _, recs, manifest = _corpus(ctx, "c50", 50)
    win10 = {m["host"] for m in manifest if m["os"] == "win10"}
    want = {"autochk.exe": "AutoChk.Exe", "csrss.exe": "CSRSS.Exe", "wininit.exe": "WinInit.exe",
            "winlogon.exe": "WINLOGON.EXE", "logonui.exe": "logonui.exe"}
    versions = {}
    for eid, _, comp, d in recs:
        b = _base(d.get("Image", ""))
        if eid != 1 or b not in want:
            continue
        assert d["OriginalFileName"] == want[b]
        if comp.split(".")[0] in win10:
            versions.setdefault(b, set()).add(d["FileVersion"])
    assert versions["csrss.exe"] == {"10.0.17763.1 (WinBuild.160101.0800)"}
    assert versions["winlogon.exe"] == {"10.0.17763.1075 (WinBuild.160101.0800)"}


def test_registry_events_as_attacks_write_them(ctx):
    # Point 11: HKLM\System (never HKLM\SYSTEM); a created key's Sysmon 12
    # CreateKey before its 13, by the same process; the writer is not always
    # reg.exe as SYSTEM.
    out, recs, manifest = _corpus(ctx, "creg", 40, "1",
                                  ("--anomalies", "sticky-keys,appcertdlls,runasppl-off",
                                   "--formats", "sysmon,ecs,evtx"))
    regs = [(eid, rid, d) for eid, rid, _, d in recs if eid in (12, 13) and "TargetObject" in d]
    assert regs
    assert not any(d["TargetObject"].startswith("HKLM\\SYSTEM\\") for _, _, d in regs)
    assert any(d["TargetObject"].startswith("HKLM\\System\\CurrentControlSet\\") for _, _, d in regs)
    # regedit makes "New Key #1" and renames it (Sysmon 14): the key it becomes
    renamed = {(d["TargetObject"].lower(), d["ProcessGuid"]): d["NewName"].lower()
               for eid, _, _, d in recs if eid == 14}
    creates = {(renamed.get((d["TargetObject"].lower(), d["ProcessGuid"]),
                            d["TargetObject"].lower()), d["ProcessGuid"]): rid
               for eid, rid, d in regs if eid == 12}
    keys = {k for k, _ in creates}
    assert any(k.endswith("\\sethc.exe") for k in keys)
    assert any(k.endswith("\\appcertdlls") for k in keys)
    assert not any(k.endswith("\\control\\lsa") for k in keys), "Lsa exists on every Windows"
    for eid, rid, d in regs:
        key = d["TargetObject"].rsplit("\\", 1)[0].lower()
        if eid == 13 and (key.endswith("\\sethc.exe") or key.endswith("\\appcertdlls")):
            # created just before, by the same process
            assert creates[(key, d["ProcessGuid"])] < rid
    writers = {(_base(d["Image"]), d["User"]) for _, _, d in regs}
    assert len(writers) > 1 and any(u != "NT AUTHORITY\\SYSTEM" for _, u in writers)
    # the manifest names the CreateKey record with the value's
    for m in manifest:
        for a in m["anomalies"]:
            for r in a["registry"]:
                if r["key"].lower().endswith("\\sethc.exe"):
                    assert len(r["record_ids"]) in (2, 3)  # 12, (14,) 13
    ecs = [json.loads(x) for x in (out / "ecs" / "part-00000.ndjson").read_text().splitlines()]
    assert any(x["event"]["code"] == "12" and x["registry"]["path"].endswith("\\sethc.exe")
               for x in ecs)
    # the .evtx holds the same Sysmon 12 records, as libevtx reads them
    if shutil.which("evtxexport"):
        p = subprocess.run(["evtxexport", "-f", "xml", str(out / "evtx" / "part-00000.evtx")],
                           capture_output=True, timeout=120)
        assert p.returncode == 0 and p.stderr == b""
        back = ctx.tmp / "creg.xml"
        back.write_bytes(p.stdout)
        got = [(rid, d["TargetObject"], d["ProcessGuid"].upper()) for eid, rid, _, d in _records(back)
               if eid == 12 and "TargetObject" in d]
        assert got == [(rid, d["TargetObject"], d["ProcessGuid"]) for eid, rid, d in regs
                       if eid == 12]


def _score_every_format(ctx, out):
    """The checker on each event format of corpus `out` (the CSV with its
    registry export) finds every label and nothing else."""
    for fmt, dirs in (("native", ["native"]), ("sysmon", ["sysmon"]), ("ecs", ["ecs"]),
                      ("evtx", ["evtx"]), ("csv", ["csv", "registry"])):
        paths = [p for d in dirs for p in sorted((out / d).iterdir())]
        det = ctx.tmp / (out.name + "-" + fmt + ".json")
        det.write_bytes(ctx.run("check", "--format", "json", *paths).stdout)
        rep = json.loads(ctx.run("score", "--truth", out, "--detections", det, "--format",
                                 "json", rc=0).stdout)
        assert rep["overall"]["recall"] == 1 and rep["overall"]["precision"] == 1, (fmt, rep)


def test_per_user_registry_values_under_hku_sid(ctx):
    # Point 11: a per-user value (the user's own Winlogon Shell) is written
    # as HKU\<SID>\... by the user's own process, into a key every profile
    # has (no Sysmon 12), in every format; the checker finds it in each.
    out = ctx.tmp / "chku"
    ctx.run("corpus", "-n", "12", "--seed", "7", "-o", out, "--anomaly-rate", "1", "-q",
            "--anomalies", "winlogon-shell-user", rc=0)
    manifest = [json.loads(x) for x in (out / "manifest.jsonl").read_text().splitlines()]
    recs = _records(out / "sysmon" / "part-00000.xml")
    hku = [(eid, d) for eid, _, _, d in recs if d.get("TargetObject", "").startswith("HKU\\")]
    assert hku and all(eid == 13 for eid, _ in hku)
    # the writer is the user whose SID the path names: their processes run with it
    sids = {}
    for eid, _, _, d in recs:
        if eid == 1 and d.get("User", "").count("\\") == 1:
            sids.setdefault(d["User"], set())
    for _, d in hku:
        assert re.fullmatch(r"HKU\\S-1-5-21-\d+-\d+-\d+-\d+\\Software\\Microsoft\\Windows NT\\"
                            r"CurrentVersion\\Winlogon\\Shell", d["TargetObject"]), d
        assert d["User"] != "NT AUTHORITY\\SYSTEM" and d["Details"].startswith("explorer.exe, ")
    ecs = [json.loads(x) for x in (out / "ecs" / "part-00000.ndjson").read_text().splitlines()]
    reg = [x["registry"] for x in ecs if x["event"]["code"] == "13"]
    assert reg and all(r["hive"] == "HKU" and r["key"].startswith("S-1-5-21-") and
                       r["path"] == "HKU\\" + r["key"] + "\\Shell" for r in reg)
    assert "HKU\\S-1-5-21-" in (out / "registry" / "part-00000.csv").read_text()
    assert {d["User"] for _, d in hku} <= set(sids)
    assert len(hku) == len(manifest)
    _score_every_format(ctx, out)


def test_fqdn_computer_for_a_dns_domain(ctx):
    # Point 12: host.dns_domain makes every record name NAME.dns_domain (the
    # corpus gives it to half its domain members); without it, the NetBIOS name.
    _, recs, manifest = _corpus(ctx, "c50", 50)
    comps = {c for _, _, c, _ in recs}
    dns = {m["host"] + "." + m["dns_domain"] for m in manifest if m["dns_domain"]}
    plain = {m["host"] for m in manifest if not m["dns_domain"]}
    assert dns and plain and comps == dns | plain
    assert all(m["domain"] != "WORKGROUP" for m in manifest if m["dns_domain"])
    # the scenario key loads and a normal boot with it checks clean
    scn = ctx.tmp / "fqdn.yaml"
    scn.write_text("os: win7\nhost: {name: PC01, domain: EXAMPLE, dns_domain: example.corp}\n"
                   "sessions: [{id: 1, kind: console, user: EXAMPLE\\user01, logon: 40s}]\n")
    ctx.run("check", scn, rc=0)


def test_benign_noise_is_labelled_and_the_checker_stays_clean(ctx):
    # Point 15: every normal sample carries the noise of a real host, listed
    # in the manifest; the checker raises nothing on normal samples in any
    # event format (the noise and the '?' placeholders are known false
    # positives a detector must not fire on).
    out, recs, manifest = _corpus(ctx, "cnormal", 60, "0")
    kinds = {b["kind"] for m in manifest for b in m["benign"]}
    assert {"atbroker", "per-user-service", "user-shell-host", "defender",
            "third-party-service", "wmi-provider-host", "sysmon-parent-unknown"} <= kinds
    if any(m["os"] == "win7" for m in manifest):
        assert "win7-taskhost" in kinds
    rids = {r for m in manifest for b in m["benign"] for r in b["record_ids"]}
    names = {_base(d["Image"]) for eid, rid, _, d in recs if eid == 1 and rid in rids}
    assert {"atbroker.exe", "svchost.exe", "msmpeng.exe", "vboxservice.exe"} <= names
    for fmt in ("sysmon", "ecs", "evtx"):
        files = sorted((out / fmt).iterdir())
        p = ctx.run("check", "--format", "json", *files)
        assert p.returncode == 0, (fmt, p.stdout[:2000])


def test_vendor_bootexecute_is_drawn_and_the_csv_keeps_its_entries(ctx):
    # Point 15: the corpus draws a third-party BootExecute entry (Citrix's
    # PvsVmBoot) as labelled benign noise; the registry CSV separates
    # REG_MULTI_SZ entries with \0 as reg.exe does, so no format, the CSV
    # included, raises SM-BOOTEXECUTE on it, while an appended program is found.
    out = ctx.tmp / "cvendor"
    ctx.run("corpus", "-n", "60", "--seed", "7", "-o", out, "--anomaly-rate", "0.5", "-q",
            "--anomalies", "bootexecute-extra,winlogon-shell", rc=0)
    manifest = [json.loads(x) for x in (out / "manifest.jsonl").read_text().splitlines()]
    vendor = [m for m in manifest if m["params"]["options"]["vendor_bootexecute"]]
    assert vendor and len(vendor) < len(manifest)
    assert all(any(b["kind"] == "third-party-bootexecute" for b in m["benign"]) for m in vendor)
    csv = (out / "registry" / "part-00000.csv").read_text()
    assert "autocheck autochk *\\0PvsVmBoot" in csv
    _score_every_format(ctx, out)
    # An export in the old layout (entries joined by a space) reads as one
    # entry, as it always did; reg.exe's \0 splits.
    head = "sample_id,key,name,type,data,last_write,anomaly\r\n"
    key = "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager"
    for data, rc in (("autocheck autochk *\\0PvsVmBoot", 0), ("autocheck autochk * PvsVmBoot", 1),
                     ("autocheck autochk *\\0C:\\x\\evil.exe", 1)):
        f = ctx.tmp / "multi.csv"
        f.write_text(head + "0," + key + ",BootExecute,REG_MULTI_SZ," + data + ",,\r\n")
        p = ctx.run("check", "--format", "json", f, rc=rc)
        assert (b"SM-BOOTEXECUTE" in p.stdout) == bool(rc), (data, p.stdout)


def _real_boot(ctx):
    real = ctx.need_real()
    if not shutil.which("evtxexport"):
        raise Skip("evtxexport (libevtx-utils) is not installed")
    out = ctx.tmp / "real.xml"
    if not out.exists():
        p = subprocess.run(["evtxexport", "-f", "xml",
                            str(real / "evtx" / "privesc_unquoted_svc_sysmon_1_11.evtx")],
                           capture_output=True, timeout=120)
        assert p.returncode == 0
        out.write_bytes(p.stdout)
    return _records(out)


def test_values_match_the_real_windows10_boot(ctx):
    # Against MSEDGEWIN10's boot (Windows 10 1809, Sysmon): the same binaries
    # have the same OriginalFileName, FileVersion, CurrentDirectory and the
    # same command-line shapes in the simulated Windows 10 boots.
    real = [d for eid, _, _, d in _real_boot(ctx) if eid == 1]
    real_boot = real[[i for i, d in enumerate(real) if d["ParentImage"] == "System"][0]:]
    _, recs, manifest = _corpus(ctx, "c50", 50)
    # normal Windows 10 hosts without the odd-but-normal command-line options
    win10 = {m["host"] for m in manifest if m["os"] == "win10" and not m["anomalies"] and
             not m["params"]["options"]["special_session"] and
             not m["params"]["options"]["shared_section"] and
             not m["params"]["options"]["win11_child_line"]}
    sim = [d for eid, _, c, d in recs if eid == 1 and c.split(".")[0] in win10]
    for name in ("smss.exe", "autochk.exe", "csrss.exe", "wininit.exe", "winlogon.exe",
                 "services.exe", "lsass.exe", "logonui.exe", "dwm.exe", "userinit.exe",
                 "explorer.exe", "sihost.exe"):
        r = [d for d in real_boot if _base(d["Image"]) == name]
        s = [d for d in sim if _base(d["Image"]) == name]
        assert r and s, name
        for field in ("OriginalFileName", "FileVersion", "Image"):
            assert {d[field] for d in s} == {d[field] for d in r}, (name, field)
        assert {d["CurrentDirectory"] for d in s} == {d["CurrentDirectory"] for d in r}, name
    shape = re.compile(r"0x[0-9a-f]+|[0-9a-f]{8}")
    for name in ("smss.exe", "csrss.exe", "logonui.exe", "autochk.exe"):
        rs = {shape.sub("#", d["CommandLine"]) for d in real_boot if _base(d["Image"]) == name}
        ss = {shape.sub("#", d["CommandLine"]) for d in sim if _base(d["Image"]) == name}
        assert ss <= rs | {shape.sub("#", "\\SystemRoot\\System32\\smss.exe")}, (name, ss, rs)
    # Sysmon 4.x records of that log: RuleName empty there, '-' in Sysmon 13+
    # (OTRF) -- the simulator follows the newer version, as its field set does.
    ids = [int(d["LogonId"], 16) for d in real_boot if d["User"].startswith("Window Manager")]
    assert ids and all(i < 0x10000 for i in ids)


def _otrf_records(real):
    """The OTRF reboot's Security records (NXLog JSON in the zip), by RecordNumber."""
    import zipfile

    z = zipfile.ZipFile(real / "otrf" / "empire_persistence_registry_modification_run_keys_"
                        "standard_user.zip")
    recs = {}
    with z.open(z.namelist()[0]) as f:
        for line in f:
            if b"Security-Auditing" not in line:
                continue
            e = json.loads(line)
            recs[e["RecordNumber"]] = e
    return recs


def test_session_events_as_the_real_records_show_them(ctx):
    # Points 4 and 15: the lock screen, the reconnect and the shutdown. The
    # scenario files run and check clean at every snapshot (locked,
    # disconnected, reconnecting, shutting down); a corpus draws the events
    # as benign noise, listed by kind, and the checker stays clean on them in
    # every format. With ../shared/real the command lines have the shapes of
    # the real records: OTRF 49320 (the unlock LogonUI of a reconnect, 1 s
    # after the 4778 49287) and MSEDGEWIN10 27322 (/flags:0x4 before its
    # reboot).
    shape = re.compile(r"0xa3[0-9a-f]{4}55")
    docs = {}
    for os_ in ("win7", "win10"):
        f = ctx.root / "scenarios" / f"normal-{os_}-lock-reconnect-shutdown.yaml"
        doc = ctx.run("run", f, rc=0).stdout
        assert ctx.run("check", "-", stdin=doc).returncode == 0, os_
        docs[os_] = json.loads(doc)
    procs = {os_: {(p["name"], p["command_line"]) for p in d["snapshots"][-1]["processes"]}
             for os_, d in docs.items()}
    assert ("LogonUI.exe", '"LogonUI.exe" /flags:0x0') in procs["win7"]
    assert ("LogonUI.exe", '"LogonUI.exe" /flags:0x1') in procs["win7"]
    win10 = {shape.sub("#", c) for n, c in procs["win10"] if n == "LogonUI.exe"}
    want = {'"LogonUI.exe" /flags:0x0 /state0:# /state1:0x41c64e6d',
            '"LogonUI.exe" /flags:0x4 /state0:# /state1:0x41c64e6d'}
    assert want <= win10, win10
    types = {e["type"] for e in docs["win10"]["events"]}
    assert {"session_lock", "session_unlock", "session_disconnect", "session_reconnect",
            "shutdown"} <= types

    out = ctx.tmp / "cevents"
    ctx.run("corpus", "-n", "120", "--seed", "5", "-o", out, "--anomaly-rate", "0", "-q",
            "--formats", "sysmon,ecs,evtx,security-xml,native", rc=0)
    manifest = [json.loads(x) for x in (out / "manifest.jsonl").read_text().splitlines()]
    kinds = {b["kind"] for m in manifest for b in m["benign"]}
    assert {"lock-screen", "reconnect-atbroker", "shutdown-screen"} <= kinds, kinds
    for fmt in ("native", "sysmon", "ecs", "evtx", "security-xml"):
        p = ctx.run("check", "--format", "json", *sorted((out / fmt).iterdir()))
        assert p.returncode == 0, (fmt, p.stdout[:2000])

    real = ctx.need_real()
    sec = _otrf_records(real)
    assert sec[49287]["EventID"] == 4778 and sec[49320]["EventID"] == 4688
    assert shape.sub("#", sec[49320]["CommandLine"]) in win10
    r = [d for eid, rid, _, d in _real_boot(ctx) if rid == 27322]
    assert r and shape.sub("#", r[0]["CommandLine"]) in win10

