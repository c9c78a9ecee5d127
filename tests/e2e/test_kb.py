"""End-to-end: explain PROCESS is a lesson -- the process's card (image, parent, instances, user,
session, start, priority, command line, what it does, what is unusual) and then every rule that
checks it -- and docs/processes.md is generated from the same cards."""
import re

CARDS = ["System", "Registry", "smss.exe", "autochk.exe", "csrss.exe", "wininit.exe",
         "winlogon.exe", "services.exe", "lsass.exe", "LsaIso.exe", "svchost.exe",
         "fontdrvhost.exe", "dwm.exe", "LogonUI.exe", "userinit.exe", "explorer.exe"]


def test_every_core_process_has_a_lesson(ctx):
    for name in CARDS:
        out = ctx.run("explain", name, rc=0).stdout.decode()
        lines = out.splitlines()
        assert lines[0] == name, name
        for field in ("image", "parent", "instances", "user", "session", "start", "priority",
                      "command", "does", "unusual"):
            assert re.search(rf"^  {field} +\S", out, re.M), (name, field)
        # the card is followed by the rules that check the process
        rules = re.findall(r"^([A-Z0-9-]+) \((?:info|low|medium|high|critical), lesson", out,
                           re.M)
        assert rules, name
        for rid in rules:
            ctx.run("explain", rid, rc=0)
    # the questions of the TryHackMe room this project was compared with
    assert "-k <group>" in ctx.run("explain", "svchost", rc=0).stdout.decode()
    explorer = ctx.run("explain", "explorer.exe", rc=0).stdout.decode()
    assert "userinit.exe, which has exited" in explorer and "EXPLORER-SYSTEM" in explorer
    assert "SVCHOST-PARENT" in ctx.run("explain", "svchost.exe", rc=0).stdout.decode()
    ctx.run("explain", "notaprocess.exe", rc=2)


def test_processes_md_is_generated(ctx):
    want = ctx.run("explain", "--cards", rc=0).stdout.decode()
    have = (ctx.root / "docs" / "processes.md").read_text()
    assert have == want, "docs/processes.md is stale: smsslab explain --cards > docs/processes.md"
    for name in CARDS:
        assert f"\n## {name}\n" in want, name
