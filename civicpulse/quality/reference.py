"""Reference data of three public frameworks a service hall's quality management is measured against.

Pure data and one pure function: no Django, no database. Every item carries an English and a Simplified
Chinese name, so the pages show the language the user reads and exports can carry both.

ISO 9001:2015 clauses (GB/T 19001-2016)
    What an internal audit can be scoped to: every titled clause and sub-clause of sections 4 to 10. The
    English titles are those of ISO 9001:2015, the Chinese ones those of its identical national adoption
    GB/T 19001-2016. Untitled numbered paragraphs (4.4.1, 6.1.1, 7.5.3.1, 8.7.1, 9.2.1, 10.2.1 ...) are
    left out: an auditor cites them, but they are not a scope of their own.

CAF 2020 (Common Assessment Framework, EIPA / European CAF Resource Centre)
    The self-assessment model of European public administrations: 9 criteria (1-5 enablers, 6-9 results)
    and 28 sub-criteria, with the two "classical scoring" panels on 0-100 (panel 1 for enablers, by phase
    of the PDCA cycle; panel 2 for results, by trends, targets and comparisons). English texts follow
    CAF 2020 as published by EIPA; the Chinese is our translation in the register of Chinese public
    administration (CAF is known in Chinese as 通用评估框架).

ISO 18091:2019 Annex A (quality management in local government)
    The diagnostic of a local government on 39 indicators of public policy in four quadrants, each rated
    by traffic light: red (below the minimum acceptable, or non-existent), yellow (some practices, not yet
    reliable), green (reliable: meets the minimum acceptable). Only the structure is confirmed from public
    sources; the indicator names are not (see the comment above ISO18091_INDICATORS and
    ISO18091_INDICATOR_NAMES_CONFIRMED).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Integral
from types import MappingProxyType
from typing import Literal

__all__ = [
    "CAF_CRITERIA",
    "CAF_SUBCRITERIA",
    "CLAUSE_NUMBERS",
    "ENABLER_PANEL",
    "ISO9001_CLAUSES",
    "ISO9001_SECTIONS",
    "ISO18091_INDICATORS",
    "ISO18091_INDICATOR_NAMES_CONFIRMED",
    "ISO18091_QUADRANTS",
    "RESULT_PANEL",
    "TRAFFIC_LIGHTS",
    "TRAFFIC_LIGHT_LABELS",
    "CafCriterion",
    "CafSubCriterion",
    "Clause",
    "Iso18091Indicator",
    "ScoreBand",
    "caf_band",
]


# ---------------------------------------------------------------------------------------------------------
# ISO 9001:2015 / GB/T 19001-2016
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clause:
    number: str
    title_en: str
    title_zh: str


# The seven sections, kept apart from the clauses: a whole section is not an audit scope, but the pages
# group the clause picker under these headings.
ISO9001_SECTIONS: tuple[Clause, ...] = (
    Clause("4", "Context of the organization", "组织环境"),
    Clause("5", "Leadership", "领导作用"),
    Clause("6", "Planning", "策划"),
    Clause("7", "Support", "支持"),
    Clause("8", "Operation", "运行"),
    Clause("9", "Performance evaluation", "绩效评价"),
    Clause("10", "Improvement", "改进"),
)

ISO9001_CLAUSES: tuple[Clause, ...] = (
    Clause("4.1", "Understanding the organization and its context", "理解组织及其环境"),
    Clause("4.2", "Understanding the needs and expectations of interested parties", "理解相关方的需求和期望"),
    Clause("4.3", "Determining the scope of the quality management system", "确定质量管理体系的范围"),
    Clause("4.4", "Quality management system and its processes", "质量管理体系及其过程"),
    Clause("5.1", "Leadership and commitment", "领导作用和承诺"),
    Clause("5.1.1", "General", "总则"),
    Clause("5.1.2", "Customer focus", "以顾客为关注焦点"),
    Clause("5.2", "Policy", "方针"),
    Clause("5.2.1", "Establishing the quality policy", "制定质量方针"),
    Clause("5.2.2", "Communicating the quality policy", "沟通质量方针"),
    Clause("5.3", "Organizational roles, responsibilities and authorities", "组织的岗位、职责和权限"),
    Clause("6.1", "Actions to address risks and opportunities", "应对风险和机遇的措施"),
    Clause("6.2", "Quality objectives and planning to achieve them", "质量目标及其实现的策划"),
    Clause("6.3", "Planning of changes", "变更的策划"),
    Clause("7.1", "Resources", "资源"),
    Clause("7.1.1", "General", "总则"),
    Clause("7.1.2", "People", "人员"),
    Clause("7.1.3", "Infrastructure", "基础设施"),
    Clause("7.1.4", "Environment for the operation of processes", "过程运行环境"),
    Clause("7.1.5", "Monitoring and measuring resources", "监视和测量资源"),
    Clause("7.1.5.1", "General", "总则"),
    Clause("7.1.5.2", "Measurement traceability", "测量溯源"),
    Clause("7.1.6", "Organizational knowledge", "组织的知识"),
    Clause("7.2", "Competence", "能力"),
    Clause("7.3", "Awareness", "意识"),
    Clause("7.4", "Communication", "沟通"),
    Clause("7.5", "Documented information", "成文信息"),
    Clause("7.5.1", "General", "总则"),
    Clause("7.5.2", "Creating and updating", "创建和更新"),
    Clause("7.5.3", "Control of documented information", "成文信息的控制"),
    Clause("8.1", "Operational planning and control", "运行的策划和控制"),
    Clause("8.2", "Requirements for products and services", "产品和服务的要求"),
    Clause("8.2.1", "Customer communication", "顾客沟通"),
    Clause("8.2.2", "Determining the requirements for products and services", "产品和服务要求的确定"),
    Clause("8.2.3", "Review of the requirements for products and services", "产品和服务要求的评审"),
    Clause("8.2.4", "Changes to requirements for products and services", "产品和服务要求的更改"),
    Clause("8.3", "Design and development of products and services", "产品和服务的设计和开发"),
    Clause("8.3.1", "General", "总则"),
    Clause("8.3.2", "Design and development planning", "设计和开发的策划"),
    Clause("8.3.3", "Design and development inputs", "设计和开发输入"),
    Clause("8.3.4", "Design and development controls", "设计和开发控制"),
    Clause("8.3.5", "Design and development outputs", "设计和开发输出"),
    Clause("8.3.6", "Design and development changes", "设计和开发更改"),
    Clause(
        "8.4",
        "Control of externally provided processes, products and services",
        "外部提供的过程、产品和服务的控制",
    ),
    Clause("8.4.1", "General", "总则"),
    Clause("8.4.2", "Type and extent of control", "控制类型和程度"),
    Clause("8.4.3", "Information for external providers", "提供给外部供方的信息"),
    Clause("8.5", "Production and service provision", "生产和服务提供"),
    Clause("8.5.1", "Control of production and service provision", "生产和服务提供的控制"),
    Clause("8.5.2", "Identification and traceability", "标识和可追溯性"),
    Clause("8.5.3", "Property belonging to customers or external providers", "顾客或外部供方的财产"),
    Clause("8.5.4", "Preservation", "防护"),
    Clause("8.5.5", "Post-delivery activities", "交付后的活动"),
    Clause("8.5.6", "Control of changes", "更改控制"),
    Clause("8.6", "Release of products and services", "产品和服务的放行"),
    Clause("8.7", "Control of nonconforming outputs", "不合格输出的控制"),
    Clause("9.1", "Monitoring, measurement, analysis and evaluation", "监视、测量、分析和评价"),
    Clause("9.1.1", "General", "总则"),
    Clause("9.1.2", "Customer satisfaction", "顾客满意"),
    Clause("9.1.3", "Analysis and evaluation", "分析与评价"),
    Clause("9.2", "Internal audit", "内部审核"),
    Clause("9.3", "Management review", "管理评审"),
    Clause("9.3.1", "General", "总则"),
    Clause("9.3.2", "Management review inputs", "管理评审输入"),
    Clause("9.3.3", "Management review outputs", "管理评审输出"),
    Clause("10.1", "General", "总则"),
    Clause("10.2", "Nonconformity and corrective action", "不合格和纠正措施"),
    Clause("10.3", "Continual improvement", "持续改进"),
)

CLAUSE_NUMBERS: frozenset[str] = frozenset(clause.number for clause in ISO9001_CLAUSES)


# ---------------------------------------------------------------------------------------------------------
# CAF 2020
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CafCriterion:
    number: str
    kind: Literal["enabler", "result"]
    name_en: str
    name_zh: str


@dataclass(frozen=True)
class CafSubCriterion:
    number: str
    criterion: str
    text_en: str
    text_zh: str


CAF_CRITERIA: tuple[CafCriterion, ...] = (
    CafCriterion("1", "enabler", "Leadership", "领导力"),
    CafCriterion("2", "enabler", "Strategy and planning", "战略与规划"),
    CafCriterion("3", "enabler", "People", "人员"),
    CafCriterion("4", "enabler", "Partnerships and resources", "伙伴关系与资源"),
    CafCriterion("5", "enabler", "Processes", "流程"),
    CafCriterion("6", "result", "Citizen/customer-oriented results", "以公众/服务对象为导向的结果"),
    CafCriterion("7", "result", "People results", "人员结果"),
    CafCriterion("8", "result", "Social responsibility results", "社会责任结果"),
    CafCriterion("9", "result", "Key performance results", "关键绩效结果"),
)

# "Citizen/customer" is CAF's deliberate pairing (a person is both a rights-holder and a service user); in
# Chinese administrative usage that is 公众 and 服务对象, hence the pair in the Chinese texts. 6.1/7.1/8.1
# and 6.2/7.2/8.2 carry the same wording in CAF itself: the criterion says whose perception or performance.
CAF_SUBCRITERIA: tuple[CafSubCriterion, ...] = (
    CafSubCriterion(
        "1.1",
        "1",
        "Provide direction for the organisation by developing its mission, vision and values",
        "通过确立使命、愿景和价值观为组织指明方向",
    ),
    CafSubCriterion(
        "1.2",
        "1",
        "Manage the organisation, its performance and its continuous improvement",
        "管理组织及其绩效和持续改进",
    ),
    CafSubCriterion(
        "1.3",
        "1",
        "Inspire, motivate and support people in the organisation and act as a role model",
        "激励、鼓舞和支持组织内人员，并发挥表率作用",
    ),
    CafSubCriterion(
        "1.4",
        "1",
        "Manage effective relations with political authorities and other stakeholders",
        "与上级领导机关和其他利益相关方保持有效关系",
    ),
    CafSubCriterion(
        "2.1",
        "2",
        "Identify the needs and expectations of the stakeholders, the external environment and the "
        "relevant management information",
        "识别利益相关方的需求和期望、外部环境以及相关管理信息",
    ),
    CafSubCriterion(
        "2.2",
        "2",
        "Develop strategies and plans based on gathered information",
        "依据所收集的信息制定战略和规划",
    ),
    CafSubCriterion(
        "2.3",
        "2",
        "Communicate, implement and review strategies and plans",
        "宣贯、实施和评审战略与规划",
    ),
    CafSubCriterion(
        "2.4",
        "2",
        "Manage change and innovation to ensure the agility and resilience of the organisation",
        "管理变革与创新，确保组织的敏捷性和韧性",
    ),
    CafSubCriterion(
        "3.1",
        "3",
        "Manage and improve human resources to support the strategy of the organisation",
        "管理和改进人力资源，支撑组织战略",
    ),
    CafSubCriterion("3.2", "3", "Develop and manage competencies of people", "培养和管理人员能力"),
    CafSubCriterion(
        "3.3",
        "3",
        "Involve and empower the people and support their well-being",
        "让人员参与并赋予其权责，关心其身心健康",
    ),
    CafSubCriterion(
        "4.1",
        "4",
        "Develop and manage partnerships with relevant organisations",
        "发展和管理与相关组织的伙伴关系",
    ),
    CafSubCriterion(
        "4.2",
        "4",
        "Collaborate with citizens and civil society organisations",
        "与公众和社会组织开展协作",
    ),
    CafSubCriterion("4.3", "4", "Manage finances", "管理财务"),
    CafSubCriterion("4.4", "4", "Manage information and knowledge", "管理信息和知识"),
    CafSubCriterion("4.5", "4", "Manage technology", "管理技术"),
    CafSubCriterion("4.6", "4", "Manage facilities", "管理设施"),
    CafSubCriterion(
        "5.1",
        "5",
        "Design and manage processes to increase value for citizens and customers",
        "设计和管理流程，为公众和服务对象创造更多价值",
    ),
    CafSubCriterion(
        "5.2",
        "5",
        "Deliver products and services for customers, citizens, stakeholders and society",
        "为服务对象、公众、利益相关方和社会提供产品和服务",
    ),
    CafSubCriterion(
        "5.3",
        "5",
        "Coordinate processes across the organisation and with other relevant organisations",
        "在组织内部以及与其他相关组织之间协调流程",
    ),
    CafSubCriterion("6.1", "6", "Perception measurements", "感知测评"),
    CafSubCriterion("6.2", "6", "Performance measurements", "绩效测评"),
    CafSubCriterion("7.1", "7", "Perception measurements", "感知测评"),
    CafSubCriterion("7.2", "7", "Performance measurements", "绩效测评"),
    CafSubCriterion("8.1", "8", "Perception measurements", "感知测评"),
    CafSubCriterion("8.2", "8", "Performance measurements", "绩效测评"),
    CafSubCriterion("9.1", "9", "External results: output and public value", "外部结果：产出与公共价值"),
    CafSubCriterion("9.2", "9", "Internal results: level of efficiency", "内部结果：效率水平"),
)


@dataclass(frozen=True)
class ScoreBand:
    low: int
    high: int
    label_en: str
    label_zh: str
    text_en: str
    text_zh: str


# Classical scoring is cumulative: a sub-criterion reaches a phase only when the phases before it are in
# place, so the bands are ordered and one score falls in exactly one band. The Chinese phase names are the
# ones GB/T 19001 uses for PDCA (策划-实施-检查-处置), which staff trained on ISO 9001 already know.
ENABLER_PANEL: tuple[ScoreBand, ...] = (
    ScoreBand(
        0, 10, "No evidence", "无证据", "No evidence or just some ideas.", "没有证据，或只有一些设想。"
    ),
    ScoreBand(11, 30, "Plan", "策划", "There is a plan to do this.", "已有相应的计划。"),
    ScoreBand(31, 50, "Do", "实施", "Implementation has started.", "已开始实施。"),
    ScoreBand(
        51,
        70,
        "Check",
        "检查",
        "We checked/reviewed if we did the right things in the right way.",
        "已检查/评审是否以正确的方式做了正确的事。",
    ),
    ScoreBand(
        71,
        90,
        "Act",
        "处置",
        "On the basis of checking/reviews we have made the necessary adjustments.",
        "已根据检查/评审结果作出必要调整。",
    ),
    ScoreBand(
        91,
        100,
        "PDCA",
        "PDCA 全面融合",
        "Everything we do, we plan, implement, check and adjust regularly and we learn from others. "
        "We are in a continuous improvement cycle on this issue.",
        "所做的一切都定期策划、实施、检查和调整，并向他人学习；在该事项上已进入持续改进的循环。",
    ),
)

RESULT_PANEL: tuple[ScoreBand, ...] = (
    ScoreBand(
        0,
        10,
        "No results measured",
        "未测量结果",
        "No results are measured and/or no information is available.",
        "未测量任何结果，和/或没有可用信息。",
    ),
    ScoreBand(
        11,
        30,
        "Negative trends",
        "负面趋势",
        "Results are measured and show negative trends and/or results do not meet relevant targets.",
        "已测量结果，结果呈负面趋势，和/或未达到相关目标。",
    ),
    ScoreBand(
        31,
        50,
        "Flat trends",
        "趋势持平",
        "Results show flat trends and/or some relevant targets are met.",
        "结果趋势持平，和/或达到了部分相关目标。",
    ),
    ScoreBand(
        51,
        70,
        "Improving trends",
        "趋势改善",
        "Results show improving trends and/or most of the relevant targets are met.",
        "结果呈改善趋势，和/或达到了大部分相关目标。",
    ),
    ScoreBand(
        71,
        90,
        "Substantial progress",
        "显著进步",
        "Results show substantial progress and/or all the relevant targets are met.",
        "结果显示显著进步，和/或达到了全部相关目标。",
    ),
    ScoreBand(
        91,
        100,
        "Excellent and sustainable",
        "卓越且可持续",
        "Excellent and sustainable results are achieved. All the relevant targets are met. "
        "Positive comparisons with relevant organisations for all the key results are made.",
        "取得卓越且可持续的结果，全部相关目标均已达到，所有关键结果与相关组织比较均处于领先。",
    ),
)

_PANELS: Mapping[str, tuple[ScoreBand, ...]] = MappingProxyType(
    {"enabler": ENABLER_PANEL, "result": RESULT_PANEL}
)


def caf_band(kind: str, score: int) -> ScoreBand:
    """The band of the classical panel for `kind` ("enabler" or "result") that `score` falls in.

    Only whole numbers 0..100 of an integer type are scores: CAF scores in whole points, and accepting
    50.0 or "50" here would let a form or an import that parsed the wrong type through unnoticed. `bool` is
    an `int` to Python but never a score. Raises ValueError for anything else and for an unknown kind.
    """
    panel = _PANELS.get(kind)
    if panel is None:
        raise ValueError(f"unknown CAF panel kind {kind!r}: expected 'enabler' or 'result'")
    if isinstance(score, bool) or not isinstance(score, Integral):
        raise ValueError(f"a CAF score is a whole number from 0 to 100, not {score!r}")
    value = int(score)
    for band in panel:
        if band.low <= value <= band.high:
            return band
    raise ValueError(f"a CAF score is a whole number from 0 to 100, not {score!r}")


# ---------------------------------------------------------------------------------------------------------
# ISO 18091:2019 Annex A
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Iso18091Indicator:
    code: str
    quadrant: str
    name_en: str
    name_zh: str


# (code, name_en, name_zh). The English names are those of the Annex A text as published on iso18091.org;
# the standard's grouping and order.
ISO18091_QUADRANTS: tuple[tuple[str, str, str], ...] = (
    ("1", "Institutional development for good government", "促进良政的制度建设"),
    ("2", "Sustainable economic development", "可持续经济发展"),
    ("3", "Inclusive social development", "包容性社会发展"),
    ("4", "Sustainable environmental development", "可持续环境发展"),
)

# False until someone checks ISO18091_INDICATORS against a copy of ISO 18091:2019 Annex A. What public
# sources confirm: 39 indicators of public policy, the four quadrants above in this order, and the
# traffic-light rating. What they do not: the names below and how many fall in each quadrant (12, 8, 12,
# 7 here). The names follow, from memory and unverified, the 39-indicator set of Mexico's "Agenda desde lo
# Local" (INAFED), from which IWA 4 and ISO 18091 Annex A were developed; the 2019 edition may word or
# split them differently. Codes are positional ("quadrant.n"), so correcting a name keeps the code; a
# correction that moves an indicator to another quadrant changes codes and needs a data migration for
# any stored ratings.
ISO18091_INDICATOR_NAMES_CONFIRMED = False

ISO18091_INDICATORS: tuple[Iso18091Indicator, ...] = (
    Iso18091Indicator("1.1", "1", "Responsible and quality administration", "行政管理尽责、有质量"),
    Iso18091Indicator(
        "1.2", "1", "Associated and linked with other governments and bodies", "与其他政府和机构联动协作"
    ),
    Iso18091Indicator("1.3", "1", "Professionalized staff", "工作人员专业化"),
    Iso18091Indicator("1.4", "1", "Citizen participation", "公众参与"),
    Iso18091Indicator("1.5", "1", "Fiscally responsible", "财政收支负责"),
    Iso18091Indicator("1.6", "1", "Technically equipped and online", "技术装备完善、政务上网"),
    Iso18091Indicator("1.7", "1", "Legally ordered, with up-to-date regulations", "依法管理、规章健全"),
    Iso18091Indicator("1.8", "1", "Transparent", "公开透明"),
    Iso18091Indicator("1.9", "1", "Financially sound", "财务状况健康"),
    Iso18091Indicator("1.10", "1", "Public safety", "公共安全"),
    Iso18091Indicator("1.11", "1", "Civil protection", "民防与应急管理"),
    Iso18091Indicator("1.12", "1", "Accountable", "接受问责"),
    Iso18091Indicator("2.1", "2", "Innovative in economic alternatives", "探索经济发展新路径"),
    Iso18091Indicator("2.2", "2", "Promoter of local productive vocations", "培育本地优势产业"),
    Iso18091Indicator("2.3", "2", "Promoter of training for employment", "促进就业技能培训"),
    Iso18091Indicator("2.4", "2", "Promoter of tourism", "促进旅游业发展"),
    Iso18091Indicator("2.5", "2", "Connected internally and externally", "对内对外互联互通"),
    Iso18091Indicator("2.6", "2", "Promoter of the supply of basic goods", "保障基本生活物资供应"),
    Iso18091Indicator(
        "2.7", "2", "Promoter of agriculture, livestock, forestry and fisheries", "促进农林牧渔业发展"
    ),
    Iso18091Indicator("2.8", "2", "Promoter of industry, trade and services", "促进工商业和服务业发展"),
    Iso18091Indicator("3.1", "3", "Provider of basic public services", "提供基本公共服务"),
    Iso18091Indicator("3.2", "3", "Promoter of gender equity", "促进性别平等"),
    Iso18091Indicator("3.3", "3", "Responsible for the socially at-risk population", "关爱社会困难群体"),
    Iso18091Indicator("3.4", "3", "Promoter of health", "促进公共卫生与健康"),
    Iso18091Indicator("3.5", "3", "Promoter of quality basic education", "促进基础教育质量提升"),
    Iso18091Indicator("3.6", "3", "Promoter of decent housing", "促进住房保障"),
    Iso18091Indicator("3.7", "3", "Promoter of citizenship education", "开展公民素养教育"),
    Iso18091Indicator(
        "3.8", "3", "Promoter of culture and historic heritage", "繁荣文化事业、保护历史文化遗产"
    ),
    Iso18091Indicator("3.9", "3", "Promoter of sport and recreation", "促进体育和休闲事业"),
    Iso18091Indicator("3.10", "3", "Promoter of youth development", "促进青少年发展"),
    Iso18091Indicator(
        "3.11", "3", "Promoter of equal opportunities and poverty reduction", "促进机会均等、减少贫困"
    ),
    Iso18091Indicator(
        "3.12", "3", "Inclusive of ethnic groups and minorities", "尊重和包容少数民族及少数群体"
    ),
    Iso18091Indicator("4.1", "4", "Caring for the air", "保护空气质量"),
    Iso18091Indicator("4.2", "4", "Clean and responsible for its waste", "环境整洁、依规处置废弃物"),
    Iso18091Indicator("4.3", "4", "Caring for its image", "维护城乡面貌"),
    Iso18091Indicator("4.4", "4", "Protector of natural resources", "保护自然资源"),
    Iso18091Indicator("4.5", "4", "Territorially ordered", "国土空间规划有序"),
    Iso18091Indicator("4.6", "4", "Caring for water", "保护水资源"),
    Iso18091Indicator("4.7", "4", "Promoter of environmental education", "开展环境教育"),
)

# Worst first, the order a diagnostic summary reads them in.
TRAFFIC_LIGHTS: tuple[str, str, str] = ("red", "yellow", "green")

# light -> (label_en, label_zh)
TRAFFIC_LIGHT_LABELS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "red": ("Below the minimum acceptable, or non-existent", "低于最低可接受水平或尚未开展"),
        "yellow": ("Some practices in place, not yet reliable", "已有部分做法，但尚不可靠"),
        "green": ("Reliable: meets the minimum acceptable", "可靠：达到最低可接受水平"),
    }
)
