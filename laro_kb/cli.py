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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
