"""Controlled vocabularies shared by every layer of mtorsim.

One place for names (STYLE.md habit 5): the molecular node identifiers that
agents target are the same identifiers the signalling model uses for its
species, so the pathway layer can map an agent to its mechanism by reading the
knowledge base rather than a table buried in code.
"""

from __future__ import annotations

from enum import StrEnum

#: Version of every knowledge-base file format; bump on incompatible change.
FORMAT_VERSION = "1.0"


class Node(StrEnum):
    """Molecular nodes of the PI3K/Akt/mTOR network (review Fig. 1) and drug targets."""

    # receptors and ligands
    EGFR = "EGFR"
    HER2 = "HER2"
    HER3 = "HER3"
    IGF1R = "IGF1R"
    INSR = "INSR"
    VEGFA = "VEGFA"
    VEGFR = "VEGFR"
    PDGFR = "PDGFR"
    KIT = "KIT"
    # PI3K / Akt / mTOR axis
    IRS1 = "IRS1"
    PI3K = "PI3K"  # class I PI3K, p110alpha catalytic subunit (PIK3CA)
    PTEN = "PTEN"
    PDK1 = "PDK1"
    AKT = "AKT"
    TSC2 = "TSC2"  # TSC1/TSC2 complex
    RHEB = "RHEB"
    MTORC1 = "MTORC1"
    MTORC2 = "MTORC2"
    FKBP12 = "FKBP12"
    S6K1 = "S6K1"
    S6 = "S6"
    EIF4EBP1 = "4EBP1"
    EIF4E = "EIF4E"
    LKB1 = "LKB1"
    AMPK = "AMPK"
    # MAPK axis
    RAS = "RAS"
    RAF = "RAF"
    MEK = "MEK"
    ERK = "ERK"
    # endocrine axis
    ER = "ER"  # estrogen receptor alpha (ESR1)
    AROMATASE = "AROMATASE"  # CYP19A1, makes estradiol
    # cytotoxic targets (acted on outside the signalling model)
    TUBULIN = "TUBULIN"
    DNA = "DNA"
    TYMS = "TYMS"  # thymidylate synthase
    TOP2A = "TOP2A"


class Action(StrEnum):
    """What an agent does to its target node."""

    INHIBIT = "inhibit"
    DEGRADE = "degrade"  # e.g. fulvestrant: ER down-regulation
    PARTIAL_ANTAGONIST = "partial_antagonist"  # SERMs: tissue-selective
    SEQUESTER = "sequester"  # ligand-trapping antibody, e.g. bevacizumab
    STABILISE = "stabilise"  # taxanes on microtubules
    DESTABILISE = "destabilise"  # vinca alkaloids on microtubules
    CROSSLINK = "crosslink"  # platinum DNA adducts
    ALKYLATE = "alkylate"
    INTERCALATE = "intercalate"


class BindingSite(StrEnum):
    """Where on the target an agent binds; decides the mechanism in the model."""

    FKBP12_FRB = "FKBP12-FRB allosteric"  # rapalogs: FKBP12 complex binds mTOR FRB domain
    ATP_SITE = "ATP-competitive"
    ALLOSTERIC = "allosteric (non-ATP-competitive)"
    EXTRACELLULAR_DOMAIN = "receptor extracellular domain"
    LIGAND = "ligand"
    LIGAND_BINDING_DOMAIN = "ligand-binding domain"
    ENZYME_ACTIVE_SITE = "enzyme active site"
    TAXANE_SITE = "beta-tubulin taxane site"
    VINCA_SITE = "beta-tubulin vinca site"
    DNA = "DNA"
    UNKNOWN = "not stated"


class SiteOfAction(StrEnum):
    """Which mtorsim layer an agent acts in.

    ``signalling`` agents are represented in the signalling model; ``cytotoxic``
    and ``microenvironment`` agents act in the tumour layer.
    """

    SIGNALLING = "signalling"
    CYTOTOXIC = "cytotoxic"
    MICROENVIRONMENT = "microenvironment"


class DrugClass(StrEnum):
    """Pharmacological class of an agent (finer than the review's Table 1 column)."""

    RAPALOG = "rapalog"
    MTOR_KINASE_INHIBITOR = "mtor_kinase_inhibitor"
    DUAL_PI3K_MTOR_INHIBITOR = "dual_pi3k_mtor_inhibitor"
    PI3K_INHIBITOR = "pi3k_inhibitor"
    HER2_ANTIBODY = "her2_antibody"
    EGFR_HER2_TKI = "egfr_her2_tki"
    IGF1R_ANTIBODY = "igf1r_antibody"
    VEGF_ANTIBODY = "vegf_antibody"
    VEGFR_TKI = "vegfr_tki"
    MEK_INHIBITOR = "mek_inhibitor"
    AROMATASE_INHIBITOR = "aromatase_inhibitor"
    SERM = "serm"
    SERD = "serd"
    TAXANE = "taxane"
    VINCA_ALKALOID = "vinca_alkaloid"
    PLATINUM = "platinum"
    FLUOROPYRIMIDINE = "fluoropyrimidine"
    ANTHRACYCLINE = "anthracycline"
    ALKYLATING_AGENT = "alkylating_agent"


#: Broad families a query can name instead of one class.
CLASS_GROUPS: dict[str, frozenset[DrugClass]] = {
    "mtor_inhibitor": frozenset(
        {
            DrugClass.RAPALOG,
            DrugClass.MTOR_KINASE_INHIBITOR,
            DrugClass.DUAL_PI3K_MTOR_INHIBITOR,
        }
    ),
    "pi3k_pathway_inhibitor": frozenset(
        {
            DrugClass.RAPALOG,
            DrugClass.MTOR_KINASE_INHIBITOR,
            DrugClass.DUAL_PI3K_MTOR_INHIBITOR,
            DrugClass.PI3K_INHIBITOR,
        }
    ),
    "her2_targeted": frozenset({DrugClass.HER2_ANTIBODY, DrugClass.EGFR_HER2_TKI}),
    "igf1r_targeted": frozenset({DrugClass.IGF1R_ANTIBODY}),
    "anti_angiogenic": frozenset({DrugClass.VEGF_ANTIBODY, DrugClass.VEGFR_TKI}),
    "mapk_inhibitor": frozenset({DrugClass.MEK_INHIBITOR}),
    "endocrine": frozenset({DrugClass.AROMATASE_INHIBITOR, DrugClass.SERM, DrugClass.SERD}),
    "chemotherapy": frozenset(
        {
            DrugClass.TAXANE,
            DrugClass.VINCA_ALKALOID,
            DrugClass.PLATINUM,
            DrugClass.FLUOROPYRIMIDINE,
            DrugClass.ANTHRACYCLINE,
            DrugClass.ALKYLATING_AGENT,
        }
    ),
}


class Stage(StrEnum):
    """Highest development stage the review reports for an agent."""

    APPROVED = "approved"
    PHASE_3 = "phase 3"
    PHASE_2 = "phase 2"
    PHASE_1 = "phase 1"
    PRECLINICAL = "preclinical"


class Route(StrEnum):
    ORAL = "oral"
    IV = "intravenous"
    IM = "intramuscular"
    SC = "subcutaneous"


class Subtype(StrEnum):
    """Receptor / hormone status of a trial population, as the tables print it."""

    HER2_POSITIVE = "HER2+"
    HER2_NEGATIVE = "HER2-"
    HR_POSITIVE = "HR+"  # ER-positive and/or PR-positive
    ER_POSITIVE = "ER+"
    TRIPLE_NEGATIVE = "TNBC"
    NOT_SPECIFIED = "NS"


#: A population with the key status also has the listed statuses; a query for
#: ``HR+`` therefore matches ER+ trials, and ``HER2-`` matches triple-negative.
SUBTYPE_IMPLIES: dict[Subtype, frozenset[Subtype]] = {
    Subtype.ER_POSITIVE: frozenset({Subtype.HR_POSITIVE}),
    Subtype.TRIPLE_NEGATIVE: frozenset({Subtype.HER2_NEGATIVE}),
}

#: Spellings users type for a subtype.
SUBTYPE_ALIASES: dict[str, Subtype] = {
    "her2+": Subtype.HER2_POSITIVE,
    "her2pos": Subtype.HER2_POSITIVE,
    "her2-positive": Subtype.HER2_POSITIVE,
    "her2pos.": Subtype.HER2_POSITIVE,
    "her2-": Subtype.HER2_NEGATIVE,
    "her2neg": Subtype.HER2_NEGATIVE,
    "her2-negative": Subtype.HER2_NEGATIVE,
    "hr+": Subtype.HR_POSITIVE,
    "hr-positive": Subtype.HR_POSITIVE,
    "hormone-receptor-positive": Subtype.HR_POSITIVE,
    "er+": Subtype.ER_POSITIVE,
    "er-positive": Subtype.ER_POSITIVE,
    "tnbc": Subtype.TRIPLE_NEGATIVE,
    "tn": Subtype.TRIPLE_NEGATIVE,
    "triple-negative": Subtype.TRIPLE_NEGATIVE,
    "ns": Subtype.NOT_SPECIFIED,
    "not-specified": Subtype.NOT_SPECIFIED,
}


class Setting(StrEnum):
    METASTATIC = "metastatic"  # locally advanced or metastatic
    NEOADJUVANT = "neoadjuvant"
    ADJUVANT = "adjuvant"
    SOLID_TUMOURS = "solid tumours"  # basket / dose-escalation in several tumour types
    OTHER_CANCER = "other cancer"  # e.g. sarcoma (SUCCEED), renal cell carcinoma
    NOT_SPECIFIED = "not specified"


class Endpoint(StrEnum):
    """Clinical and translational endpoints the review reports."""

    ORR = "ORR"  # objective response rate (CR + PR)
    DCR = "DCR"  # disease control rate (CR + PR + SD)
    CBR = "CBR"  # clinical benefit rate (CR + PR + SD >= 24 weeks / 6 months)
    PFS = "PFS"
    TTP = "TTP"
    OS = "OS"
    SURVIVAL_PROBABILITY = "survival probability"
    CLINICAL_RESPONSE = "clinical response"  # neoadjuvant palpation/imaging response
    PCR = "pCR"  # pathological complete response
    KI67_RESPONSE = "Ki67 response"
    BEST_RESPONSE = "best overall response"  # counts of CR / PR / SD / PD
    ADVERSE_EVENT = "adverse event"
    DOSE = "dose"  # recommended dose, dose intensity
    EFFICACY = "efficacy"  # qualitative overall efficacy findings
    PHARMACOKINETICS = "pharmacokinetics"


class Statistic(StrEnum):
    MEDIAN = "median"
    RATE = "rate"  # a proportion, reported in percent
    HAZARD_RATIO = "hazard ratio"
    COUNT = "count"
    DIFFERENCE = "difference"  # e.g. difference of medians
    VALUE = "value"  # a plain value, e.g. a dose
    QUALITATIVE = "qualitative"  # a finding with no number


class ResponseCategory(StrEnum):
    """RECIST best-overall-response categories."""

    CR = "CR"
    PR = "PR"
    SD = "SD"
    PD = "PD"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


#: Words in a trial's drug list that are not agents but are recognised.
NON_AGENT_TREATMENTS: frozenset[str] = frozenset({"placebo"})
