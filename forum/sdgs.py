"""The 17 UN Sustainable Development Goals: number, official colour, short names.

Short names follow the UN's official icon titles in each language
(繁體中文 as used by Taiwan's National Council for Sustainable Development).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import get_locale


@dataclass(frozen=True)
class Goal:
    number: int
    colour: str
    names: dict[str, str]

    def name(self, locale: str | None = None) -> str:
        """Short name in a UI language (zh_Hant_TW, en, ja, ko)."""
        lang = (locale or str(get_locale() or "en")).split("_")[0]
        return self.names.get(lang, self.names["en"])

    @property
    def text_colour(self) -> str:
        """Black or white, whichever reads on the goal's colour."""
        r, g, b = (int(self.colour[i : i + 2], 16) for i in (1, 3, 5))
        return "#000000" if (0.299 * r + 0.587 * g + 0.114 * b) > 160 else "#ffffff"


_DATA: list[tuple[int, str, str, str, str, str]] = [
    (1, "#E5243B", "No Poverty", "消除貧窮", "貧困をなくそう", "빈곤 퇴치"),
    (2, "#DDA63A", "Zero Hunger", "終結飢餓", "飢餓をゼロに", "기아 종식"),
    (
        3,
        "#4C9F38",
        "Good Health and Well-being",
        "健康與福祉",
        "すべての人に健康と福祉を",
        "건강과 웰빙",
    ),
    (4, "#C5192D", "Quality Education", "優質教育", "質の高い教育をみんなに", "양질의 교육"),
    (5, "#FF3A21", "Gender Equality", "性別平等", "ジェンダー平等を実現しよう", "성평등"),
    (
        6,
        "#26BDE2",
        "Clean Water and Sanitation",
        "淨水及衛生",
        "安全な水とトイレを世界中に",
        "깨끗한 물과 위생",
    ),
    (
        7,
        "#FCC30B",
        "Affordable and Clean Energy",
        "可負擔的潔淨能源",
        "エネルギーをみんなに そしてクリーンに",
        "깨끗한 에너지",
    ),
    (
        8,
        "#A21942",
        "Decent Work and Economic Growth",
        "尊嚴就業與經濟發展",
        "働きがいも経済成長も",
        "양질의 일자리와 경제성장",
    ),
    (
        9,
        "#FD6925",
        "Industry, Innovation and Infrastructure",
        "產業創新與基礎建設",
        "産業と技術革新の基盤をつくろう",
        "산업, 혁신과 사회기반시설",
    ),
    (
        10,
        "#DD1367",
        "Reduced Inequalities",
        "減少不平等",
        "人や国の不平等をなくそう",
        "불평등 감소",
    ),
    (
        11,
        "#FD9D24",
        "Sustainable Cities and Communities",
        "永續城鄉",
        "住み続けられるまちづくりを",
        "지속가능한 도시와 공동체",
    ),
    (
        12,
        "#BF8B2E",
        "Responsible Consumption and Production",
        "責任消費及生產",
        "つくる責任 つかう責任",
        "지속가능한 소비와 생산",
    ),
    (13, "#3F7E44", "Climate Action", "氣候行動", "気候変動に具体的な対策を", "기후변화 대응"),
    (14, "#0A97D9", "Life Below Water", "保育海洋生態", "海の豊かさを守ろう", "해양 생태계 보존"),
    (15, "#56C02B", "Life on Land", "保育陸域生態", "陸の豊かさも守ろう", "육상 생태계 보호"),
    (
        16,
        "#00689D",
        "Peace, Justice and Strong Institutions",
        "和平、正義及健全制度",
        "平和と公正をすべての人に",
        "정의, 평화, 효과적인 제도",
    ),
    (
        17,
        "#19486A",
        "Partnerships for the Goals",
        "多元夥伴關係",
        "パートナーシップで目標を達成しよう",
        "지구촌 협력 강화",
    ),
]

GOALS: dict[int, Goal] = {
    n: Goal(n, colour, {"en": en, "zh": zh, "ja": ja, "ko": ko})
    for n, colour, en, zh, ja, ko in _DATA
}


def goal(number: int) -> Goal:
    """The goal with that number; KeyError for anything but 1–17."""
    return GOALS[number]


def parse_goals(raw: object) -> list[int]:
    """A sorted, de-duplicated list of goal numbers, or ValueError."""
    if not isinstance(raw, list | tuple) or not raw:
        raise ValueError("empty")
    numbers: set[int] = set()
    for item in raw:
        if isinstance(item, bool):
            raise ValueError(item)
        try:
            n = int(item)
        except (TypeError, ValueError):
            raise ValueError(item) from None
        if str(item).strip() != str(n) and not isinstance(item, int):
            raise ValueError(item)
        if n not in GOALS:
            raise ValueError(item)
        numbers.add(n)
    return sorted(numbers)
