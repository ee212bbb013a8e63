"""What the dispatcher reads at a glance: the answers so far, question by question, and the newest fix."""
from dataclasses import dataclass

from ..models import ReportEvent

# Ledger frames that change the summary (the page's socket re-sends it after them).
SUMMARY_MARKERS = ("event--question", "event--answer")


@dataclass(frozen=True)
class Answered:
    """One question and its answer (None while unanswered)."""

    question: str
    answer: str | None
    asked_by: str  # "自動" for a tree question, else the dispatcher's name
    from_profile: bool


def answers_of(report):
    """Every question of the case in the order asked, with its answer."""
    events = list(ReportEvent.select().where((ReportEvent.report == report)
                                             & ReportEvent.kind.in_(("question", "answer")))
                  .order_by(ReportEvent.seq))
    answers = {e.data.get("question_seq"): e for e in events if e.kind == "answer"}
    rows = []
    for question in (e for e in events if e.kind == "question"):
        answer = answers.get(question.seq)
        rows.append(Answered(question=question.body, answer=answer.body if answer else None,
                             asked_by="自動" if question.actor == "system" else
                             (question.staff.name if question.staff else "指令員"),
                             from_profile=bool(answer and answer.data.get("prefilled"))))
    return rows


def latest_fix(report):
    """The case's newest location update, or None."""
    return (ReportEvent.select().where((ReportEvent.report == report) & (ReportEvent.kind == "location"))
            .order_by(ReportEvent.seq.desc()).first())
