"""``python -m data_prep``: the command line (see ``data_prep/cli.py``)."""

from data_prep.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
