"""``python -m mtorsim``: the same commands as ``mtorsim``."""

from mtorsim.cli import main

if __name__ == "__main__":  # pragma: no cover
    main(prog_name="mtorsim")
