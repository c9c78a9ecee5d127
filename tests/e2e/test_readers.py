"""End-to-end: smsslab check and render on real host data (../shared/real) and on
the project's own fixtures. Real files are read in place, never copied into the
project; the OTRF zip is unpacked into the test's temp dir."""
import json
import re
import shutil
import subprocess
import zipfile

from run_e2e import Skip

FIX = "tests/fixtures/real-like/"
EVTX = ["privesc_unquoted_svc_sysmon_1_11.evtx", "DE_sysmon-3-rdp-tun.evtx",
        "DE_RDP_Tunnel_5156.evtx"]
BOOT_CHAIN = ("SMSS-", "CSRSS-", "WININIT-", "WINLOGON-", "SERVICES-", "LSASS-")


def _no_boot_findings(p):
    out = p.stdout.decode(errors="replace")
    bad = [line for line in out.splitlines() if any(r in line for r in BOOT_CHAIN)]
    assert not bad, "boot-chain findings on a real clean boot:\n" + "\n".join(bad[:20])


def test_check_real_evtx(ctx):
    real = ctx.need_real()
    for name in ("DE_sysmon-3-rdp-tun.evtx", "DE_RDP_Tunnel_5156.evtx"):
        p = ctx.run("check", real / "evtx" / name)
        assert p.returncode in (0, 1), f"{name}: exit {p.returncode}: {p.stderr[:500]}"
        _no_boot_findings(p)


# Every real log of ../shared/real/evtx, checked whole: the normal ones raise no
# finding at all; each attack is found for its own reason and for nothing else.
REAL_VERDICTS = {
    "DE_RDP_Tunnel_5156.evtx": set(),
    "DE_sysmon-3-rdp-tun.evtx": set(),
    "Sysmon_13_1_UAC_Bypass_EventVwrBypass.evtx": set(),
    # the EDR test script registers a netsh helper (HKLM\SOFTWARE\Microsoft\NetSh\AllTheThings =
    # AllTheThings.dll, T1546.007); its other tests are outside the core tree
    "panache_sysmon_vs_EDRTestingScript.evtx": {"NETSH-HELPER"},
    # services.exe known only as cmd.exe's ParentImage (its start predates the log)
    "LM_sysmon_psexec_smb_meterpreter.evtx": {"SERVICES-SHELL"},
    # Security 4688 v2: ParentProcessName is the only trace of services.exe
    "sec4688_msf_payload_services_cmd.evtx": {"SERVICES-SHELL"},
    # CVE-2020-1337: a printer port named as a DLL path (Ports\c:\blah\blah\phoneinfo.dll) for
    # the spooler to write, then the error reporting manager (wermgr.exe) runs the attacker's
    # cmd.exe as SYSTEM; and services.exe starts a bare cmd.exe
    "privesc_spoolsv_spl_file_write_sysmon11.evtx": {"SERVICES-SHELL", "WER-SYSTEM-SHELL",
                                                     "PRINTER-PORT-FILE"},
    # services.exe -> C:\program.exe for "c:\Program Files\vulnsvc\mmm.exe"
    "privesc_unquoted_svc_sysmon_1_11.evtx": {"SERVICES-UNQUOTED-PATH"},
}


def test_real_logs_verdicts(ctx):
    real = ctx.need_real()
    for name, want in REAL_VERDICTS.items():
        p = ctx.run("check", "--format", "json", real / "evtx" / name)
        assert p.returncode == (1 if want else 0), f"{name}: exit {p.returncode}: {p.stderr[:300]}"
        got = {json.loads(line)["rule"] for line in p.stdout.decode().splitlines() if line.strip()}
        assert got == want, f"{name}: rules {sorted(got)}, expected {sorted(want)}"


# The Windows 7 logs of ../shared/real (PC01; IEWIN7), the process pairs among
# core processes they record (Sysmon EID 1: ParentImage -> Image), and what
# the checker may say about them: nothing but the PsExec service's shell.
WIN7_LOGS = {
    "DE_sysmon-3-rdp-tun.evtx": set(),
    "LM_sysmon_psexec_smb_meterpreter.evtx": {"SERVICES-SHELL"},
    "Sysmon_13_1_UAC_Bypass_EventVwrBypass.evtx": set(),
}
WIN7_CORE_PAIRS = {
    ("smss.exe", "smss.exe"), ("smss.exe", "csrss.exe"), ("smss.exe", "winlogon.exe"),
    ("winlogon.exe", "LogonUI.exe"), ("winlogon.exe", "AtBroker.exe"),
    ("services.exe", "taskhost.exe"), ("services.exe", "cmd.exe"),
    ("services.exe", "wsqmcons.exe"), ("svchost.exe", "TSTheme.exe"),
}


def _eid1_pairs(path):
    p = subprocess.run(["evtxexport", "-f", "xml", str(path)], capture_output=True, timeout=300)
    assert p.returncode == 0, p.stderr[:500]
    pairs = set()
    for ev in re.findall(r"<Event .*?</Event>", p.stdout.decode("utf-8", "replace"), re.S):
        if not re.search(r"<EventID[^>]*>1</EventID>", ev):
            continue
        d = dict(re.findall(r'<Data Name="(\w+)">([^<]*)</Data>', ev))
        pairs.add((d["ParentImage"].split("\\")[-1], d["Image"].split("\\")[-1]))
    return pairs


def test_win7_real_logs_core_pairs_allowed(ctx):
    """Every parent/child pair among core processes that the real Windows 7
    logs record is one the checker allows (docs/kb.md, "Windows 7"): the
    parent, path, user and children rules report nothing on them but
    SERVICES-SHELL on the PsExec log, a true positive."""
    real = ctx.need_real()
    if not shutil.which("evtxexport"):
        raise Skip("evtxexport (libevtx-utils) is not installed")
    core = set(re.findall(r'\{\.name = "([^"]+)"', (ctx.root / "kb" / "kb.c").read_text()))
    rules = [json.loads(x)["id"] for x in ctx.run("rules", "--format", "json", rc=0).stdout
             .splitlines()]
    tree = [r for r in rules if re.search(r"-(PARENT|PATH|USER|CHILDREN|SHELL)$", r)]
    assert "CORE-PARENT" in tree and "SMSS-PATH" in tree and "SERVICES-SHELL" in tree
    seen = set()
    for name, want in WIN7_LOGS.items():
        path = real / "evtx" / name
        seen |= {pc for pc in _eid1_pairs(path) if pc[0] in core or pc[1] in core}
        p = ctx.run("check", "--format", "json", "--rules", ",".join(tree), path)
        got = {json.loads(line)["rule"] for line in p.stdout.decode().splitlines() if line}
        assert got == want, f"{name}: {sorted(got)}, expected {sorted(want)}"
        assert p.returncode == (1 if want else 0), name
    # The logs hold the pairs docs/kb.md lists, and no other core pair.
    assert seen == WIN7_CORE_PAIRS, sorted(seen ^ WIN7_CORE_PAIRS)


def test_render_real_evtx_png(ctx):
    real = ctx.need_real()
    for name in EVTX:
        out = ctx.tmp / (name + ".png")
        ctx.run("render", real / "evtx" / name, "-o", out, rc=0)
        assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name


def test_render_real_boot_dot_has_chain(ctx):
    real = ctx.need_real()
    p = ctx.run("render", real / "evtx" / "privesc_unquoted_svc_sysmon_1_11.evtx", "-o", "-",
                rc=0)
    dot = p.stdout.decode()
    for name in ("System", "smss.exe", "csrss.exe", "wininit.exe", "winlogon.exe",
                 "services.exe", "lsass.exe"):
        assert name in dot, name


def test_check_real_otrf_nxlog(ctx):
    real = ctx.need_real()
    z = next((real / "otrf").glob("*.zip"))
    with zipfile.ZipFile(z) as zf:
        member = zf.namelist()[0]
        zf.extract(member, ctx.tmp)
    p = ctx.run("check", ctx.tmp / member)
    assert p.returncode in (0, 1), p.stderr[:500]
    _no_boot_findings(p)


def test_fixtures_every_format_checks(ctx):
    for name in ("sysmon_wevtutil.xml", "security_evtxexport.xml", "nxlog.jsonl", "ecs.ndjson",
                 "vol3_pstree.csv", "vol3_pslist.json", "vol3_pstree.jsonl", "cim_ps51.json",
                 "cim_ps7_single.json"):
        p = ctx.run("check", FIX + name)
        assert p.returncode in (0, 1), f"{name}: exit {p.returncode}: {p.stderr[:400]}"


def test_input_format_forced(ctx):
    ctx.run("check", "--input-format", "ecs", FIX + "ecs.ndjson", rc=0)
    p = ctx.run("check", "--input-format", "evtx", FIX + "sysmon_wevtutil.xml", rc=2)
    assert b"not a readable .evtx file" in p.stderr


def test_broken_inputs_exit_2_with_location(ctx):
    cases = {"truncated.xml": b"truncated.xml:3:", "bad.jsonl": b"bad.jsonl:3:",
             "truncated.csv": b"row 3", "unknown.txt": b"cannot tell the input format",
             "fake.evtx": b"not a readable .evtx file"}
    for name, needle in cases.items():
        p = ctx.run("check", FIX + name, rc=2)
        assert needle in p.stderr, (name, p.stderr)
        assert p.stdout == b"", name


def test_stdin_detects_every_format(ctx):
    # Standard input is sniffed like a file: host data piped in gives the same
    # findings as the same file by path, and errors are located on <stdin>.
    for name in ("ecs.ndjson", "nxlog.jsonl", "vol3_pstree.csv", "vol3_pslist.json",
                 "sysmon_wevtutil.xml", "security_evtxexport.xml", "cim_ps51.json", "native.json"):
        data = (ctx.root / FIX / name).read_bytes()
        by_path = ctx.run("check", "--format", "json", FIX + name)
        piped = ctx.run("check", "--format", "json", "-", stdin=data)
        assert by_path.returncode in (0, 1), name
        # The same findings; their evidence names the file or <stdin>.
        def strip(out):
            lines = [json.loads(x) for x in out.decode().splitlines() if x.strip()]
            for x in lines:
                x.get("evidence", {}).pop("file", None)
            return lines
        assert piped.returncode == by_path.returncode, name
        assert strip(piped.stdout) == strip(by_path.stdout), name
        assert all(json.loads(x)["evidence"]["file"] == "<stdin>"
                   for x in piped.stdout.decode().splitlines() if '"evidence"' in x), name
    p = ctx.run("check", "-", stdin=(ctx.root / FIX / "badpid.csv").read_bytes(), rc=2)
    assert b"<stdin>: row 2: PID 'four' is not a number" in p.stderr
    p = ctx.run("check", "-", stdin=(ctx.root / FIX / "fake.evtx").read_bytes(), rc=2)
    assert b".evtx cannot be read from standard input" in p.stderr
    # A run document far larger than the sniffed head still streams whole.
    run = ctx.run("run", "scenarios/normal-win10-rdp.yaml", rc=0).stdout
    assert len(run) > 2 * 65536
    doc = json.loads(run)
    p = ctx.run("check", "-", stdin=run, rc=0)
    assert p.stdout.decode().strip() == f"no findings in {len(doc['snapshots'])} snapshots"


# The simdjson fast path (snap/sjson.cpp) against the cJSON path it stands in
# for (SMSSLAB_SIMDJSON=0): the same findings, byte for byte, on a corpus's
# run documents (every anomaly type may appear) and on OTRF's NXLog lines.
def test_fast_json_path_same_findings_as_cjson(ctx):
    out = ctx.tmp / "c"
    ctx.run("corpus", "-n", "60", "--seed", "21", "-o", out, "--anomaly-rate", "0.7", "-q", rc=0)
    inputs = sorted((out / "native").glob("*.jsonl"))
    assert inputs, "the corpus wrote native run documents"
    native = list(inputs)
    zip_path = (ctx.root / ".." / "shared" / "real" / "otrf" /
                "empire_persistence_registry_modification_run_keys_standard_user.zip")
    if zip_path.exists():
        with zipfile.ZipFile(zip_path) as z:
            name = z.namelist()[0]
            nd = ctx.tmp / "otrf.jsonl"
            nd.write_bytes(z.read(name))
        inputs.append(nd)
    for p in inputs:
        for fmt in ("human", "json"):
            fast = ctx.run("check", "--format", fmt, p)
            slow = ctx.run("check", "--format", fmt, p, env={"SMSSLAB_SIMDJSON": "0"})
            assert fast.returncode == slow.returncode and fast.returncode in (0, 1), p
            assert fast.stdout == slow.stdout, f"{p}: findings differ ({fmt})"
            assert fast.stderr == slow.stderr, p
    # The corpus's own files (OTRF's lines, when present, are clean).
    assert any(ctx.run("check", p).returncode == 1 for p in native), "some findings"
