"""The chat's scope: which loaded documents the sidebar filter keeps, and what service.ask is given."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.answer import Answer
from app.scope import aliases
from app.ui.labels import doc_label
from store.models import Document


@dataclass(frozen=True)
class Target:
    """One call to service.ask: the doc hint (None = all, a unit name, or a doc_id) and its label."""

    doc: str | None
    label: str


def scoped(documents: Sequence[Document], units: Sequence[str] = (), years: Sequence[int] = ()) -> list[Document]:
    """The documents the filter keeps; an empty choice means every unit (or year)."""
    return [d for d in documents if (not units or d.unit_name in units) and (not years or d.year in years)]


def ask_targets(documents: Sequence[Document], units: Sequence[str] = (), years: Sequence[int] = ()) -> list[Target]:
    """How to ask within the filter: once over all, once per wholly chosen unit (its name as the hint), else per document."""
    if not units and not years:
        return [Target(None, "全部已加载文件")]
    selected = scoped(documents, units, years)
    targets: list[Target] = []
    # In the order the units were chosen (else as loaded), so answers come in the order asked for.
    for unit in dict.fromkeys([*(u for u in units if any(d.unit_name == u for d in selected)),
                               *(d.unit_name for d in selected)]):
        chosen = [d for d in selected if d.unit_name == unit]
        every = [d for d in documents if d.unit_name == unit]
        # A unit name as the hint lets the question's own year pick among that unit's documents.
        if unit and len(chosen) == len(every):
            targets.append(Target(unit, unit))
        else:
            targets.extend(Target(d.doc_id, doc_label(d)) for d in chosen)
    return targets


def ask_in_scope(service, question: str, documents: Sequence[Document], units: Sequence[str] = (),
                 years: Sequence[int] = (), conversation: str | None = None,
                 model: str | None = None) -> list[tuple[Target, Answer]]:
    """The answers to one question within the filter, one per target (none when the filter keeps nothing).

    Each target keeps its own thread of the conversation, so a follow-up continues the question it follows;
    model: the session's own model, when it chose one."""
    return [(t, service.ask(question, t.doc, f"{conversation}:{t.doc}" if conversation else None,
                            **({"model": model} if model else {})))
            for t in ask_targets(documents, units, years)]


def scope_label(units: Sequence[str] = (), years: Sequence[int] = ()) -> str:
    """The filter in words, shown under a question asked within it; empty when there is none."""
    parts = ["、".join(units) if units else "", "、".join(f"{y}年" for y in years) if years else ""]
    return " · ".join(p for p in parts if p)


def units_outside(question: str, documents: Sequence[Document], selected: Sequence[Document]) -> list[str]:
    """Loaded units the question names that the scope leaves out (the answer would not be about them)."""
    inside = {d.unit_name for d in selected}
    outside = {d.unit_name for d in documents if d.unit_name and d.unit_name not in inside}
    return sorted(u for u in outside if any(a in question for a in aliases(u)))
