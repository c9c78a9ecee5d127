"""Anomalies round-trip through the checker (issue 4).

For every scenario in scenarios/: the checker reports exactly the labelled
anomalies -- every label is found, on its target with exactly the rules the
label says, and nothing fires on an unlabelled process or registry value.
Normal and hard-negative scenarios have no labels and check clean.
"""
import json


def targets(doc):
    """Map (pid, create_time) and (key, name) to the label id they carry."""
    procs, regs = {}, {}
    for snap in doc["snapshots"]:
        for p in snap["processes"]:
            procs[(p["pid"], p["create_time"])] = p["anomaly"]
        for r in snap["registry"]:
            regs[(r["key"].lower(), r["name"].lower())] = r["anomaly"]
    return procs, regs


def findings(ctx, path):
    p = ctx.run("check", "--format", "json", path)
    assert p.returncode in (0, 1), p.stderr.decode()
    return [json.loads(line) for line in p.stdout.decode().splitlines() if line.strip()]


def round_trip(ctx, scenario):
    out = ctx.tmp / "run.json"
    ctx.run("run", scenario, "-o", out, rc=0)
    doc = json.loads(out.read_text())
    procs, regs = targets(doc)
    fired = {}  # label id -> {(target key): set(rules)}
    for f in findings(ctx, str(out)):
        if "process" in f:
            key = (f["process"]["pid"], f["process"]["create_time"])
            label = procs.get(key)
        else:
            key = (f["registry"]["key"].lower(), f["registry"]["name"].lower())
            label = regs.get(key)
        assert label, f"{scenario}: finding on an unlabelled target: {f}"
        fired.setdefault(label, {}).setdefault(key, set()).add(f["rule"])
    for label in doc["labels"]:
        t = label["target"]
        key = ((t["pid"], t["create_time"]) if "pid" in t
               else (t["key"].lower(), t["name"].lower()))
        on_target = fired.get(label["id"], {}).get(key, set())
        assert on_target, (f"{scenario}: label {label['id']} ({label['type']}) not found on its "
                           f"target; fired {fired}")
        # The label's rules are those expected on every record carrying it.
        got = set().union(*fired.get(label["id"], {}).values())
        assert got == set(label["rules"]), (
            f"{scenario}: label {label['id']} ({label['type']}): rules fired {sorted(got)}, "
            f"label says {sorted(label['rules'])}")
    assert set(fired) <= {label["id"] for label in doc["labels"]}
    return doc


def test_every_scenario_round_trips(ctx):
    scenarios = sorted((ctx.root / "scenarios").glob("*.yaml"))
    assert len(scenarios) >= 30
    failures = []
    for sc in scenarios:
        try:
            doc = round_trip(ctx, sc)
            if sc.name.startswith("anomaly-"):
                assert doc["labels"], f"{sc.name}: an anomaly scenario without labels"
            else:
                assert not doc["labels"], f"{sc.name}: a normal scenario with labels"
        except AssertionError as e:
            failures.append(str(e))
    assert not failures, "\n".join(failures)


def test_every_catalogue_entry_has_a_scenario(ctx):
    p = ctx.run("anomalies", "--format", "json", rc=0)
    ids = [json.loads(line)["id"] for line in p.stdout.decode().splitlines() if line.strip()]
    assert len(ids) >= 20
    for i in ids:
        assert (ctx.root / "scenarios" / f"anomaly-{i}.yaml").exists(), f"no scenario for {i}"


def test_explain_covers_every_anomaly(ctx):
    p = ctx.run("anomalies", "--format", "json", rc=0)
    for line in p.stdout.decode().splitlines():
        a = json.loads(line)
        e = ctx.run("explain", a["id"], rc=0).stdout.decode()
        assert a["technique"].split(",")[0] in e
        assert "(no such rule)" not in e, e
        for rule in a["rules"]:
            if "{" not in rule:
                assert rule in e, f"explain {a['id']} does not name {rule}"
            else:  # expanded for every process the parameter can name
                assert rule + ", where" in e, f"explain {a['id']} does not expand {rule}"
    e = ctx.run("explain", "core-wrong-user", rc=0).stdout.decode()
    for rule in ("LSASS-USER", "CSRSS-USER", "WININIT-USER", "SERVICES-USER"):
        assert rule in e, rule


def test_combined_anomalies_each_found(ctx):
    sc = ctx.tmp / "combo.yaml"
    sc.write_text(
        "name: combo\nsessions:\n  - {id: 1, kind: console, user: CORP\\alice, logon: 35s}\n"
        "  - {id: 2, kind: rdp, user: CORP\\bob, logon: 20m, logoff: 40m}\n"
        "anomalies:\n"
        "  - {type: smss-wrong-parent, at: 6m}\n"
        "  - {type: core-extra-instance, process: lsass.exe, at: 8m}\n"
        "  - {type: winlogon-shell}\n"
        "  - {type: appcertdlls}\n"
        "  - {type: lsass-children, at: 30m}\n")
    doc = round_trip(ctx, sc)
    assert len(doc["labels"]) == 5


def test_default_start_is_seeded_and_never_a_round_offset(ctx):
    # Without `at`, an anomaly starts at a seeded moment in the minute after
    # the default (5m after boot); an explicit `at` is kept to the microsecond.
    def start(extra, seed):
        sc = ctx.tmp / f"at-{seed}-{len(extra)}.yaml"
        sc.write_text("name: at\nseed: %d\nboot_time: 2024-05-01T08:00:00Z\n"
                      "anomalies:\n  - {type: smss-extra-instance%s}\n" % (seed, extra))
        doc = json.loads(ctx.run("run", sc, rc=0).stdout)
        return doc["labels"][0]["target"]["create_time"]
    starts = {start("", seed) for seed in range(1, 6)}
    assert len(starts) == 5, starts
    for t in starts:
        assert t.startswith("2024-05-01T08:05:") and not t.endswith(":00.000000Z"), t
    assert start(", at: 7m", 1) == "2024-05-01T08:07:00.000000Z"
    assert start("", 3) == start("", 3)


def test_labelled_events_name_their_anomaly(ctx):
    doc = json.loads(ctx.run("run", "scenarios/anomaly-bootexecute-extra.yaml", rc=0).stdout)
    lid = doc["labels"][0]["id"]
    creates = [e for e in doc["events"] if e["type"] == "process_create" and e["anomaly"] == lid]
    assert creates and creates[0]["name"] == "BootExecuteNative.exe"
    reads = [e for e in doc["events"] if e["type"] == "registry_read" and e["anomaly"] == lid]
    assert reads and reads[0]["value"] == "BootExecute"
    assert all(e["anomaly"] in (None, lid) for e in doc["events"])


def test_docs_anomalies_md_is_generated(ctx):
    want = ctx.run("anomalies", "--format", "markdown", rc=0).stdout.decode()
    have = (ctx.root / "docs" / "anomalies.md").read_text()
    assert have == want, "docs/anomalies.md is stale: smsslab anomalies --format markdown > it"


def test_every_process_and_parent_choice_round_trips(ctx):
    """The label's expected rules hold for every choice a type offers."""
    p = ctx.run("anomalies", "--format", "json", rc=0)
    failures = []
    for line in p.stdout.decode().splitlines():
        a = json.loads(line)
        for key in ("process", "parent"):
            words = [w for w in a["params"].split() if w.startswith(key + "=")]
            if not words:
                continue
            for choice in words[0].split("=", 1)[1].split("|"):
                sc = ctx.tmp / f"{a['id']}-{key}-{choice}.yaml"
                sc.write_text(
                    "name: variant\nsessions:\n"
                    "  - {id: 1, kind: console, user: CORP\\alice, logon: 35s}\n"
                    f"anomalies:\n  - {{type: {a['id']}, {key}: {choice}}}\n")
                try:
                    round_trip(ctx, sc)
                except AssertionError as e:
                    failures.append(str(e))
    assert not failures, "\n".join(failures)
