"""``laro-kb test``: run decision tests written as data, and report what they covered (docs/author-tests.md).

Registered on the main group in :mod:`laro_kb.cli` with ``main.add_command(test_command)``; library errors
(a path that does not exist, a broken kb) propagate to the group, which reports them with exit status 2.
"""

from __future__ import annotations

from dataclasses import replace

import click

from .options import ENGINE_OPTION, KB_OPTION, load


@click.command(name="test")
@click.argument("cases", nargs=-1, required=True, type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (docs/author-tests.md).")
@click.option("--coverage/--no-coverage", default=True, show_default=True,
              help="Report which pathways, criteria, exclusions and thresholds the tests reached.")
@click.option("--fail-under-coverage", "fail_under", type=click.FloatRange(0, 100), default=None, metavar="PCT",
              help="Also fail (exit 1) when fewer than PCT% of the pathways are both approved and missed by a test.")
@KB_OPTION
@ENGINE_OPTION
def test_command(cases, as_json, coverage, fail_under, kb_dir, engine):
    """Run decision tests written as data: YAML or JSON files (or directories of them) of cases named as sentences.

    Exit status: 0 when every test passed, 1 when any failed or could not be used (or coverage is under
    --fail-under-coverage), 2 when a path or the kb cannot be used.

    Example: laro-kb test tests/cases/
    """
    from ..author.testing.report import file_line, report_json, report_text  # imported by this command alone
    from ..author.testing.run import run
    kb = load(kb_dir, engine)
    progress = None if as_json else (lambda f, rs, done, total: click.echo(file_line(f, rs, done, total)))
    result = run(kb, cases, coverage=coverage or fail_under is not None, on_file=progress)
    under = fail_under is not None and result.coverage.pathway_percent < fail_under
    shown = result if coverage else replace(result, coverage=None)
    if as_json:
        click.echo(report_json(shown))
    else:
        if under:
            click.echo(f"laro-kb: pathway coverage {result.coverage.pathway_percent:.1f}% is under "
                       f"--fail-under-coverage {fail_under:g}%", err=True)
        click.echo("\n" + report_text(shown, progress=False))
    click.get_current_context().exit(0 if result.ok and not under else 1)
