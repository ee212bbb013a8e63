"""Practice cannot reach real reports, dispatchers, mail or statistics: checked on the import graph."""
import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRACTICE = ROOT / "app" / "practice"
# Modules that write real reports, notify dispatchers or send mail.
FORBIDDEN_MODULES = {"app.reporting", "app.dispatch", "app.mail", "app.chat_socket", "app.report",
                     "app.admin", "app.registration"}
# Names that are the real ledger or the real hub, wherever they are imported from.
FORBIDDEN_NAMES = {("app.models", "Report"), ("app.models", "ReportEvent"), ("app.realtime", "hub"),
                   ("app.extensions", "db")}


def _absolute(module_path, node):
    """The absolute module an ImportFrom names (``from ..x import y`` inside app/practice/)."""
    if node.level == 0:
        return node.module or ""
    package = module_path.relative_to(ROOT).with_suffix("").parts[:-1]
    base = package[:len(package) - node.level + 1]
    return ".".join([*base, *([node.module] if node.module else [])])


def _imports(path):
    """(module, name or None) for every import in ``path``."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from ((alias.name, None) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(path, node)
            for alias in node.names:
                yield module, alias.name
                yield f"{module}.{alias.name}", None


def _forbidden(module, name):
    return (any(module == f or module.startswith(f + ".") for f in FORBIDDEN_MODULES)
            or (module, name) in FORBIDDEN_NAMES)


def test_no_practice_module_imports_the_real_side():
    modules = sorted(PRACTICE.glob("*.py"))
    assert {p.name for p in modules} >= {"__init__.py", "coach.py", "store.py", "views.py", "ws.py", "stats.py"}
    found = [(p.name, module, name) for p in modules for module, name in _imports(p) if _forbidden(module, name)]
    assert found == []


def test_the_check_would_see_a_forbidden_import():
    cases = {"from ..reporting import open_report": True, "from ..realtime import hub": True,
             "from ..models import Report": True, "from app.mail import outbox": True,
             "from ..realtime import LocalHub": False, "from ..models import FrequentPlace": False}
    for source, expected in cases.items():
        node = ast.parse(source).body[0]
        module = _absolute(ROOT / "app" / "practice" / "probe.py", node)
        hits = any(_forbidden(m, n) for m, n in [*[(module, a.name) for a in node.names],
                                                 *[(f"{module}.{a.name}", None) for a in node.names]])
        assert hits is expected, source


POISONED_RUN = r"""
import sys
for name in ("app.reporting", "app.dispatch", "app.mail", "app.chat_socket", "app.report"):
    sys.modules[name] = None  # any import of these now fails
import app.realtime
class Tripwire:
    def publish(self, *args, **kwargs):
        raise AssertionError("practice published on the real hub")
    subscribe = publish
app.realtime.hub = Tripwire()
from app.practice import coach, stats, store
from app.database import open_database
store.practice_db.initialize(open_database(sys.argv[1]))
session, _ = coach.open_session(1, 1, kind="ambulance", place_kind="current", client_id="poisoned-tap-1")
for i, body in enumerate(["急病", "家族", "ない", "している", "ない", "目印は駅の北口"]):
    coach.post_message(store.PracticeSession.get_by_id(session.id), body=body, client_id=f"poisoned-msg-{i}")
assert not store.PracticeSession.get_by_id(session.id).is_open
assert stats.last_practised(1) is not None
print("ok")
"""


def test_a_whole_practice_runs_with_the_real_side_poisoned(tmp_path):
    result = subprocess.run([sys.executable, "-c", POISONED_RUN, f"sqlite:///{tmp_path / 'practice.sqlite3'}"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
