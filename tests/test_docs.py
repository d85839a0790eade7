"""The documentation's links: every relative link and image of README.md and docs/*.md
points at a file of the repository (and, for a Markdown page, at a heading it has), and
nothing cites a document that is not part of the repository.

The examples in these files are doctests collected by ``python -m pytest`` itself
(``--doctest-glob=*.md`` in pyproject.toml); the ``$ fastlstm ...`` output is checked by
tests/cli/test_cli.py.
"""

import pathlib
import re
import urllib.parse

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

FENCE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.S | re.M)
CODE_SPAN = re.compile(r"(`+).+?\1", re.S)
# [text](target) and ![alt](target); the target may be <wrapped> and followed by a "title".
INLINE = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+[\"'(].*?)?\s*\)")
# [label]: target
REFERENCE = re.compile(r"^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)", re.M)
EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//)", re.I)   # http:, https:, mailto:, ...


def prose(text):
    """The Markdown outside fenced code blocks and code spans (links there are not links)."""
    return CODE_SPAN.sub("", FENCE.sub("", text))


def links(text):
    """Every link and image target of a Markdown text, in order."""
    body = prose(text)
    targets = [m.group(1) for m in INLINE.finditer(body)]
    targets += [m.group(1) for m in REFERENCE.finditer(body)]
    return [t[1:-1] if t.startswith("<") else t for t in targets]


def slug(heading):
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to '-'."""
    text = re.sub(r"[`*_]|<[^>]*>", "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path):
    return {slug(m.group(1)) for m in re.finditer(r"^#{1,6}[ \t]+(.+?)[ \t#]*$",
                                                  FENCE.sub("", path.read_text()), re.M)}


def resolve(doc, target):
    """(file, anchor) a relative link of ``doc`` points at; file None for a same-page anchor."""
    path, _, anchor = target.partition("#")
    if not path:
        return None, anchor
    path = urllib.parse.unquote(path.split("?")[0])
    base = ROOT if path.startswith("/") else doc.parent
    return (base / path.lstrip("/")).resolve(), anchor


def test_the_pages_exist():
    names = [d.relative_to(ROOT).as_posix() for d in DOCS]
    assert "README.md" in names and "docs/semantics.md" in names


def test_links_are_found():
    text = ("see [a](x.md), ![b](img/p.png \"title\"), [c](<my file.md#part>), "
            "[d](https://e.org), `[e](in/code.md)`\n\n```\n[f](in/fence.md)\n```\n[g]: ref.md\n")
    assert links(text) == ["x.md", "img/p.png", "my file.md#part", "https://e.org", "ref.md"]
    assert slug("## `fastlstm run`: the worked example, step by step"[3:]) == \
        "fastlstm-run-the-worked-example-step-by-step"


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d.relative_to(ROOT).as_posix())
def test_relative_links_and_images_resolve(doc):
    broken = []
    for target in links(doc.read_text()):
        if EXTERNAL.match(target):
            continue
        path, anchor = resolve(doc, target)
        if path is None:
            continue                              # "#anchor" on the same page
        if not path.exists():
            broken.append(f"{target}: no file {path}")
        elif not path.is_relative_to(ROOT):
            broken.append(f"{target}: outside the repository")
        elif anchor and path.suffix == ".md" and anchor not in anchors(path):
            broken.append(f"{target}: {path.name} has no heading #{anchor}")
    assert not broken, f"{doc.name}: broken links:\n" + "\n".join(broken)


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d.relative_to(ROOT).as_posix())
def test_same_page_anchors_resolve(doc):
    missing = [t for t in links(doc.read_text())
               if t.startswith("#") and t[1:] not in anchors(doc)]
    assert not missing, f"{doc.name}: no heading for {missing}"


def test_nothing_cites_a_document_outside_the_repository():
    # The design notes the project grew from are not part of the repository: what users need
    # of them is in docs/semantics.md, so nothing may point there.
    outside = ["DESIGN" + ".md", "../" + "shared/"]
    files = [ROOT / "README.md", ROOT / "pyproject.toml",
             *(p for folder in ("docs", "fastlstm", "symbolic", "tests", "bench", ".ci")
               for p in sorted((ROOT / folder).rglob("*"))
               if p.is_file() and p.suffix in {".py", ".md", ".toml", ".txt", ""}
               and "__pycache__" not in p.parts)]
    citing = [f"{p.relative_to(ROOT)}: {word}" for p in files if p.exists()
              for word in outside if word in p.read_text(errors="replace")]
    assert not citing, "cites a file outside the repository:\n" + "\n".join(citing)


def test_every_benchmark_section_names_its_host():
    # Timings and ratios depend on the machine: every section of docs/bench.md with a table
    # says on which host it was measured, and every "Measured <date>" line (bench/report.py's
    # header) is followed by its "Host:" line.
    text = (ROOT / "docs" / "bench.md").read_text()
    sections = re.split(r"^## ", FENCE.sub("", text), flags=re.M)[1:]
    tables = [s for s in sections if re.search(r"^\|.*\|[ \t]*$", s, re.M)]
    assert len(tables) >= 5
    hostless = [s.splitlines()[0] for s in tables if not re.search(r"^Host: \S", s, re.M)]
    assert not hostless, f"sections without a Host: line: {hostless}"
    measured = re.findall(r"^Measured \d{4}-\d\d-\d\d.*\n(.*)", text, re.M)
    assert measured and all(line.startswith("Host: ") for line in measured), measured
