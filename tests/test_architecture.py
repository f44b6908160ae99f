"""The package dependency drawing in docs/architecture.md is generated from the code.

``make architecture`` rewrites it; this test fails when the imports changed and the drawing was
not regenerated, or when an arrow points up the layers declared for import-linter in
pyproject.toml (``lint-imports`` in ``make lint`` checks every module; this checks the drawing).
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"
BEGIN, END = "```mermaid", "```"

# The boxes of the drawing, top to bottom; a module belongs to the longest name it starts with.
BOXES = [
    "engagement.dashboard",
    "engagement.reports",
    "engagement.demo",
    "voc.triage",
    "voc",
    "surveys",
    "engagement.customers",
    "engagement.audit",
    "engagement.integrations",
    "engagement.platform",
]


def _owner(module: str) -> str | None:
    matches = [box for box in BOXES if module == box or module.startswith(box + ".")]
    return max(matches, key=len) if matches else None


def package_edges() -> list[tuple[str, str]]:
    """(importer, imported) pairs of boxes, from the modules' direct imports."""
    import grimp

    graph = grimp.build_graph("engagement", "surveys", "voc")
    edges: set[tuple[str, str]] = set()
    for module in graph.modules:
        source = _owner(module)
        if source is None:
            continue
        for imported in graph.find_modules_directly_imported_by(module):
            target = _owner(imported)
            if target is not None and target != source:
                edges.add((source, target))
    return sorted(edges, key=lambda edge: (BOXES.index(edge[0]), BOXES.index(edge[1])))


def mermaid() -> str:
    ids = {box: box.replace(".", "_") for box in BOXES}
    lines = [BEGIN, "flowchart TD"]
    lines += [f'    {ids[box]}["{box}"]' for box in BOXES]
    lines += [f"    {ids[a]} --> {ids[b]}" for a, b in package_edges()]
    lines.append(END)
    return "\n".join(lines)


def _layer_rank(box: str) -> int:
    """Position of ``box``'s layer in the import-linter layers contract (0 = top)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contract = next(c for c in config["tool"]["importlinter"]["contracts"] if c["id"] == "layers")
    for position, layer in enumerate(contract["layers"]):
        if any(
            box == name.strip() or box.startswith(name.strip() + ".") for name in layer.split("|")
        ):
            return position
    raise LookupError(box)


def test_the_drawing_matches_the_code() -> None:
    text = DOC.read_text(encoding="utf-8")
    drawn = text[text.index(BEGIN) : text.index(END, text.index(BEGIN) + len(BEGIN)) + len(END)]
    assert drawn == mermaid(), "imports changed: run `make architecture` and commit the drawing"


def test_every_arrow_points_down_the_layers() -> None:
    # The boxes are drawn top to bottom in the order of import-linter's layers ...
    ranks = [_layer_rank(box) for box in BOXES]
    assert ranks == sorted(ranks)
    # ... and every arrow goes from a box to one drawn below it (voc.triage sits above voc).
    upward = [(a, b) for a, b in package_edges() if BOXES.index(a) > BOXES.index(b)]
    assert upward == []


def _write() -> None:
    text = DOC.read_text(encoding="utf-8")
    start = text.index(BEGIN)
    end = text.index(END, start + len(BEGIN)) + len(END)
    DOC.write_text(text[:start] + mermaid() + text[end:], encoding="utf-8")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    _write()
