"""The laro-kb command line. Each command loads the kb, calls one library method and renders the result.

Errors from the library (bad case files, broken knowledge bases) are turned into one-line
messages and exit status 2 here, once, in :class:`_Group.invoke`.
"""

from __future__ import annotations

import json
import sys

import click

from .. import __version__
from ..errors import LaroError
from ..knowledgebase import FORMATS
from ..render.decision import decision_json, decision_text, pathways_json, pathways_text
from .options import ENGINE_OPTION, KB_OPTION, load


class _Group(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except LaroError as exc:
            for line in str(exc).splitlines():  # every problem of a case, one per line
                click.echo(f"laro-kb: error: {line}", err=True)
            ctx.exit(2)


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="laro-kb")
def main():
    """Decide larotrectinib (Vitrakvi) coverage from the policy's Datalog knowledge base."""


LETTER_HELP = "letter: the determination notice for the member and prescriber (Markdown; letter-html: as HTML)"


@main.command()
@click.argument("case", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the decision as JSON (docs/decision-format.md); the same "
                                                      "as --format json.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "letter", "letter-html"]), default="text",
              show_default=True, help=f"text, JSON (docs/decision-format.md), or a {LETTER_HELP}.")
@KB_OPTION
@ENGINE_OPTION
def decide(case, as_json, fmt, kb_dir, engine):
    """Approve, pend or deny a patient case file, with the pathways behind the decision.

    Example: laro-kb decide examples/nsclc-first-line.json --format letter
    """
    kb = load(kb_dir, engine)
    d = kb.decide(kb.read_case(case))
    fmt = "json" if as_json else fmt
    click.echo(decision_json(d) if fmt == "json" else decision_text(d) if fmt == "text" else d.why(format=fmt))


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the pathways as JSON.")
@click.option("--section", default=None, help="Only the pathways of this section (for example nsclc).")
@KB_OPTION
def pathways(as_json, section, kb_dir):
    """List every approving pathway: id, section, policy text and source.

    Example: laro-kb pathways --section nsclc
    """
    kb = load(kb_dir)
    chosen = [p for p in kb.pathways.values() if section is None or p.section == section]
    if section is not None and not chosen:
        from ..case.suggest import nearest
        from ..errors import KBError
        raise KBError(f"no section {section!r}", suggestion=nearest(section, {p.section for p in kb.pathways.values()}))
    click.echo(pathways_json(chosen) if as_json else pathways_text(chosen))


FORMAT_OPTION = click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
                             help=f"text tree, Markdown worksheet, JSON (docs/explanations.md), or a {LETTER_HELP}.")
DEPTH_OPTION = click.option("--depth", type=click.IntRange(1, 12), default=3, show_default=True,
                            help="1 pathways, 2 criteria, 3 parts of criteria, 4+ the kb rules that derived them.")


@main.command()
@click.argument("case", type=click.Path(dir_okay=False))
@click.option("--pathway", "pathway_ids", multiple=True, help="Explain only this pathway (repeatable).")
@FORMAT_OPTION
@DEPTH_OPTION
@KB_OPTION
@ENGINE_OPTION
def why(case, pathway_ids, fmt, depth, kb_dir, engine):
    """Explain a decision: every candidate pathway, each criterion met, not met or unknown, with citations.

    The explanation is pyDatalog's derivation trace; it is checked against the decision of --engine.
    Example: laro-kb why examples/nsclc-missing-ntrk.json --format letter
    """
    kb = load(kb_dir, engine)
    click.echo(kb.text(kb.explain(kb.read_case(case), list(pathway_ids) or None), depth, fmt))


@main.command()
@click.argument("case", type=click.Path(dir_okay=False))
@click.argument("pathway")
@FORMAT_OPTION
@DEPTH_OPTION
@KB_OPTION
@ENGINE_OPTION
def whynot(case, pathway, fmt, depth, kb_dir, engine):
    """Explain one pathway for a case: what is met, what is not, and the smallest change that would approve it.

    Example: laro-kb whynot examples/nsclc-first-line.json nsclc.3b
    """
    kb = load(kb_dir, engine)
    click.echo(kb.text(kb.explain(kb.read_case(case), [pathway]), depth, fmt))


@main.command()
@click.argument("case", type=click.Path(dir_okay=False), required=False)
@KB_OPTION
def repl(case, kb_dir):
    """A reviewer's shell: load a case, set and unset facts, decide, why, whynot, whatif.

    Example: laro-kb repl examples/nsclc-missing-ntrk.json
    """
    from .repl import run
    kb = load(kb_dir)
    run(kb, kb.read_case(case) if case else None)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@KB_OPTION
def check(as_json, kb_dir):
    """Check a knowledge base: Datalog only, defined predicates, safe rules, vocabulary, citations, live pathways.

    Exit status 1 when there are errors. Example: laro-kb check --kb drafts/kb
    """
    from ..author.check import run_check
    from ..knowledge.files import default_kb_dir
    report = run_check(kb_dir or default_kb_dir())
    if as_json:
        click.echo(json.dumps({"kb": report.directory, "pathways": report.pathways, "statements": report.statements,
                               "counts": {s: report.count(s) for s in ("error", "warning", "info")},
                               "findings": [f.to_dict() for f in report.findings]}, indent=2))
    else:
        click.echo(f"laro-kb check: {report.directory} ({report.pathways} pathways, {report.statements} statements)")
        for f in report.findings:
            click.echo(str(f))
        click.echo(f"{report.count('error')} errors, {report.count('warning')} warnings, {report.count('info')} info")
    sys.exit(0 if report.ok else 1)


@main.command()
@click.argument("pathway")
@click.option("--near-miss", is_flag=True, help="Also a case per criterion that misses by that criterion alone, "
                                                "as a test file (YAML) ready to keep under tests/cases/.")
@KB_OPTION
def witness(pathway, near_miss, kb_dir):
    """Print a minimal case that PATHWAY approves (JSON), or with --near-miss a test file of MC/DC pairs (YAML).

    Example: laro-kb witness nsclc.3b --near-miss > tests/cases/nsclc-3b-pairs.yaml
    """
    from ..errors import KBError
    from ..explain.witness import near_misses
    from ..explain.witness import witness as find
    kb = load(kb_dir)
    w = find(kb, pathway)
    if w.case is None:
        raise KBError(f"pathway {pathway} has no witness: its criteria {', '.join(w.conflict)} conflict "
                      "(run laro-kb check)")
    if not near_miss:
        click.echo(json.dumps(w.case.as_dict(), indent=2))
        return
    click.echo(witness_tests_yaml(kb, pathway, w, near_misses(kb, pathway, w)), nl=False)


@main.command(name="diff")
@click.argument("old_kb", type=click.Path(file_okay=False))
@click.argument("new_kb", type=click.Path(file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the changes as JSON.")
@ENGINE_OPTION
def diff_command(old_kb, new_kb, as_json, engine):
    """The decisions that change between two versions of the knowledge base, grouped by pathway.

    "No change" only when proved (the same statements, modulo order, repeats and comments); otherwise what differs,
    whether the decisions are proved unchanged, or the decisions that change with example patients, or how many
    patients were compared. Exit status 0 when nothing changes, 1 otherwise. Example: laro-kb diff kb drafts/kb
    """
    from ..author.diff import diff, exit_status, report_json, report_text
    report = diff(load(old_kb, engine), load(new_kb, engine))
    click.echo(json.dumps(report_json(report), indent=2) if as_json else report_text(report))
    sys.exit(exit_status(report))


def witness_tests_yaml(kb, pathway, w, misses) -> str:
    import yaml

    from ..case.model import set_field
    base = w.case.as_dict()
    base.pop("id", None)
    tests = [{"name": f"the minimal case for {pathway} should be approved under it",
              "expect": {"decision": "approve", "verdicts": {pathway: "approved"}}}]
    for m in misses:
        if m.case is None:
            continue
        now = dict(m.case.values)
        changed = {k: v for k, v in now.items() if dict(w.case.values).get(k) != v}
        changed.update({k: None for k, _ in w.case.values if k not in now})  # null removes a key of the base
        override: dict = {}
        for name, value in changed.items():
            set_field(override, name, list(value) if isinstance(value, tuple) else value)
        expect: dict = {"decision": m.decision}
        p = next((p for p in kb.decide(m.case).pathways if p.id == pathway), None)
        expect["verdicts" if p is None else "failing"] = {pathway: [m.criterion]} if p else {pathway: "denied"}
        if p is None:
            expect.pop("verdicts")
        tests.append({"name": f"the {pathway} minimal case without {kb.criteria[m.criterion].label if m.criterion in kb.criteria else m.criterion} should miss {pathway} by {m.criterion} alone",
                      "case": override, "expect": expect})
    return yaml.safe_dump({"description": f"witness and near misses of {pathway} (laro-kb witness --near-miss)",
                           "base": base, "tests": tests}, sort_keys=False, allow_unicode=True, width=120)


@main.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(allow_dash=True))
@click.option("-o", "--output", required=True, type=click.Path(allow_dash=True),
              help="JSON Lines output file ('-' for standard output; a symlink is written through).")
@click.option("--explain", is_flag=True, help="Add each decision's explanation (docs/explanations.md) to its record.")
@click.option("--resume", is_flag=True, help="Reuse the decided records of an interrupted or earlier run whose "
                                             "input is the same (docs/batch.md).")
@click.option("--jobs", type=click.IntRange(1, 64), default=None, help="Worker processes (default: all cores).")
@click.option("--max-record-bytes", type=click.IntRange(1), default=None,
              help="Largest record (a line, or a case file of a directory) to read; a larger one is an error "
                   "record. Default 1 MiB.")
@KB_OPTION
@ENGINE_OPTION
def batch(input_path, output, explain, resume, jobs, max_record_bytes, kb_dir, engine):
    """Decide a JSON Lines file ('-' for standard input) or a directory of case files into JSON Lines, one record
    per input, in order.

    Exit status 0 when every record was decided, 1 when some were errors, 2 when INPUT or OUTPUT cannot be used.
    Example: laro-kb batch requests.jsonl -o decisions.jsonl --jobs 2
    """
    import os

    from . import batch as batch_module
    kb = load(kb_dir, engine)
    try:
        with batch_module.progress_bar(input_path) as progress:
            summary = batch_module.run(kb, input_path, output, explain=explain, resume=resume,
                                       jobs=jobs or os.cpu_count() or 1, kb_dir=kb_dir, progress=progress,
                                       max_record_bytes=max_record_bytes or batch_module.MAX_RECORD_BYTES)
    except KeyboardInterrupt:
        click.echo(f"laro-kb: interrupted: {batch_module.interrupted(output)}", err=True)
        sys.exit(130)
    click.echo(summary.line(), err=True)
    sys.exit(1 if summary.errors else 0)


@main.command()
@click.option("--dialect", type=click.Choice(["sqlite", "duckdb", "postgres"]), default="duckdb", show_default=True,
              help="The SQL to write: DuckDB and SQLite are what laro-kb itself runs (and tests); PostgreSQL is "
                   "written the same way but untested here.")
@KB_OPTION
def sql(dialect, kb_dir):
    """Print the kb compiled to SQL: tables, the kb's static rows, and the steps that decide (docs/scale.md).

    Load patient facts into p_case_1, p_val_3 and p_known_2, run the script's steps, read p_report_5.
    Example: laro-kb sql --dialect duckdb > policy.sql
    """
    kb = load(kb_dir)
    click.echo(kb.sql(dialect), nl=False)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port to listen on.")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Worker processes; each loads its own kb.")
@KB_OPTION
def serve(host, port, workers, kb_dir):
    """Serve CDS Hooks (Da Vinci CRD), PAS Claim/$submit and /decide over HTTP (docs/service.md).

    Example: laro-kb serve --port 8000 --workers 2
    """
    import os

    import uvicorn

    from ..knowledge.files import kb_files
    from ..service.app import KB_ENV
    if kb_dir:
        kb_files(kb_dir)  # a directory that holds no kb is refused here, before any worker starts
        os.environ[KB_ENV] = os.path.abspath(kb_dir)
    uvicorn.run("laro_kb.service.app:create_app", factory=True, host=host, port=port, workers=workers,
                log_level="info", proxy_headers=False)


from .testrun import test_command  # noqa: E402  (a module of its own: runner, report and coverage)

main.add_command(test_command)

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
