"""Quiz content as a JSON-ready document: the stored form every trivia store shares (the
DynamoDB quiz items and the Redis live games), pure Python so any adapter may use it."""

from __future__ import annotations

from typing import Any

from domain.trivia.model import LeaderboardPolicy, Mode, Question, QuizContent


def quiz_document(content: QuizContent) -> dict[str, Any]:
    """The stored form of a quiz's content (``doc``; the wire shape of its time)."""

    def question(q: Question) -> dict[str, Any]:
        out: dict[str, Any] = {"text": q.text}
        if q.options is not None:
            out |= {"options": list(q.options), "correct": q.correct}
        else:
            out |= {"answer": q.answer, "alternatives": list(q.alternatives)}
        if q.follow_up is not None:
            out["followUp"] = q.follow_up
        if q.round is not None:
            out["round"] = q.round
        return out

    return {
        "name": content.name,
        "description": content.description,
        "category": content.category,
        "mode": content.mode.value,
        "leaderboardPolicy": content.policy.value,
        "questions": [question(q) for q in content.questions],
    }


def content_of(doc: dict[str, Any]) -> QuizContent:
    """The inverse of ``quiz_document``: what was stored is read back as it is, never
    checked again against the authoring limits of today."""
    questions = tuple(
        Question(
            q["text"],
            tuple(q["options"]) if "options" in q else None,
            q.get("correct"),
            q.get("answer"),
            tuple(q.get("alternatives", ())),
            q.get("followUp"),
            q.get("round"),
        )
        for q in doc["questions"]
    )
    return QuizContent(
        doc["name"],
        doc.get("description", ""),
        doc["category"],
        Mode(doc.get("mode", Mode.SINGLE.value)),
        LeaderboardPolicy(doc.get("leaderboardPolicy", LeaderboardPolicy.FIRST.value)),
        questions,
    )
