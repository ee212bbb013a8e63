"""An HQ's own question trees (SPEC §3.2) at /admin/questions: shown, edited as JSON, checked before use."""
import json

from flask import abort, redirect, request, url_for
from wtforms import TextAreaField

from .. import questions
from ..auth import current_staff, staff_required
from ..forms import Form, bilingual
from ..models import AuditEntry, write_transaction
from ..pages import render_page
from . import bp

KIND_NAMES = {"fire": ("火事", "Fire"), "ambulance": ("救急", "Ambulance"),
              "unknown": ("種類を選ばない通報（すぐに通報）", "One-tap report (type unknown)")}
assert set(KIND_NAMES) == set(questions.TREE_KINDS)


class TreeForm(Form):
    """The tree as JSON (the format of app/data/questions/)."""

    tree = TextAreaField("質問の内容（JSON）")


def _kind(kind):
    if kind not in questions.TREE_KINDS:
        abort(404)
    return kind


def _has_own(hq, kind):
    return questions.own_tree_path(questions.own_trees_dir(), hq, kind).is_file()


@bp.get("/questions")
@staff_required("admin")
def question_trees():
    """The trees residents of this HQ are asked, default or the HQ's own."""
    hq = current_staff().hq
    trees = [(kind, KIND_NAMES[kind], questions.tree_for(hq, kind, questions.own_trees_dir()), _has_own(hq, kind))
             for kind in questions.TREE_KINDS]
    return render_page("admin/questions.html", hq=hq, trees=trees)


# ?kind= rather than a path argument: the page only ever edits the administrator's own HQ's trees.
@bp.route("/questions/edit", methods=["GET", "POST"])
@staff_required("admin")
def question_tree():
    """Edit one tree: saved only when every question is complete and every path ends."""
    kind, staff = _kind(request.args.get("kind")), current_staff()
    hq, own_dir = staff.hq, questions.own_trees_dir()
    form = TreeForm()
    if form.validate_on_submit():
        try:
            if request.form.get("action") == "reset":
                questions.remove_own_tree(own_dir, hq, kind)
            else:
                questions.save_own_tree(own_dir, hq, kind, form.tree.data or "")
        except questions.TreeError as error:
            form.tree.errors.append(bilingual(f"質問の内容に誤りがあるため保存していません：{error}",
                                              f"Not saved, the questions have an error: {error}"))
        else:
            with write_transaction():
                AuditEntry.record("question_tree", staff=staff, kind=kind, change=request.form.get("action", "save"))
            return redirect(url_for(".question_tree", kind=kind, saved=1), 303)
    elif request.method == "GET":
        path = questions.own_tree_path(own_dir, hq, kind)
        if not path.is_file():
            path = questions.DEFAULT_DIR / f"{kind}.json"
        form.tree.data = path.read_text(encoding="utf-8")
    return render_page("admin/question_tree.html", status=400 if form.errors else 200, hq=hq, kind=kind,
                       name=KIND_NAMES[kind], form=form, own=_has_own(hq, kind),
                       tree=questions.tree_for(hq, kind, own_dir),
                       example=json.dumps({"ja": "…", "en": "…", "next": "…", "choices": [{"ja": "…", "en": "…"}]},
                                          ensure_ascii=False))
