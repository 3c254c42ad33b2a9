"""Untrusted text is inert: in Markdown (no mentions, links, bidi) and in logs (no `::` commands)."""

from __future__ import annotations

import html.entities
import json
import os
import random
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import click
import pytest
from markdown_it import MarkdownIt  # the test extra's CommonMark renderer

from tests.gh_helpers import PR, REPO
from tests.github_server import GitHubServer
from tests.gitrepo import make_repo, write_files
from tests.test_comment_trust import invoke, ours, run_env
from toolkit import inert, markdown
from toolkit.errors import ToolkitError

HOSTILE = "@octocat cc @org/team see https://evil.example www.evil.example \u202egnp.exe\x1b[2J\x07"


def test_markdown_escape_neutralises_mentions_links_and_bidi() -> None:
    out = markdown.escape(HOSTILE)
    assert not re.search(r"(?<![\w`])@[A-Za-z0-9]", out)  # no @mention GitHub would link
    assert "https://" not in out and "www.evil" not in out
    assert "\u202e" not in out and "\x1b" not in out and "\x07" not in out
    assert "octocat" in out and "evil.example" in out  # still readable


def test_code_spans_drop_controls_and_bidi() -> None:
    out = markdown.code("loss\u202e\u2066x\x1b")
    assert out.startswith("`") and "\u202e" not in out and "\u2066" not in out and "\x1b" not in out


def test_terminal_text_cannot_start_a_workflow_command() -> None:
    text = inert.terminal("ok\n::error title=x::pwned\n  ::add-mask::x\n##[error]old style\n\x1b[31m")
    for line in text.split("\n"):
        assert not line.lstrip().startswith(("::", "##[")), line
    assert "\\x1b" in text


def test_a_toolkit_error_message_is_inert_when_shown(capsys: pytest.CaptureFixture[str]) -> None:
    exc = ToolkitError("bad path eval/a\n::error title=t::forged\u202e")
    exc.show()
    err = capsys.readouterr().err
    assert "\n::error" not in err and "\u202e" not in err
    assert isinstance(exc, click.ClickException)


def _lines_starting_commands(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.lstrip().startswith(("::", "##["))]


def test_paths_and_names_from_the_pr_cannot_forge_log_commands(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "r",
        {
            "dvc.yaml": 'metrics:\n  - "eval/a\\n::error title=Gate::forged.json"\n  - eval/m.json\n',
            "eval/m.json": json.dumps({HOSTILE: 1, "@octocat https://evil.example": 9}),
            # A failing gate puts the metric's name in prose (the reason line), not a code span.
            "toolkit.yaml": 'gates:\n  - metric: "@octocat https://evil.example"\n    min: 5\n',
        },
    )
    write_files(
        repo,
        {"eval/m.json": json.dumps({HOSTILE + "\n::warning::x": 2, "@octocat https://evil.example": 1})},
    )
    env = {**os.environ, "GITHUB_ACTIONS": "true"}
    for args in (["diff"], ["diff", "--md"], ["report"], ["gates"]):
        done = subprocess.run(
            [sys.executable, "-m", "toolkit", *args], cwd=repo, env=env, capture_output=True, text=True
        )
        assert "Traceback" not in done.stderr, done.stderr
        forged = [x for x in _lines_starting_commands(done.stdout + "\n" + done.stderr)
                  if not x.startswith(("::group::", "::endgroup::"))]
        assert forged == [], (args, forged)
        assert "\u202e" not in done.stdout + done.stderr and "\x1b" not in done.stdout + done.stderr
        if args == ["report"]:
            # Inside code spans GitHub links nothing; everywhere else nothing may link.
            prose = re.sub(r"(`+).*?\1", "", done.stdout)
            assert "@octocat" not in prose and "https://evil" not in prose
            assert "\ufffd" in done.stdout  # the bidi and escape characters, replaced
            assert "octocat" in prose and "evil.example" in prose  # the gate's reason, inert
            assert live(done.stdout) == []
        if args in (["diff"], ["gates"]):  # a log: GitHub renders no mention there, nothing is added
            log = done.stdout + done.stderr
            assert "@octocat" in log and "@" + inert.ZWSP not in log and "https://evil" in log


# --- Markdown as GitHub renders it ------------------------------------------------------------
#
# The oracle: a CommonMark renderer (markdown-it-py, with GFM tables and strikethrough) and an
# HTML5 parser (html.parser, whose character references follow HTML5: `&#64` without `;` is `@`).
# Text outside <code>/<pre> is read as one run per block, so markup between `@` and a name, which
# GitHub's sanitiser may unwrap, hides nothing. What would mention, reference or link is stricter
# than github/html-pipeline's filters (any `@` before an ASCII letter or digit, whatever precedes
# it): break more, never less.

_GFM = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
MENTION = re.compile(r"[@\uff20][A-Za-z0-9]")
REFERENCE = re.compile(r"[#\uff03][0-9]|(?i:gh)-[0-9]|(?i:/(?:issues|pulls?|discussions))/[0-9]")
ISSUE_URL = re.compile(r"(?i:/(?:issues|pulls?|discussions))/[0-9]")
LINK = re.compile(r"(?i)[a-z][a-z0-9+.-]*://|(?i:www)\.")
_BLOCK = {"p", "li", "td", "th", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "div", "br",
          "summary", "details", "table", "ul", "ol", "hr"}


class _Rendered(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []  # outside code: what GitHub's filters read
        self.code: list[str] = []  # each <code> element's text
        self.urls: list[str] = []
        self.anchors = 0
        self._code_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("code", "pre"):
            self._code_depth += 1
            if tag == "code":
                self.code.append("")
        if tag in _BLOCK:
            self.text.append("\n")
        self.anchors += tag == "a"
        self.urls += [v or "" for k, v in attrs if k in ("href", "src", "cite", "action")]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("code", "pre"):
            self._code_depth = max(0, self._code_depth - 1)
        if tag in _BLOCK:
            self.text.append("\n")

    def handle_data(self, data: str) -> None:
        if self._code_depth:
            if self.code:
                self.code[-1] += data
        else:
            self.text.append(data)


def rendered(markdown: str) -> _Rendered:
    parser = _Rendered()
    parser.feed(_GFM.render(markdown))
    parser.close()
    return parser


def live(markdown: str, *, links: bool = False) -> list[str]:
    """What would notify, reference an issue (or, with links, become a link) once GitHub renders it."""
    page = rendered(markdown)
    text = "".join(page.text)
    found = [m.group() for m in MENTION.finditer(text)] + [m.group() for m in REFERENCE.finditer(text)]
    found += [u for u in page.urls if ISSUE_URL.search(unquote(u))]  # `#12` in a URL is a fragment
    if links:
        found += [m.group() for m in LINK.finditer(text)] + ["<a>"] * page.anchors
    return found


def test_the_oracle_sees_what_github_would_link() -> None:
    """The checks below mean something: each raw form is live, and the oracle ignores code."""
    for raw in ["@o", "_@o_", "ж@o", "&#64;o", "&commat;o", "`@o", "#1", "o/r#12", "GH-12", "&#35;1",
                "[x](https://github.com/o/r/issues/1)", "<https://github.com/o/r/pull/1>",
                "<div>\n&#64o\n</div>", "<div>\n\\&#64;o\n</div>"]:
        assert live(raw), raw
    assert live("www.x.com", links=True) and live("https://x", links=True)
    assert not live("`@o #1` and\n\n```\n@o #1\n```\n\n    @o #1\n")


AT = (
    ["@", "\\@", "%40", "\uff20", "&commat;"]
    + [f"&#{'0' * z}64{s}" for z in range(9) for s in ("", ";")]
    + [f"&#{x}{'0' * z}40{s}" for x in "xX" for z in range(7) for s in ("", ";")]
)
HASH = (
    ["#", "\\#", "%23", "\uff03", "&num;"]
    + [f"&#{'0' * z}35{s}" for z in range(9) for s in ("", ";")]
    + [f"&#{x}{'0' * z}23{s}" for x in "xX" for z in range(7) for s in ("", ";")]
)
# What can stand before `@`/`#`: nothing, space, each ASCII punctuation character, ASCII and
# non-ASCII letters and digits of many scripts (GitHub's filters see an ASCII word boundary
# before a non-ASCII letter), marks, joiners, wide and odd spaces, an emoji.
BEFORE = (
    ["", " ", "\n", "\t", "a", "Z", "9", "\u00a0", "\u3000", "\u200d", "\u0301", "\U0001f600"]
    + [chr(c) for c in range(0x21, 0x7F) if not chr(c).isalnum()]
    + list("жЖ中éßǅΩاकア한אαٍ٣५５ⅷ")
)
NAMES = ["owner", "o", "0", "owner-x", "org/team", "&#111;wner", "\\_owner"]
NUMBERS = ["12", "1", "&#49;2", "&#x31;2", "\uff11"]


def _character_references(char: str) -> set[str]:
    """Every entity spelling of `char` HTML5 knows by name (e.g. `&commat;` for `@`)."""
    return {f"&{name}" for name, value in html.entities.html5.items() if value == char}


def test_every_named_entity_for_at_and_hash_is_covered() -> None:
    at, hash_ = _character_references("@"), _character_references("#")
    assert "&commat;" in at and at <= set(AT)
    assert "&num;" in hash_ and hash_ <= set(HASH)


def mention_payloads(*, every: bool = True) -> list[str]:
    """Each spelling of `@` after each character class (all pairs, or each class once)."""
    pairs = [(b, a) for b in BEFORE for a in AT] if every else [(b, "@") for b in BEFORE]
    pairs += [] if every else [("", a) for a in AT]
    out = [f"{b}{at}owner" for b, at in pairs]
    out += [f"{b}@{name}" for b in (BEFORE if every else [" ", "_", "ж"]) for name in NAMES]
    emphasis = ("_", "*", "~~")
    out += [f"{b}{name}{after}" for b in emphasis for name in ("@owner", "&#64;owner") for after in (b, "")]
    return out


def reference_payloads(*, every: bool = True) -> list[str]:
    """Each spelling of `#12`, `GH-12`, `owner/repo#12` and issue URLs."""
    pairs = [(b, h) for b in BEFORE for h in HASH] if every else [(b, "#") for b in BEFORE]
    pairs += [] if every else [("", h) for h in HASH]
    numbers = NUMBERS if every else NUMBERS[:1]
    out = [f"{b}{h}12" for b, h in pairs]
    out += [f"#{n}" for n in NUMBERS]
    gh = ("GH", "gh", "Gh", "G&#72;", "&#71;H", "G<b></b>H")
    out += [f"{g}{h}{n}" for g in gh for h in ("-", "\\-", "&#45;", "%2D") for n in numbers]
    out += [f"o/r{h}12" for h in HASH]
    for host in ("https://github.com", "http://github.com", "https://ghe.example", "", "github.com"):
        for kind in ("issues", "pull", "pulls", "discussions", "Issues", "PULL"):
            out += [f"{host}/o/r/{kind}/{n}" for n in numbers]
            out += [f"{host}/o/r/{kind}&#47;1", f"{host}/o/r/{kind}%2F1", f"{host}/o/r/{kind}\\/1"]
    return out


def _culprits(
    payloads: list[str], document: Callable[[list[str]], str], links: bool
) -> list[tuple[str, list[str]]]:
    """The payloads whose document would link, checked in batches (one render each), then one by one."""
    out = []
    for i in range(0, len(payloads), 400):
        batch = payloads[i : i + 400]
        if live(document(batch), links=links):
            out += [(p, bad) for p in batch if (bad := live(document([p]), links=links))]
    return out


def test_markdown_escape_leaves_no_mention_reference_or_link_in_any_context() -> None:
    """Every payload class, through `markdown.escape`, in prose, tables, lists, quotes, headings, HTML."""
    contexts = ["{}", "x {} y", "# {}", "- {}", "> {}", "**{}**", "_{}_", "~~{}~~", "<sub>{}</sub>",
                "<details><summary>{}</summary>\n\n{}\n\n</details>"]
    links = ["https://evil.example", "www.evil.example", "HTTPS&#58;//evil.example", "https\\://x", "<https://x>",
             "[x](https://github.com/o/r/issues/1)", "mailto:a@b.example", "WWW&#46;evil.example"]
    every = mention_payloads() + reference_payloads() + links  # all pairs, in a table (as reports have)
    payloads = mention_payloads(every=False) + reference_payloads(every=False) + links
    failures: list[tuple[str, str, list[str]]] = []
    for context in contexts:
        def document(batch: list[str], context: str = context) -> str:
            return "\n\n".join(context.replace("{}", markdown.escape(p)) for p in batch)

        failures += [(p, context, bad) for p, bad in _culprits(payloads, document, links=True)]

    def table(batch: list[str]) -> str:
        rows = [[markdown.escape(p), markdown.code(p) + markdown.escape(p)] for p in batch]
        return markdown.table(["a", "b"], rows)

    failures += [(p, "table", bad) for p, bad in _culprits(every, table, links=True)]
    assert failures == [], failures[:20]


DOCUMENT_CONTEXTS = [
    "{}", "x {} y", "_{}_", "*{}*", "**{}**", "~~{}~~", "# {}", "- {}", "1. {}", "> {}", "> - {}",
    "| {} | b |\n| --- | --- |\n| c | {} |",
    "| `x | {} ` | b |\n| --- | --- |\n| `y | {} ` | z |",  # a pipe ends the cell: no code span
    "`{}", "{}`", "`a` `{}", "`` {} `", "``` {}", "\\` {} `", "\\\\` {} `",
    "[{}](https://example.invalid)", "[x](/u \"`\") {} `y`", "[x][`] {} `\n\n[`]: /u",
    "[x]: /u \"`\"\n {} `", "`foo\n` {} `x`", "<a title=\"\n`\"> {} `", "https://x.invalid/` {} `y`",
    "www.x.invalid/` {} `y`", "$`$ {} `x`", "x <b>`</b> {} `",
    "<div>\n{}\n</div>", "<div>\n` {} `\n</div>", "<details><summary>{}</summary>\n\n`{}`\n\n</details>",
    "<!--\n\n-->` {} `", "<!--\n\n` {} `\n\n-->", "<textarea>\n\n` {} `\n\n</textarea>",
    "<pre>\n\n` {} `\n\n</pre>", "<![CDATA[\n\n` {} `\n\n]]>", "<?x\n\n` {} `\n\n?>",
    "> <div>\n> ` {} `", "- <div>\n\n  ` {} `",
    "~~~\n{}\n~~~", "```\n{}\n```\n` {} `", "```\n{}", " ~~~\n```\n\n~~~\n` {} `",
    "- a\n  ```\n  b\n` {} `\n  ```", "- ```\n  x\n  ```\n  ` {} `", "> ```\n> x\n> ```\n` {} `",
    "````\n```\n````\n` {} `", "```\n\n```x\n` {} `\n```",
    "    indented\n` {} `", "a\n```\n{}\n```",
]


def test_markdown_document_leaves_no_mention_or_reference_in_any_context() -> None:
    """Hostile documents (the comment body is one): payloads × Markdown constructs GitHub parses."""
    payloads = (
        mention_payloads(every=False)
        + reference_payloads(every=False)
        + ["[x](https://github.com/o/r/issues/1)", "<https://github.com/o/r/pull/1>",
           "<a href=\"https://github.com/o/r/issues/&#49;\">x</a>", "[x](https://github.com/o/r/issues/%31)"]
    )
    failures = []
    for payload in payloads:
        for context in DOCUMENT_CONTEXTS:
            doc = context.replace("{}", payload)
            if bad := live(inert.markdown_document(doc)):
                failures.append((payload, context, bad))
    assert failures == [], failures[:20]


def test_code_that_surely_renders_as_code_is_kept_as_written() -> None:
    """Balanced code spans (prose, tables) and closed fences keep `@`, `#12` as typed: copyable."""
    names = ["@octocat", "o/r#12", "GH-12", "a@b#1", "`x`@y", "|@z|", "&#64;q", "model@v1.2.0", "m#prod#3"]
    for name in names:
        span = markdown.code(name)
        docs = [
            f"Trained by {span} and {span}.",
            markdown.table(["Metric", "Tag"], [[span, span], [markdown.escape(name), span]]),
            f"## Report\n\n> [!NOTE]\n> x\n\n- {span} at {span}: {markdown.escape(name)}",
            f"#### {markdown.escape(name)}\n\n```mermaid\ntitle \"{name}\"\n```\n\n{span}",
        ]
        for doc in docs:
            out = inert.markdown_document(doc)
            assert live(out) == [], (name, out)
            before, after = rendered(doc).code, rendered(out).code
            assert after == before and all(inert.ZWSP not in c for c in after), (doc, out)
        fenced = f"x\n\n```text\n{name} #1 @o\n```\n\ny"
        assert inert.markdown_document(fenced) == fenced


def test_code_spans_render_exactly_their_text() -> None:
    """`markdown.code` is one balanced span whatever the text (runs of backticks, pipes, empty)."""
    texts = ["", " ", "`", "``", "a`b", "a``b", "`a", "a`", "` a `", "|", "a|b", "@x", "  ", "x\ny", "#1 \\`"]
    for text in texts:
        shown = text.replace("\n", " ") or " "
        prose = rendered(f"a {markdown.code(text)} b {markdown.code('@z`')} c")
        assert prose.code[0].replace("\\|", "|") == shown and prose.code[1] == "@z`", (text, prose.code)
        cell = rendered(markdown.table(["h", "i"], [[markdown.code(text), markdown.code("@z")]]))
        assert cell.code == [shown, "@z"], (text, cell.code)
        assert "`" not in "".join(prose.text + cell.text), text


def test_neutralising_is_idempotent_and_readable() -> None:
    samples = [*mention_payloads(every=False), *reference_payloads(every=False), *DOCUMENT_CONTEXTS]
    for s in samples:
        once = inert.markdown_document(s)
        assert inert.markdown_document(once) == once
        assert once.replace(inert.ZWSP, "") == s  # only invisible characters were added
        text = inert.markdown_text(s)
        assert inert.markdown_text(text) == text and text.replace(inert.ZWSP, "") == inert.no_controls(s)


def test_plain_words_and_headings_are_left_alone() -> None:
    text = "## Metrics\n\nNo metric changed; see `toolkit diff --all`. user@ host, C# and 100 % done.\n"
    assert inert.markdown_document(text) == text
    assert inert.markdown_text("loss 0.25 (-3.1 %), rmse") == "loss 0.25 (-3.1 %), rmse"


def test_terminal_output_gets_no_zero_width_spaces() -> None:
    """Logs are not rendered by GitHub: nothing there would mention anyone, so nothing is added."""
    assert inert.terminal("@octocat fixed #12, see GH-3 and https://github.com/o/r/issues/4") == (
        "@octocat fixed #12, see GH-3 and https://github.com/o/r/issues/4"
    )


# --- every place PR-controlled text reaches Markdown -------------------------------------------

NAMES_FROM_THE_PR = [
    "@octocat", "_@octocat_", "ж@octocat", "中@octocat", "&#64;octocat", "&commat;octocat", "`@octocat",
    "#12", "o/r#12", "GH-12", "&#35;12", "https://github.com/o/r/issues/12", "x <b>@o</b>", "a\\@b\\#1",
]


def test_the_report_mentions_and_references_nothing_before_or_after_the_comment_check() -> None:
    from tests.report_fixtures import comparison
    from toolkit.config import Config, GateSpec, ReportOptions
    from toolkit.gates import evaluate
    from toolkit.report import render
    from toolkit.results import Problem, Revision

    comp = comparison(
        {f"eval/{n}.json::{n}": (1.0, 2.0) for n in NAMES_FROM_THE_PR},
        {f"params.yaml::{n}": (n, n + "!") for n in NAMES_FROM_THE_PR},
        problems=[Problem(f"eval/{n}", n, "missing", f"cannot read {n}", n) for n in NAMES_FROM_THE_PR],
        base=Revision("@octocat#1", "3" * 40),
        head=Revision("GH-7", "4" * 40),
    )
    specs = [GateSpec({"metric": n, "min": 5}, 2 + i) for i, n in enumerate(NAMES_FROM_THE_PR)]
    gates = evaluate(Config(path=None, gates=tuple(specs)), comp)
    text = render(comp, gates, options=ReportOptions(), uncommitted=NAMES_FROM_THE_PR)
    assert live(text) == []  # every name is inert where the report puts it (job summary, artifact)
    posted = inert.markdown_document(text)
    assert live(posted) == []
    # Names in table code spans are shown as typed (GitHub links nothing inside code).
    assert "@octocat" in rendered(posted).code and "o/r#12" in rendered(posted).code


def test_the_model_card_and_release_body_mention_and_reference_nothing() -> None:
    from toolkit.registry import card, tags
    from toolkit.registry.artifacts import Declared
    from toolkit.registry.refs import Event
    from toolkit.registry.state import Artifact, Version

    sha = "5" * 40
    events = [
        Event(tag=f"churn@v1.{i}.0", name=tags.TagName("churn", "register", version="v1.0.0"), commit=sha,
              time=i, timestamp=n, author=n, author_email="a@b.example", message=f"fixes {n}\n{n}",
              rank=i)
        for i, n in enumerate(NAMES_FROM_THE_PR)
    ]
    version = Version("churn", "v1.0.0", sha, direct=events[:1])
    declared = Declared("churn", "models/model.pkl", "dvc.yaml", type="@octocat #1",
                        desc=" ".join(NAMES_FROM_THE_PR), labels=tuple(NAMES_FROM_THE_PR))
    deps = [card.DataVersion(f"data/{n}", "GH-1", 3) for n in NAMES_FROM_THE_PR]
    lineage = card.Lineage("train @octocat #3", deps, "0" * 32)
    body = card.render(
        artifact=Artifact("churn", {"v1.0.0": version}, events), version=version, declared=declared,
        line=lineage, metrics={n: {n: n} for n in NAMES_FROM_THE_PR}, params={"params.yaml": {"C": "#9"}},
    )
    assert live(body) == []
    assert "train @octocat #3" in rendered(body).code  # the stage, as inline code: kept as typed


def test_the_monitoring_issue_mentions_and_references_nothing() -> None:
    import pandas as pd

    from toolkit.config import DriftOptions
    from toolkit.monitor import drift, render
    from toolkit.monitor.production import Production
    from toolkit.monitor.sources import Source

    columns = {n: [float(i % 7) for i in range(60)] for n in NAMES_FROM_THE_PR}
    moved = {n: [float(i % 7) + 9 for i in range(60)] for n in NAMES_FROM_THE_PR}
    result = drift.compare_frames(
        pd.DataFrame(columns), pd.DataFrame(moved), Source("@octocat.csv", "@octocat.csv"),
        Source("#12.csv", "#12.csv"), DriftOptions(),
    )
    assert result.dataset_drift
    report = render.monitor_markdown(
        render.MonitorResult(Production("churn#prod#3", "6" * 40, "churn"), result, prediction_note="#4 @o")
    )
    assert live(report) == [] and live(render.markdown(result)) == []


@pytest.fixture
def github() -> Iterator[GitHubServer]:
    with GitHubServer() as gh:
        gh.add_pr(REPO, PR)
        yield gh


def test_the_posted_comment_mentions_and_references_nobody(
    github: GitHubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The body comes from the PR's job: every construct of the classes above, checked as posted."""
    monkeypatch.chdir(tmp_path)
    payloads = ["@octocat", "&#64;octocat", "ж@octocat", "#12", "GH-12", "https://github.com/o/r/issues/12"]
    hostile = "\n\n".join(c.replace("{}", p) for c in DOCUMENT_CONTEXTS for p in payloads)
    body = tmp_path / "report.md"
    body.write_text(f"## Report\n\n| Metric |\n| --- |\n| `@octocat#1` |\n\n{hostile}\n", encoding="utf-8")
    env = run_env(github, tmp_path, "workflow_run.same-repo.json")
    result = invoke(["comment", "--body-file", str(body)], env)
    assert result.exit_code == 0, result.output
    (posted,) = ours(github)
    assert live(posted) == []
    assert "@octocat#1" in rendered(posted).code  # a code span in a table: as typed (the first is the
    # trusted verdict line's commit)


FRAGMENTS = [
    "`", "``", "```", "~~~", "\n", "\n\n", "\r", " ", "\t", "    ", "> ", "- ", "1. ", "---", "| --- |", "|",
    "\\", "*", "**", "_", "~~", "$", "&", ";", "%", "<", ">", "\"", "[x]", "](", "![", "<div>", "<!--", "-->",
    "<pre>", "<b>", "</b>", "<a title=\"", "\">", "<https://", "http://x/", "www.x", "mailto:", "&amp;", "x",
    "o", "ж", "0", "4", "12", "GH", "-", "/issues/", "/pull/", "github.com/o/r", *AT, *HASH,
]


def test_random_documents_of_markdown_fragments_mention_and_reference_nothing() -> None:
    """Seeded random mixes of the syntax above, through both neutralisers: inert, settled, readable."""
    rng = random.Random(21)
    for _ in range(1000):
        doc = "".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(3, 30)))
        out = inert.markdown_document(doc)
        assert live(out) == [], (doc, out)
        assert inert.markdown_document(out) == out and out.replace(inert.ZWSP, "") == doc
        leaf = markdown.escape(doc)
        table = markdown.table(["a", "b"], [[leaf, markdown.code(doc)]])
        assert live(f"x {leaf}\n\n{table}\n\n<sub>{leaf}</sub>", links=True) == [], doc
