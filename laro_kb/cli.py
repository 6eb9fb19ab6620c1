"""The laro-kb command line. Each command loads the kb, calls one library method and renders the result.

Errors from the library (bad case files, broken knowledge bases) are turned into one-line
messages and exit status 2 here, once, in :class:`_Group.invoke`.
"""

from __future__ import annotations

import sys

import click

from . import __version__
from .errors import LaroError
from .kb import load
from .render import decision_json, decision_text, pathways_json, pathways_text
from .render_explain import RENDERERS

KB_OPTION = click.option("--kb", "kb_dir", type=click.Path(file_okay=False), default=None,
                         help="Knowledge base directory to use instead of the shipped kb/.")


class _Group(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except LaroError as exc:
            click.echo(f"laro-kb: error: {exc}", err=True)
            ctx.exit(2)


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="laro-kb")
def main():
    """Decide larotrectinib (Vitrakvi) coverage from the policy's Datalog knowledge base."""


@main.command()
@click.argument("case", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the decision as JSON (docs/decision-format.md).")
@KB_OPTION
def decide(case, as_json, kb_dir):
    """Approve, pend or deny a patient case file, with the pathways behind the decision.

    Example: laro-kb decide examples/nsclc-first-line.json
    """
    kb = load(kb_dir)
    d = kb.decide(kb.read_case(case))
    click.echo(decision_json(d) if as_json else decision_text(d))


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
        from .errors import KBError, nearest
        raise KBError(f"no section {section!r}", suggestion=nearest(section, {p.section for p in kb.pathways.values()}))
    click.echo(pathways_json(chosen) if as_json else pathways_text(chosen))


FORMAT_OPTION = click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text",
                             show_default=True, help="text tree, Markdown (for a letter), or JSON (docs/explanations.md).")
DEPTH_OPTION = click.option("--depth", type=click.IntRange(1, 12), default=3, show_default=True,
                            help="1 pathways, 2 criteria, 3 parts of criteria, 4+ the kb rules that derived them.")


@main.command()
@click.argument("case", type=click.Path(dir_okay=False))
@click.option("--pathway", "pathway_ids", multiple=True, help="Explain only this pathway (repeatable).")
@FORMAT_OPTION
@DEPTH_OPTION
@KB_OPTION
def why(case, pathway_ids, fmt, depth, kb_dir):
    """Explain a decision: every candidate pathway, each criterion met, not met or unknown, with citations.

    Example: laro-kb why examples/nsclc-missing-ntrk.json --format markdown
    """
    kb = load(kb_dir)
    click.echo(RENDERERS[fmt](kb.explain(kb.read_case(case), list(pathway_ids) or None), depth))


@main.command()
@click.argument("case", type=click.Path(dir_okay=False))
@click.argument("pathway")
@FORMAT_OPTION
@DEPTH_OPTION
@KB_OPTION
def whynot(case, pathway, fmt, depth, kb_dir):
    """Explain one pathway for a case: what is met, what is not, and the smallest change that would approve it.

    Example: laro-kb whynot examples/nsclc-first-line.json nsclc.3b
    """
    kb = load(kb_dir)
    click.echo(RENDERERS[fmt](kb.explain(kb.read_case(case), [pathway]), depth))


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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
