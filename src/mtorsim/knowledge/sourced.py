"""The one value type for sourced numbers.

Every number mtorsim reads from a data file (a context parameter, a PK constant, a
prevalence in a trial design, a tumour parameter) is a :class:`Sourced`: the value and
where it came from, written as a citation (the review's reference number, a DOI, a
label, an NCT ID), ``calibrated: <to what>`` or ``assumed: <why>``.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Sourced(BaseModel):
    """A number with its source.

    Examples
    --------
    >>> Sourced(value=0.56, source="ref 72 (Baselga 2012): 56% visceral").value
    0.56
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    value: float = Field(allow_inf_nan=False, description="the number (finite)")
    source: str = Field(
        min_length=3, description="citation, 'calibrated: <to what>' or 'assumed: <why>'"
    )

    def with_value(self, value: float, source: str | None = None) -> Sourced:
        """A copy with another value (and, if given, another source)."""
        return Sourced(value=value, source=self.source if source is None else source)


__all__ = ["Sourced"]
