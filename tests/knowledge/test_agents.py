"""Agents: coverage of the review's therapies, synonym lookup, mechanisms from Table 1."""

from __future__ import annotations

import pytest

from mtorsim.errors import UnknownAgentError, UnknownDrugError
from mtorsim.knowledge import KnowledgeBase, find_agents

# Every agent issue 2 names, plus the SERMs of ref 67 (raloxifene, ERA-923).
REQUIRED = [
    "sirolimus",
    "temsirolimus",
    "everolimus",
    "ridaforolimus",
    "pp242",
    "bn107",
    "pi-103",
    "ly294002",
    "nvp-bez235",
    "sf1126",
    "xl765",
    "bgt226",
    "xl147",
    "trastuzumab",
    "lapatinib",
    "neratinib",
    "cixutumumab",
    "dalotuzumab",
    "bevacizumab",
    "mek-inhibitor",
    "exemestane",
    "letrozole",
    "anastrozole",
    "tamoxifen",
    "raloxifene",
    "era-923",
    "fulvestrant",
    "paclitaxel",
    "nab-paclitaxel",
    "docetaxel",
    "vinorelbine",
    "carboplatin",
    "cisplatin",
    "capecitabine",
    "epirubicin",
    "cyclophosphamide",
    "5-fluorouracil",
    "sunitinib",
    "sorafenib",
]

# synonym or code as the review prints it -> agent id
SYNONYMS = {
    "Rapamycin": "sirolimus",
    "RAPAMUNE": "sirolimus",
    "CCI-779": "temsirolimus",
    "CCI779": "temsirolimus",
    "rad001": "everolimus",
    "RAD-001": "everolimus",
    "deforolimus": "ridaforolimus",
    "AP23573": "ridaforolimus",
    "MK-8669": "ridaforolimus",
    "GW572016": "lapatinib",
    "HKI-272": "neratinib",
    "IMC-A12": "cixutumumab",
    "MK-0646": "dalotuzumab",
    "BEZ235": "nvp-bez235",
    "NVP-BEZ235": "nvp-bez235",
    "Abraxane": "nab-paclitaxel",
    "albumin-bound paclitaxel": "nab-paclitaxel",
    "5-FU": "5-fluorouracil",
    "vinorelbine ditartrate": "vinorelbine",
}


def test_required_agents_present(kb: KnowledgeBase) -> None:
    ids = {a.id for a in kb.agents}
    assert set(REQUIRED) <= ids, sorted(set(REQUIRED) - ids)


@pytest.mark.parametrize(("name", "agent_id"), sorted(SYNONYMS.items()))
def test_synonym_lookup(kb: KnowledgeBase, name: str, agent_id: str) -> None:
    assert kb.agent(name).id == agent_id
    assert kb.agent(name.upper()).id == agent_id


def test_unknown_agent_suggests_closest(kb: KnowledgeBase) -> None:
    with pytest.raises(UnknownDrugError) as err:
        kb.agent("everolimsu")
    assert "everolimus" in err.value.suggestions
    assert "did you mean" in str(err.value)
    assert isinstance(err.value, UnknownAgentError)


def test_table1_mechanisms(kb: KnowledgeBase) -> None:
    """Table 1: rapalogs bind FKBP12/FRB (mTORC1 only); PP242/BN107 inhibit both
    complexes; dual inhibitors also hit PI3K."""
    for rapalog in ("sirolimus", "temsirolimus", "everolimus", "ridaforolimus"):
        a = kb.agent(rapalog)
        assert a.target_nodes() == {"MTORC1"}
        assert a.targets[0].binding_site.value == "FKBP12-FRB allosteric"
        assert 32 in a.targets[0].refs
        assert a.in_table1
    for torki in ("PP242", "BN107"):
        assert kb.agent(torki).target_nodes() == {"MTORC1", "MTORC2"}
    for dual in ("PI-103", "LY294002", "NVP-BEZ235", "SF1126", "XL765", "BGT226"):
        assert {"PI3K", "MTORC1"} <= kb.agent(dual).target_nodes()
    assert sum(a.in_table1 for a in kb.agents) == 12


def test_approvals_and_half_lives(kb: KnowledgeBase) -> None:
    """Approval years and half-lives the review gives (Table 1; refs 42, 46, 47)."""
    assert [p.year for p in kb.agent("sirolimus").approvals] == [1999]
    assert [p.year for p in kb.agent("temsirolimus").approvals] == [2007]
    assert sorted(p.year for p in kb.agent("everolimus").approvals) == [
        2009,
        2010,
        2011,
        2012,
        2012,
    ]
    eve = kb.agent("everolimus").half_life
    assert eve is not None and eve.low_h == 30
    tem = kb.agent("temsirolimus").half_life
    assert tem is not None and (tem.low_h, tem.high_h) == (17, 55)
    rida = kb.agent("ridaforolimus").half_life
    assert rida is not None and rida.low_h == 49
    assert kb.agent("temsirolimus").prodrug_of == "sirolimus"


def test_doses_from_the_review(kb: KnowledgeBase) -> None:
    texts = {d.text for d in kb.agent("everolimus").doses}
    assert {"10 mg/day", "5 mg/day"} <= texts
    rida = kb.agent("ridaforolimus").doses
    assert any(d.amount == 40 and "5 days" in (d.schedule + d.text) for d in rida)
    assert any(d.amount == 2.5 for d in kb.agent("letrozole").doses)


def test_class_toxicities(kb: KnowledgeBase) -> None:
    tox = {t.lower() for t in kb.agent("everolimus").class_toxicities}
    assert {"stomatitis", "hyperglycemia", "dyslipidemia", "infection"} <= tox
    assert any("pneumonitis" in t for t in tox)


def test_find_agents_filters(kb: KnowledgeBase) -> None:
    assert {a.id for a in find_agents(kb, drug_class="rapalog")} == {
        "sirolimus",
        "temsirolimus",
        "everolimus",
        "ridaforolimus",
    }
    mtor = {a.id for a in find_agents(kb, drug_class="mTOR inhibitor")}
    assert {"pp242", "nvp-bez235", "everolimus"} <= mtor and "xl147" not in mtor
    her2 = {a.id for a in find_agents(kb, target="HER2")}
    assert {"trastuzumab", "lapatinib", "neratinib"} <= her2
    igf = {a.id for a in find_agents(kb, target="igf1r")}
    assert igf == {"cixutumumab", "dalotuzumab"}


def test_site_of_action_split(kb: KnowledgeBase) -> None:
    """Cytotoxics and bevacizumab act outside the signalling model (for the tumour layer)."""
    assert kb.agent("paclitaxel").site_of_action.value == "cytotoxic"
    assert kb.agent("bevacizumab").site_of_action.value == "microenvironment"
    assert kb.agent("fulvestrant").site_of_action.value == "signalling"


def test_every_agent_is_sourced(kb: KnowledgeBase) -> None:
    for a in kb.agents:
        assert a.refs or a.note, f"{a.id} has neither a reference nor a note on its source"
