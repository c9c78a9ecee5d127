"""End-to-end: smsslab check and render on real host data (../shared/real) and on
the project's own fixtures. Real files are read in place, never copied into the
project; the OTRF zip is unpacked into the test's temp dir."""
import json
import zipfile

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
    assert any(ctx.run("check", p).returncode == 1 for p in inputs[:-1]), "some findings"
