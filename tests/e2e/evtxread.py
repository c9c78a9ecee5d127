"""What the EVTX tests share: the two independent readers (libevtx's
evtxexport, python-evtx) run strictly -- any complaint fails -- and
findings compared without where they were read."""
import contextlib
import json
import logging
import re
import shutil
import subprocess
import sys
import warnings
import xml.etree.ElementTree as ET

Skip = getattr(sys.modules["__main__"], "Skip", None)
if Skip is None:
    from run_e2e import Skip


def need_readers():
    if not shutil.which("evtxexport"):
        raise Skip("evtxexport (libevtx-utils) is not installed")
    try:
        import Evtx.Evtx  # noqa: F401
    except ImportError:
        raise Skip("python3-evtx is not installed")


def evtxexport_elements(path):
    """Every record of path as an <Event> element; evtxexport must not complain."""
    p = subprocess.run(["evtxexport", "-f", "xml", str(path)], capture_output=True, timeout=300)
    assert p.returncode == 0, p.stderr.decode(errors="replace")[:2000]
    assert p.stderr == b"", "evtxexport complained: " + p.stderr.decode(errors="replace")[:2000]
    blocks = re.findall(r"<Event xmlns=.*?</Event>", p.stdout.decode("utf-8"), flags=re.S)
    return [ET.fromstring(b) for b in blocks]


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []

    def emit(self, record):
        if record.levelno >= logging.WARNING:
            self.records.append(record.getMessage())


@contextlib.contextmanager
def python_evtx_strict():
    """Inside: a Python warning is an error; on leaving, a logged warning fails."""
    coll = _Collect()
    logging.getLogger().addHandler(coll)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            yield
    finally:
        logging.getLogger().removeHandler(coll)
    assert not coll.records, f"python-evtx warned: {coll.records[:5]}"


def findings(out):
    """check --format json findings without where they were read (file,
    line): the records they cite are kept by EventRecordID, which an .evtx
    and its XML share."""
    found = []
    for line in out.decode().splitlines():
        f = json.loads(line)
        ev = f.pop("evidence", None)
        if ev is not None:
            f["records"] = [r.get("id") for r in ev.get("records", [])]
        found.append(json.dumps(f, sort_keys=True))
    return sorted(found)
