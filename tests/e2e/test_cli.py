"""The command-line contract: help for every command, exit codes, colour only on a TTY."""
import json
import os
import shutil
import subprocess

from run_e2e import Skip


def commands(ctx):
    out = ctx.run("--help", rc=0).stdout.decode()
    names = [line.split()[0] for line in out.splitlines()
             if line.startswith("  ") and line.split()[0] != "help"]
    assert {"run", "check", "render", "rules", "explain", "anomalies", "corpus", "score"} <= set(names)
    return names


def test_every_command_has_help(ctx):
    for name in commands(ctx):
        for args in (("help", name), (name, "--help")):
            out = ctx.run(*args, rc=0).stdout.decode()
            assert out.startswith(f"usage: smsslab {name}"), (args, out[:80])


def test_version_and_usage_errors(ctx):
    version = ctx.run("--version", rc=0).stdout.decode()
    assert version.startswith("smsslab ")
    # The schema --version names is the one run documents carry.
    import json, re
    doc = json.loads(ctx.run("run", "scenarios/default.yaml", rc=0).stdout)
    m = re.search(r"snapshot schema (\d+)", version)
    assert m and doc["schema"] == f"smsslab.run/{m.group(1)}", (version, doc["schema"])
    p = ctx.run(rc=2)
    assert b"usage: smsslab" in p.stderr
    p = ctx.run("frobnicate", rc=2)
    assert b"'frobnicate' is not a command" in p.stderr
    p = ctx.run("help", "frobnicate", rc=2)
    assert b"'frobnicate' is not a command" in p.stderr
    assert ctx.run("help", "help", rc=0).stdout == ctx.run("--help", rc=0).stdout
    for name in commands(ctx):
        p = ctx.run(name, "--no-such-option=1", rc=2)
        assert f"smsslab {name}: unknown option '--no-such-option'".encode() in p.stderr, name
        assert not p.stdout, name
    for name in ("run", "check", "render", "score"):
        p = ctx.run(name, "-o", rc=2)
        assert f"smsslab {name}: option '-o' needs a value".encode() in p.stderr, name
    p = ctx.run("corpus", "-qz", rc=2)
    assert b"unknown option '-z'" in p.stderr
    assert ctx.run("explain", "--", "SMSS-PARENT", rc=0).stdout == \
        ctx.run("explain", "SMSS-PARENT", rc=0).stdout
    p = ctx.run("corpus", "-qn", rc=2)
    assert b"option '-n' needs a value" in p.stderr


def test_help_texts_are_plain_and_complete(ctx):
    for name in commands(ctx):
        out = ctx.run("help", name, rc=0).stdout.decode()
        assert "%%" not in out, name  # a printf escape printed literally
        assert "-h, --help" in out, name
        assert "\nexit status: " in out, name
        assert out.endswith("\n"), name


def test_options_after_file_names(ctx):
    # GNU-style: options may follow the inputs, as in run and render.
    run = ctx.tmp / "b.json"
    ctx.run("run", "scenarios/anomaly-smss-wrong-parent.yaml", "-o", run, rc=0)
    before = ctx.run("check", "--format", "json", "--min-severity", "high", run, rc=1).stdout
    after = ctx.run("check", run, "--format", "json", "--min-severity", "high", rc=1).stdout
    assert before == after and before.startswith(b'{"rule":')
    # "--" still ends the options: a file named like an option is a file.
    p = ctx.run("check", run, "--", "--format", rc=2)
    assert b"--format: cannot open" in p.stderr


def _tty(ctx, args, env):
    """Run under a pseudo-terminal (util-linux script) and return the bytes it printed."""
    if not shutil.which("script"):
        raise Skip("util-linux 'script' is not installed")
    cmd = " ".join([ctx.bin, *map(str, args)])
    e = dict(os.environ)
    e.pop("NO_COLOR", None)
    e.update(env)
    return subprocess.run(["script", "-qc", cmd, "/dev/null"], capture_output=True, env=e,
                          cwd=ctx.root, timeout=60).stdout


def test_colour_only_on_a_terminal_and_never_with_no_color(ctx):
    args = ("check", "scenarios/anomaly-lsass-children.yaml")
    assert b"\x1b[" in _tty(ctx, args, {})
    assert b"\x1b[" not in _tty(ctx, args, {"NO_COLOR": "1"})
    piped = ctx.run(*args, rc=1).stdout
    assert b"\x1b[" not in piped and b"LSASS-CHILDREN" in piped


def test_readme_examples_are_real(ctx):
    readme = (ctx.root / "README.md").read_text()
    # The clean check shown is the real output.
    out = ctx.run("check", "scenarios/default.yaml", rc=0).stdout.decode()
    assert f"$ smsslab check scenarios/default.yaml\n{out}" in readme
    # The scenario shown is valid and its anomaly is found.
    block = readme.split("## Scenarios", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    sc = ctx.tmp / "readme.yaml"
    sc.write_text(block)
    p = ctx.run("check", "--format", "json", sc, rc=1)
    assert b'"rule":"LSASS-PARENT"' in p.stdout


def test_check_help_lists_every_input_format(ctx):
    out = ctx.run("help", "check", rc=0).stdout.decode()
    err = ctx.run("check", "--input-format", "nope", "x", rc=2).stderr.decode()
    names = err.split("expected one of: ", 1)[1].split(")")[0].split(", ")
    assert len(names) > 5
    for n in names:
        assert n in out, n


def test_rule_lists_add_up_and_cannot_be_empty(ctx):
    run = ctx.tmp / "b.json"
    ctx.run("run", "scenarios/anomaly-smss-wrong-parent.yaml", "-o", run, rc=0)
    rules = lambda *a: sorted(json.loads(l)["rule"] for l in
                              ctx.run("check", "--format", "json", run, *a).stdout.splitlines())
    assert rules("--rules", "SMSS-PARENT", "--rules", "SMSS-USER") == ["SMSS-PARENT", "SMSS-USER"]
    everything = rules()
    assert rules("--ignore", "SMSS-PARENT", "--ignore", "SMSS-USER") == \
        [r for r in everything if r not in ("SMSS-PARENT", "SMSS-USER")]
    for bad in ("", ",", " , "):
        p = ctx.run("check", run, "--rules", bad, rc=2)
        assert b"--rules: no rule ids given" in p.stderr


def test_empty_input_is_an_error_not_a_clean_host(ctx):
    empty = ctx.tmp / "empty.json"
    empty.write_bytes(b"")
    for args, stdin in ((("check",), b""), (("check", "-"), b""), (("render",), b""),
                        (("check", "--input-format", "native", empty), None),
                        (("check", "-"), b'{"schema":"smsslab.run/1","snapshots":[]}')):
        p = ctx.run(*args, stdin=stdin, rc=2)
        assert b": no snapshots in this input (is it empty?)" in p.stderr, args


def test_full_disk_is_one_clear_error(ctx):
    if not os.path.exists("/dev/full"):
        raise Skip("no /dev/full")
    for args in (("run",), ("check", "scenarios/default.yaml"), ("rules",)):
        with open("/dev/full", "wb") as full:
            p = subprocess.run([ctx.bin, *args], stdout=full, capture_output=False,
                               stderr=subprocess.PIPE, cwd=ctx.root, timeout=60)
        assert p.returncode == 2, args
        lines = p.stderr.decode().splitlines()
        assert len(lines) == 1 and "No space left on device" in lines[0], (args, lines)
    p = ctx.run("run", "-o", "/dev/full", rc=2)
    assert p.stderr.decode().strip() == "smsslab: /dev/full: write failed: No space left on device"


def test_output_never_overwrites_an_input(ctx):
    run = ctx.tmp / "b.json"
    ctx.run("run", "scenarios/default.yaml", "-o", run, rc=0)
    before = run.read_bytes()
    p = ctx.run("check", run, "-o", run, rc=2)
    assert b"is also an input" in p.stderr and run.read_bytes() == before
    link = ctx.tmp / "same.json"
    os.symlink(run, link)  # another name for the same file
    ctx.run("check", run, "-o", link, rc=2)
    assert run.read_bytes() == before
    sc = ctx.tmp / "s.yaml"
    sc.write_bytes((ctx.root / "scenarios" / "default.yaml").read_bytes())
    ctx.run("run", sc, "-o", sc, rc=2)
    assert sc.read_bytes() == (ctx.root / "scenarios" / "default.yaml").read_bytes()
    dot = ctx.tmp / "t.dot"
    ctx.run("render", run, "-o", dot, rc=0)
    ctx.run("render", dot, "-o", dot, rc=2)
    c = ctx.tmp / "c"
    ctx.run("corpus", "-n", "2", "--seed", "1", "-o", c, "--formats", "native", "-q", rc=0)
    man = (c / "manifest.jsonl").read_bytes()
    for out in (c / "manifest.jsonl", c / "corpus.json", c / "native" / "r.txt"):
        p = ctx.run("score", "--truth", c, "--run-checker", "-o", out, rc=2)
        assert b"inside the corpus folder" in p.stderr, out
    assert (c / "manifest.jsonl").read_bytes() == man
    ctx.run("score", "--truth", c, "--run-checker", "-o", c / "report.txt", rc=0)


def test_long_paths_keep_the_reason_and_long_arguments_are_cut(ctx):
    deep = "./" * 1500 + "nonexist.json"  # 3 KB, under PATH_MAX
    p = ctx.run("check", deep, rc=2)
    assert p.stderr.decode().rstrip().endswith("nonexist.json: cannot open: No such file or "
                                               "directory")
    p = ctx.run("run", "--seed", "9" * 100000, rc=2)
    assert len(p.stderr) < 2200 and b"..." in p.stderr
    p = ctx.run("x" * 100000, rc=2)
    assert len(p.stderr) < 200


def test_odd_output_paths(ctx):
    # A symlink to a file stays a link; the file it names gets the output.
    target = ctx.tmp / "target.json"
    target.write_text("old")
    link = ctx.tmp / "link.json"
    os.symlink(target, link)
    ctx.run("run", "-o", link, rc=0)
    assert link.is_symlink() and target.read_bytes().startswith(b'{"schema":"smsslab.run/2"')
    p = ctx.run("run", "-o", "", rc=2)
    assert b"the output path is empty" in p.stderr
    for bad in ("-", ""):
        p = ctx.run("corpus", "-n", "1", "--seed", "1", "-o", bad, rc=2)
        assert b"a corpus is a folder" in p.stderr
    p = ctx.run("score", "--truth", ctx.tmp / "nope", "--run-checker", rc=2)
    assert b"nope: cannot open: No such file or directory" in p.stderr
    p = ctx.run("score", "--truth", ctx.tmp, "--run-checker", "--detections", target, rc=2)
    assert b"alternatives" in p.stderr


def test_seed_without_a_scenario_is_pointed_out(ctx):
    run = ctx.tmp / "b.json"
    ctx.run("run", "scenarios/default.yaml", "-o", run, rc=0)
    p = ctx.run("check", run, "--seed", "5", rc=0)
    assert b"--seed applies to scenario inputs (.yaml) only; ignored" in p.stderr
    p = ctx.run("check", "scenarios/default.yaml", "--seed", "5", rc=0)
    assert b"--seed" not in p.stderr
    p = ctx.run("render", run, "--seed", "5", "-o", ctx.tmp / "t.dot", rc=0)
    assert b"--seed applies" in p.stderr


def test_choice_values_ignore_case(ctx):
    sc = "scenarios/anomaly-smss-wrong-parent.yaml"
    assert ctx.run("check", "--format", "JSON", sc, rc=1).stdout == \
        ctx.run("check", "--format", "json", sc, rc=1).stdout
    assert ctx.run("rules", "--format", "Markdown", rc=0).stdout == \
        ctx.run("rules", "--format", "markdown", rc=0).stdout
    csv = "tests/fixtures/real-like/vol3_pstree.csv"
    assert ctx.run("check", "--input-format", "VOL3-CSV", csv).stdout == \
        ctx.run("check", "--input-format", "vol3-csv", csv).stdout
