"""First use (issue 17): what a new user meets -- typos, contradictory
options, a terminal where JSON or input is expected, missing folders,
several inputs, a big corpus, NO_COLOR, make install, direct sanitizer runs. Each case asserts the
message or the behaviour the issue asked for."""
import json
import os
import pathlib
import pty
import select
import subprocess
import time


def _err(p):
    return p.stderr.decode()


def test_typos_get_a_suggestion(ctx):
    assert "'chek' is not a command; did you mean 'check'?" in _err(ctx.run("chek", rc=2))
    assert "did you mean" not in _err(ctx.run("xyzzy", rc=2))
    p = ctx.run("check", "--rules", "SMSS-PARNET", "scenarios/default.yaml", rc=2)
    assert "--rules: unknown rule 'SMSS-PARNET'; did you mean 'SMSS-PARENT'?" in _err(p), _err(p)
    p = ctx.run("explain", "SMSS-PARNET", rc=2)
    assert "did you mean 'SMSS-PARENT'?" in _err(p), _err(p)
    p = ctx.run("explain", "core-wrong-parnt", rc=2)
    assert "did you mean 'core-wrong-parent'?" in _err(p), _err(p)


def test_contradictory_and_repeated_options_are_refused(ctx):
    # A CI gate went green checking nothing: the rule asked for was also ignored.
    p = ctx.run("check", "--rules", "SMSS-PARENT,SMSS-PATH", "--ignore", "smss-parent",
                "scenarios/anomaly-smss-wrong-parent.yaml", rc=2)
    assert "rule 'SMSS-PARENT' is both in --rules and in --ignore" in _err(p), _err(p)
    for args in (("check", "--format", "json", "--format", "human", "scenarios/default.yaml"),
                 ("check", "--min-severity", "high", "--min-severity", "low", "scenarios/default.yaml"),
                 ("run", "-o", ctx.tmp / "a.json", "--output", ctx.tmp / "b.json"),
                 ("render", "--at", "1m", "--at", "2m", "scenarios/default.yaml")):
        p = ctx.run(*args, rc=2)
        assert "given twice: it takes one value" in _err(p), (args, _err(p))
    # Lists still add up.
    ctx.run("check", "--rules", "SMSS-PARENT", "--rules", "SMSS-PATH", "scenarios/default.yaml",
            rc=0)


def test_anomaly_parameters_are_listed(ctx):
    out = ctx.run("anomalies", rc=0).stdout.decode()
    want = "params: process=lsass.exe|csrss.exe|wininit.exe|services.exe"
    block = out.split("core-wrong-parent", 1)[1].split("\n", 2)[1]
    assert want in block, block
    out = ctx.run("explain", "core-wrong-parent", rc=0).stdout.decode()
    assert "  " + want in out, out[:600]


def test_missing_output_folders(ctx):
    p = ctx.run("run", "-o", ctx.tmp / "no" / "such" / "boot.json", rc=2)
    assert f"-o '{ctx.tmp}/no/such/boot.json': the folder '{ctx.tmp}/no/such' does not exist" \
        in _err(p), _err(p)
    (ctx.tmp / "file").write_text("x")
    p = ctx.run("check", "scenarios/default.yaml", "-o", ctx.tmp / "file" / "r.txt", rc=2)
    assert f"'{ctx.tmp}/file' is not a folder" in _err(p), _err(p)
    # corpus creates its folder and the ones above it, as mkdir -p would.
    ctx.run("corpus", "-n", "2", "--seed", "1", "--formats", "csv", "-q",
            "-o", ctx.tmp / "a" / "b" / "c", rc=0)
    assert (ctx.tmp / "a" / "b" / "c" / "manifest.jsonl").is_file()


def test_findings_name_their_file(ctx):
    a, b = ctx.tmp / "a.json", ctx.tmp / "b.json"
    ctx.run("run", "scenarios/anomaly-smss-wrong-parent.yaml", "-o", a, rc=0)
    ctx.run("run", "scenarios/anomaly-core-wrong-parent.yaml", "-o", b, rc=0)
    p = ctx.run("check", "--format", "json", a, b, "scenarios/anomaly-smss-wrong-path.yaml", rc=1)
    files = {json.loads(l)["evidence"]["file"] for l in p.stdout.splitlines()}
    assert files == {str(a), str(b), "scenarios/anomaly-smss-wrong-path.yaml"}, files
    human = ctx.run("check", a, rc=1).stdout.decode()
    assert f"  evidence: {a}\n" in human


def test_big_corpus_says_its_size_first(ctx):
    # The estimate comes before any writing; the output folder here is a
    # file, so the run stops right after it.
    (ctx.tmp / "taken").write_text("x")
    p = ctx.run("corpus", "-n", "100000", "--seed", "1", "-o", ctx.tmp / "taken", rc=2)
    first = _err(p).splitlines()[0]
    # 102 + 160 + 189 + 15 + 136 + 6 KB: the six default formats (cli/cmd_corpus.c).
    assert first.startswith("smsslab corpus: this writes about 60.8 GB (~608 KB per sample); "), first
    assert "GB free there" in first, first
    # Small runs say nothing before they start.
    p = ctx.run("corpus", "-n", "3", "--seed", "1", "-o", ctx.tmp / "small", "--formats", "csv",
                rc=0)
    assert "this writes" not in _err(p)


def _on_terminal(ctx, args, env=None, stdin_tty=True, stdout_tty=False, stderr_tty=False,
                 wait=0.5):
    """Run smsslab with some streams on a pseudo-terminal. Returns (rc or None
    if it was still running after wait s and killed, stdout, stderr)."""
    m, s = pty.openpty()
    e = dict(os.environ)
    e.pop("NO_COLOR", None)
    e.update(env or {})
    p = subprocess.Popen([ctx.bin, *map(str, args)], cwd=ctx.root, env=e,
                         stdin=s if stdin_tty else subprocess.DEVNULL,
                         stdout=s if stdout_tty else subprocess.PIPE,
                         stderr=s if stderr_tty else subprocess.PIPE)
    os.close(s)
    tty = b""
    deadline = time.monotonic() + wait * (4 if ctx.variant == "san" else 1)
    while time.monotonic() < deadline and p.poll() is None:
        r, _, _ = select.select([m], [], [], 0.05)
        if r:
            try:
                tty += os.read(m, 65536)
            except OSError:
                break
    try:
        rc = p.wait(timeout=max(0.1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        rc = None
        p.kill()
    out, err = p.communicate()
    try:
        while select.select([m], [], [], 0.05)[0]:
            d = os.read(m, 65536)
            if not d:
                break
            tty += d
    except OSError:
        pass
    os.close(m)
    return rc, (tty if stdout_tty else out) or b"", (tty if stderr_tty else err) or b""


def test_terminal_is_not_a_silent_wait_or_a_json_dump(ctx):
    rc, out, err = _on_terminal(ctx, ["check"], wait=1.0)
    assert b"smsslab check: reading snapshots from standard input (a terminal)" in err, err
    rc, out, err = _on_terminal(ctx, ["run"], stdin_tty=False, stdout_tty=True)
    assert rc == 2 and len(out) < 2000, (rc, len(out))
    assert b"the run document is about 100 KB of JSON: write it with -o FILE" in err, err
    # Piped, it is the document as before.
    assert json.loads(ctx.run("run", rc=0).stdout)["schema"].startswith("smsslab.run/")


def test_empty_no_color_means_unset_for_the_progress_bar(ctx):
    for value, bar in (("", True), ("1", False)):
        rc, _, err = _on_terminal(ctx, ["corpus", "-n", "3", "--seed", "1", "--formats", "csv",
                                        "-o", ctx.tmp / f"c{len(value)}"],
                                  env={"NO_COLOR": value}, stdin_tty=False, stderr_tty=True,
                                  wait=20)
        assert rc == 0, err
        assert (b"3/3 samples" in err) == bar, (value, err)


def test_make_install_and_uninstall(ctx):
    o = pathlib.Path(ctx.bin).parent
    dest = ctx.tmp / "stage"
    mk = ["make", "-s", "--no-print-directory", f"O={o}", f"VARIANT={ctx.variant}",
          "PREFIX=/opt/smsslab", f"DESTDIR={dest}"]
    subprocess.run(mk + ["install"], cwd=ctx.root, check=True, capture_output=True)
    root = dest / "opt" / "smsslab"
    assert (root / "bin" / "smsslab").stat().st_mode & 0o111
    scenarios = sorted(p.name for p in (root / "share" / "smsslab" / "scenarios").iterdir())
    assert scenarios == sorted(p.name for p in (ctx.root / "scenarios").glob("*.yaml"))
    man = (root / "share" / "man" / "man1" / "smsslab.1").read_text()
    # Made from the help texts: every command's usage line is in it.
    for cmd in ("run", "check", "render", "corpus", "score", "explain"):
        first = ctx.run("help", cmd, rc=0).stdout.decode().splitlines()[0]
        assert first.replace("\\", "\\e") in man, cmd
    comp = root / "share" / "bash-completion" / "completions" / "smsslab"
    words = subprocess.run(["bash", "-c", f". '{comp}'; COMP_WORDS=(smsslab check --ig); "
                            "COMP_CWORD=2; _smsslab; echo ${COMPREPLY[*]}"],
                           capture_output=True, check=True).stdout.decode().split()
    assert words == ["--ignore"], words
    subprocess.run(mk + ["uninstall"], cwd=ctx.root, check=True, capture_output=True)
    assert not [p for p in dest.rglob("*") if p.is_file()]


def test_direct_sanitizer_runs_get_the_makefile_options(ctx):
    # run_e2e.py run by hand against build/san failed a test: only the
    # Makefile exported ASAN_OPTIONS (allocator_may_return_null and the 1 GiB
    # allocation cap that the libevtx and out-of-memory cases rely on).
    import sys
    runner = sys.modules["__main__"]
    saved = {k: os.environ.pop(k) for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS") if k in os.environ}
    try:
        runner.sanitizer_options()
        asan = os.environ.get("ASAN_OPTIONS", "")
        assert "allocator_may_return_null=1" in asan and "max_allocation_size_mb=1024" in asan, asan
        assert "halt_on_error=1" in os.environ.get("UBSAN_OPTIONS", "")
    finally:
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
            os.environ.pop(k, None)
        os.environ.update(saved)
