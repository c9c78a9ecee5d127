"""The run document matches docs/snapshot.schema.json, and reruns are byte-identical.

Validates `smsslab run` output for every scenario (and a few seeds) against the
published JSON Schema with python3-jsonschema, and proves determinism end to
end: the same scenario and seed give the same bytes, another seed differs.
"""
import json

import jsonschema


def validator(ctx):
    schema = json.loads((ctx.root / "docs" / "snapshot.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_every_scenario_output_matches_the_schema(ctx):
    v = validator(ctx)
    for sc in sorted((ctx.root / "scenarios").glob("*.yaml")):
        doc = json.loads(ctx.run("run", sc, rc=0).stdout)
        errors = sorted(v.iter_errors(doc), key=lambda e: list(e.path))
        assert not errors, f"{sc.name}: {errors[0].message} at {list(errors[0].path)}"
        # A registry value's "time" is when it was written: during the run, or by a tool in
        # the hour before the boot (a value the machine simply booted with has none).
        boot = doc["boot_time"]
        for snap in doc["snapshots"]:
            for r in snap["registry"]:
                assert "time" not in r or r["time"][:7] == boot[:7] or r["time"] >= boot, \
                    (sc.name, r)


def test_schema_rejects_what_it_should(ctx):
    v = validator(ctx)
    doc = json.loads(ctx.run("run", rc=0).stdout)
    doc["snapshots"][0]["processes"][0]["pid"] = -1
    assert list(v.iter_errors(doc))
    doc = json.loads(ctx.run("run", rc=0).stdout)
    doc["snapshots"][0]["processes"][0]["create_time"] = "2024-05-01 08:00:00"
    assert list(v.iter_errors(doc))


def test_reruns_are_byte_identical_and_seeds_differ(ctx):
    for sc in ["scenarios/default.yaml", "scenarios/normal-server2022-rdp.yaml",
               "scenarios/anomaly-core-wrong-parent.yaml"]:
        a = ctx.run("run", sc, rc=0).stdout
        b = ctx.run("run", sc, rc=0).stdout
        assert a == b, sc
        c = ctx.run("run", sc, "--seed", "987654321", rc=0).stdout
        assert a != c, sc
    # The environment cannot leak in: locale, time zone.
    a = ctx.run("run", rc=0).stdout
    b = ctx.run("run", rc=0, env={"LC_ALL": "de_DE.UTF-8", "TZ": "Asia/Kolkata"}).stdout
    assert a == b


def test_written_file_equals_stdout(ctx):
    out = ctx.tmp / "boot.json"
    ctx.run("run", "-o", out, rc=0)
    assert out.read_bytes() == ctx.run("run", rc=0).stdout
    assert [p.name for p in ctx.tmp.iterdir()] == ["boot.json"]  # no temp file left


def test_bad_scenario_leaves_no_output(ctx):
    bad = ctx.tmp / "bad.yaml"
    bad.write_text("name: x\nos: win95\n")
    out = ctx.tmp / "out.json"
    p = ctx.run("run", bad, "-o", out, rc=2)
    assert p.stderr.decode().startswith(f"smsslab: {bad}:2:5: ")
    assert not out.exists()
    assert sorted(x.name for x in ctx.tmp.iterdir()) == ["bad.yaml"]
