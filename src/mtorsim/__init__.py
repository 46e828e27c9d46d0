"""mtorsim: PI3K/Akt/mTOR signalling, pharmacology and virtual trials of mTOR-inhibitor
combinations in advanced breast cancer.

The knowledge it runs on comes from Yardley DA, *Combining mTOR inhibitors with
chemotherapy and other targeted therapies in advanced breast cancer*, Breast Cancer:
Basic and Clinical Research 2013;7:7-22 (doi:10.4137/BCBCR.S10071).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mtorsim")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = ["__version__"]
