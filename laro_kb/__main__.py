"""``python -m laro_kb``: the same as the ``laro-kb`` command."""

from .cli import main

main(prog_name="laro-kb")
