"""The ``mtorsim`` command line: a package of thin commands over the Python API.

Every command parses its options, calls one library function and prints the result: a
table that fits 80 columns by default, one JSON document with ``--json``.  Errors the
user can cause print one message (no traceback) and exit 2.  ``python -m mtorsim`` runs
the same commands.
"""

from __future__ import annotations

import os

import click

from mtorsim import __version__
from mtorsim.cli import (
    calibration,
    knowledge,
    pathway,
    pathway_validation,
    pharmacology,
    trials,
)
from mtorsim.cli.common import MtorsimGroup

# figures are files, never windows
os.environ.setdefault("MPLBACKEND", "Agg")


@click.group(cls=MtorsimGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mtorsim")
def main() -> None:
    """mtorsim: mTOR-inhibitor combinations in advanced breast cancer, from the
    knowledge in Yardley 2013 (doi:10.4137/BCBCR.S10071) to virtual trials."""


for _module in (knowledge, pharmacology, pathway, pathway_validation, trials, calibration):
    for _command in _module.COMMANDS:
        main.add_command(_command)

__all__ = ["main"]
