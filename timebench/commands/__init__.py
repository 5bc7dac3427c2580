"""One module per ``timebench`` subcommand (see :mod:`timebench.cli`)."""
