"""``python -m siting.cli``: the ``siting`` command line (see :func:`siting.cli.main`)."""

from siting.cli import main

main()  # typer exits with the command's code
