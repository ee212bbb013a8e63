"""The standard 119 question trees (SPEC §3.2): data files, validated on load, walked one question at a time.

A tree is a JSON file per report kind in app/data/questions/; a choice may
lead to the next question of its tree (``next``) or to the start of another
tree (``then``: the one-tap report asks the kind first). An HQ's own
version, when there is one, is the file of the same name under
``<QUESTION_TREES_DIR>/<hq code>/``; it replaces the default for that HQ only.
"""
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, has_app_context

DEFAULT_DIR = Path(__file__).parent / "data" / "questions"
KIND_TREES = ("fire", "ambulance")
# A one-tap report (kind unknown) is first asked which kind it is.
TREE_KINDS = (*KIND_TREES, "unknown")
# Profile facts a question may be answered from when the patient is the user.
PREFILLS = ("age", "sex")
MAX_TEXT = 200
# Offered with every dispatcher question (SPEC §3.2), in this order.
ALWAYS_OFFERED = (("はい", "Yes"), ("いいえ", "No"), ("わからない", "I don't know"))


class TreeError(ValueError):
    """A question tree file that cannot be used, with where the problem is."""


@dataclass(frozen=True)
class Choice:
    ja: str
    en: str
    next: str | None
    patient_is_user: bool = False
    then: str | None = None


@dataclass(frozen=True)
class Question:
    node: str
    ja: str
    en: str
    choices: tuple[Choice, ...]
    prefill: str | None = None

    def choice(self, text):
        """The choice whose Japanese text is ``text``, or None."""
        return next((c for c in self.choices if c.ja == text), None)


@dataclass(frozen=True)
class Tree:
    kind: str
    start: str
    questions: dict

    def paths(self):
        """Every sequence of (node, choice) from the first question to an end."""
        def walk(node, path):
            for choice in self.questions[node].choices:
                step = [*path, (node, choice.ja)]
                if choice.next is None:
                    yield step  # a "then" continues in another tree, walked on its own
                else:
                    yield from walk(choice.next, step)
        return list(walk(self.start, []))


def _text(value, where):
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
        raise TreeError(f"{where}: needs a non-empty text of at most {MAX_TEXT} characters")
    return value.strip()


def parse_tree(document, kind):
    """A validated Tree from a decoded JSON document; TreeError says what is wrong."""
    if not isinstance(document, dict) or document.get("kind") != kind:
        raise TreeError(f'the file must be an object with "kind": "{kind}"')
    nodes = document.get("questions")
    if not isinstance(nodes, dict) or not nodes:
        raise TreeError('"questions" must be a non-empty object')
    questions = {}
    for node, spec in nodes.items():
        if not isinstance(spec, dict):
            raise TreeError(f"{node}: must be an object")
        raw_choices = spec.get("choices")
        if not isinstance(raw_choices, list) or not raw_choices:
            raise TreeError(f"{node}: needs at least one choice")
        choices = []
        for i, raw in enumerate(raw_choices):
            if not isinstance(raw, dict):
                raise TreeError(f"{node}, choice {i + 1}: must be an object")
            choices.append(Choice(ja=_text(raw.get("ja"), f"{node}, choice {i + 1} (ja)"),
                                  en=_text(raw.get("en"), f"{node}, choice {i + 1} (en)"),
                                  next=None if "then" in raw else raw.get("next", spec.get("next")),
                                  patient_is_user=raw.get("patient_is_user") is True,
                                  then=raw.get("then")))
            # Only the kind-less tree hands over, and only to a kind's tree: no loops between trees.
            if choices[-1].then is not None and (kind != "unknown" or choices[-1].then not in KIND_TREES):
                raise TreeError(f"{node}, choice {i + 1}: only the unknown tree has then, naming "
                                f"{' or '.join(KIND_TREES)}")
        if len({c.ja for c in choices}) != len(choices):
            raise TreeError(f"{node}: two choices have the same text")
        prefill = spec.get("prefill")
        if prefill is not None and prefill not in PREFILLS:
            raise TreeError(f"{node}: prefill must be one of {', '.join(PREFILLS)}")
        questions[node] = Question(node=node, ja=_text(spec.get("ja"), f"{node} (ja)"),
                                   en=_text(spec.get("en"), f"{node} (en)"),
                                   choices=tuple(choices), prefill=prefill)
    start = document.get("start")
    if start not in questions:
        raise TreeError('"start" must name one of the questions')
    for question in questions.values():
        for choice in question.choices:
            if choice.next is not None and choice.next not in questions:
                raise TreeError(f"{question.node}: next question {choice.next!r} does not exist")
    _check_every_path_ends(questions, start)
    return Tree(kind=kind, start=start, questions=questions)


def _check_every_path_ends(questions, start):
    """No loops (every path ends) and no question that can never be asked."""
    done, on_path = set(), []

    def visit(node):
        if node in on_path:
            raise TreeError(f"the questions loop: {' → '.join([*on_path[on_path.index(node):], node])}")
        if node in done:
            return
        on_path.append(node)
        for choice in questions[node].choices:
            if choice.next is not None:
                visit(choice.next)
        on_path.pop()
        done.add(node)

    visit(start)
    unreachable = sorted(set(questions) - done)
    if unreachable:
        raise TreeError(f"never asked: {', '.join(unreachable)}")


_cache = {}


def load_tree(path, kind):
    """The tree in ``path``, parsed once per version of the file."""
    path = Path(path)
    stamp = path.stat().st_mtime_ns
    cached = _cache.get(path)
    if cached and cached[0] == stamp:
        return cached[1]
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise TreeError(f"{path.name}: cannot be read ({error})") from None
    tree = parse_tree(document, kind)
    _cache[path] = (stamp, tree)
    return tree


def tree_for(hq, kind, override_dir=None):
    """The question tree an HQ asks for a report of ``kind``, or None when the kind has none.

    ``override_dir`` holds one folder per HQ code with that HQ's own files.
    """
    if kind not in TREE_KINDS:
        return None
    if override_dir and hq is not None:
        own = own_tree_path(override_dir, hq, kind)
        if own.is_file():
            return load_tree(own, kind)
    return load_tree(DEFAULT_DIR / f"{kind}.json", kind)


def own_trees_dir():
    """Where the HQs' own trees are kept: QUESTION_TREES_DIR, else instance/questions (None outside an app)."""
    if not has_app_context():
        return None
    return Path(current_app.config["QUESTION_TREES_DIR"] or Path(current_app.instance_path) / "questions")


def own_tree_path(override_dir, hq, kind):
    """The file holding ``hq``'s own tree of ``kind`` (which may not exist)."""
    return Path(override_dir) / hq.code / f"{kind}.json"


def save_own_tree(override_dir, hq, kind, text):
    """Check ``text`` as a tree of ``kind`` and make it ``hq``'s own; return the Tree (TreeError if wrong).

    Written to a temporary file and renamed over the old one, so a report never
    reads half a file.
    """
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise TreeError(f"not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})") from None
    tree = parse_tree(document, kind)
    path = own_tree_path(override_dir, hq, kind)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, suffix=".tmp", delete=False) as out:
        json.dump(document, out, ensure_ascii=False, indent=2)
    os.replace(out.name, path)
    return tree


def remove_own_tree(override_dir, hq, kind):
    """Go back to the default tree of ``kind`` for ``hq``; True if it had its own."""
    path = own_tree_path(override_dir, hq, kind)
    if not path.is_file():
        return False
    path.unlink()
    return True


def next_node(tree, node, answer):
    """The question after answering ``node`` with ``answer`` in the same tree (None at its end)."""
    choice = chosen(tree, node, answer)
    return choice.next if choice else None


def chosen(tree, node, answer):
    """The Choice ``answer`` made at ``node``, or None (say, the HQ has changed its tree since)."""
    question = tree.questions.get(node)
    return question.choice(answer) if question else None


AGE_BANDS = ((10, "10歳未満"), (20, "10代"), (30, "20代"), (40, "30代"), (50, "40代"),
             (60, "50代"), (70, "60代"), (80, "70代"))


def profile_answer(question, resident, today):
    """The answer the resident's profile gives to ``question`` (a prefill one), or None."""
    if question.prefill == "age":
        age = resident.age_on(today)
        if age is None:
            return None
        band = next((label for limit, label in AGE_BANDS if age < limit), "80代以上")
    elif question.prefill == "sex":
        band = resident.sex
    else:
        return None
    return band if question.choice(band) else None
