"""The demo's data as tables: schools, staff, classes, exchanges and their sessions, the
Alliance's MOUs and training, the scripted sessions' lines, the applications, the
showcase and the published case. Nothing here touches the database (``base``,
``replay``, ``extras`` and ``case`` build from it).

Demo passwords are fixed (the README prints them); students' codes are not here: they
are derived from the instance's secret key (``base.demo_code``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from ..models import ExchangeMode, MouStatus, Role, SessionStatus, TrainingKind

# The demo's sessions that are not "now" happen in school hours in all three zones.
SCHOOL_HOUR = time(6, 0, tzinfo=UTC)  # 14:00 in Taipei, 15:00 in Tokyo and Seoul


def at_school_hour(day: date) -> datetime:
    """That day at ``SCHOOL_HOUR``."""
    return datetime.combine(day, SCHOOL_HOUR)


def table(columns: str, *rows: tuple[Any, ...]) -> list[dict[str, Any]]:
    """Rows as dicts, by the space-separated column names."""
    names = columns.split()
    return [dict(zip(names, row, strict=True)) for row in rows]


SCHOOLS = table(
    "slug country region timezone name_zh_tw name_en name_ja name_ko",
    (
        "taipei-daan",
        "TW",
        "Taipei",
        "Asia/Taipei",
        "臺北市立大安國民中學",
        "Taipei Da-An Junior High School",
        "台北市立大安国民中学",
        "타이베이 시립 다안 중학교",
    ),
    (
        "shizuoka-aoi",
        "JP",
        "Shizuoka",
        "Asia/Tokyo",
        "靜岡市立葵中學",
        "Shizuoka Aoi Junior High School",
        "静岡市立葵中学校",
        "시즈오카 시립 아오이 중학교",
    ),
    (
        "seoul-hanbit",
        "KR",
        "Seoul",
        "Asia/Seoul",
        "首爾韓光中學",
        "Seoul Hanbit Middle School",
        "ソウル・ハンビッ中学校",
        "서울한빛중학교",
    ),
)

# fmt: off
STAFF = table(
    "username password role school display_name locale",
    ("lin.teacher", "demo-lin-2024", Role.TEACHER, "taipei-daan", "林美華 老師", "zh_Hant_TW"),
    ("sato.teacher", "demo-sato-2024", Role.TEACHER, "shizuoka-aoi", "佐藤 健 先生", "ja"),
    ("kim.teacher", "demo-kim-2024", Role.TEACHER, "seoul-hanbit", "김지현 선생님", "ko"),
    ("chen.reviewer", "demo-review-2024", Role.REVIEWER, "taipei-daan",
     "陳怡君 (Alliance)", "zh_Hant_TW"),
    ("admin", "demo-admin-2024", Role.ADMIN, "taipei-daan", "Platform admin", "en"),
)

CLASSES = table(
    "school name grade teacher students",
    ("taipei-daan", "八年三班", 8, "lin.teacher", ("王小明", "陳怡安", "李佳蓉", "張家豪")),
    ("shizuoka-aoi", "2年1組", 8, "sato.teacher",
     ("山田 花子", "鈴木 大翔", "高橋 結衣", "伊藤 蓮")),
    ("seoul-hanbit", "2학년 3반", 8, "kim.teacher", ("박서연", "이민준", "최지우", "정하준")),
)

# This academic year's exchanges (agreed on by both classes, approved by the Alliance).
EXCHANGES = table(
    "title classes sdgs mode",
    ("Climate action across the sea", ("taipei-daan", "shizuoka-aoi"), [13, 14],
     ExchangeMode.ONLINE),
    ("Clean energy at our schools", ("taipei-daan", "seoul-hanbit"), [7, 11],
     ExchangeMode.ONLINE),
)

# Their sessions, by exchange (an index of EXCHANGES): one live now (started 15 minutes
# ago), two scheduled. A live session's ``starts`` is from now; a scheduled one's is from
# today's midnight UTC, so it falls in school hours whatever the hour the demo is loaded
# (05:00 UTC is 13:00 in Taipei, 14:00 in Tokyo and Seoul).
SESSIONS = table(
    "exchange title sdgs status starts length",
    (0, "Our rivers and the sea", [14], SessionStatus.LIVE,
     timedelta(minutes=-15), timedelta(hours=2)),
    (0, "Typhoons, heavy rain and us", [13], SessionStatus.SCHEDULED,
     timedelta(days=7, hours=5), timedelta(minutes=90)),
    (1, "Saving energy in our classrooms", [7], SessionStatus.SCHEDULED,
     timedelta(days=3, hours=6), timedelta(hours=1)),
)
# fmt: on

# The Alliance's 113th year as the demo tells it: MOUs with Shikoku, Chiba and Miyagi,
# one planned with Shizuoka for 114, and two educator-training events.
MOUS = table(
    "region country authority status signed_on academic_year",
    ("Shikoku", "JP", "四国4県教育委員会", MouStatus.SIGNED, date(2024, 9, 20), 113),
    ("Chiba", "JP", "千葉県教育委員会", MouStatus.SIGNED, date(2024, 11, 15), 113),
    ("Miyagi", "JP", "宮城県教育委員会", MouStatus.SIGNED, date(2025, 3, 10), 113),
    ("Shizuoka", "JP", "静岡県教育委員会", MouStatus.PLANNED, None, 114),
)
# fmt: off
TRAINING = table(
    "title kind held_on online place head_count participants",
    ("核心工作小組：規劃本學年的交流", TrainingKind.TASK_FORCE, date(2024, 10, 19), False,
     "臺北市立大安國民中學", 120, ()),
    ("接待靜岡來訪師生", TrainingKind.HOST_FAMILY, date(2025, 3, 8), True, None, None,
     (("林美華", "臺北市立大安國民中學"), ("陳怡君", "臺北市立大安國民中學"),
      ("黃志明", "臺北市立大安國民中學"))),
)
# fmt: on

# --- the scripted sessions -------------------------------------------------------
# Each line: (minutes after the previous line, who, what, *what it takes). Who is a
# school's teacher ("tw", "jp", "kr") or its students by index ("tw0", "jp1", …: in
# PAST_SCRIPT the order the database gives the class's students, as it always was; in
# CASE_SCRIPT the order of CLASSES, which CASE_CONSENT's names rely on); several people,
# space-separated, do the same thing a tenth of a minute apart. What:
#   open, close, join, pin (the last message), react EMOJI (to the last message),
#   say TEXT, hide REASON (the last message), flag REASON (the last message),
#   note COLUMN TEXT, vote N (the N-th note of the script),
#   poll QUESTION ANSWER… (opened), answer N (the last poll), end-poll.

# Two weeks ago, in the Taiwan–Japan exchange: a sealed session of the plain demo.
PAST: dict[str, Any] = dict(exchange=0, title="Plastic on our beaches", sdgs=[14, 12], length=50)
# fmt: off
PAST_SCRIPT: list[tuple[Any, ...]] = [
    (0, "tw", "open"),
    (1, "tw", "join"),
    (0.2, "jp", "join"),
    (0.5, "tw0", "join"),
    (0.1, "tw1 tw2", "join"),
    (0.2, "jp0", "join"),
    (0.1, "jp1 jp2", "join"),
    (1, "tw", "say", "Welcome! Today: plastic on our beaches. "
     "What did you find on your beach clean-up?"),
    (0.2, "tw", "pin"),
    (2, "tw0", "say", "我們在淡水的海邊撿到很多寶特瓶和吸管。"),
    (1, "jp0", "say", "私たちは用宗海岸でペットボトルのふたをたくさん見つけました。"),
    (0.5, "tw1", "react", "👍"),
    (1, "tw2", "say", "Some bottles had Japanese and Korean labels on them!"),
    (1, "jp1", "say", "海流で台湾から日本にも来るのかな？"),
    (0.5, "tw0", "say", "lol this is boring"),
    (0.3, "jp", "hide", "Off topic"),
    (1, "jp0", "note", "see", "ペットボトルのふたが一番多い"),
    (0.5, "tw0", "note", "see", "吸管和塑膠袋很多"),
    (1, "tw1", "note", "why", "颱風把垃圾從河流帶到海裡"),
    (1, "jp2", "note", "why", "海流が国と国をつないでいる"),
    (1, "tw2", "note", "do", "Bring our own cups and bottles to school"),
    (0.5, "jp1", "note", "do", "月に一回、海岸清掃をする"),
    (0.5, "jp0", "vote", 0),
    (0.2, "tw1", "vote", 4),
    (0.2, "jp2", "vote", 4),
    (0.2, "tw0", "vote", 5),
    (2, "jp", "say", "Great ideas. Let's each try one action before next month."),
    (30, "tw", "close"),
]
# fmt: on

# Last academic year, the Japan–Korea exchange, completed: its one session (with a poll
# and a flagged message the teacher hid) is the published case's source
# (``seed-demo --with-case``).
CASE_EXCHANGE: dict[str, Any] = dict(
    title="What happens to our old clothes",
    classes=("shizuoka-aoi", "seoul-hanbit"),
    sdgs=[12],
    author="sato.teacher",
    summary="Both classes held a clothes swap day; 140 pieces found a new owner.",
)
CASE_SESSION: dict[str, Any] = dict(title="Our clothes, where do they go?", sdgs=[12], length=50)
# fmt: off
CASE_SCRIPT: list[tuple[Any, ...]] = [
    (0, "jp", "open"),
    (1, "jp kr jp0 jp1 jp2 kr0 kr1 kr2", "join"),
    (1, "jp", "say", "Welcome! Today: the clothes we no longer wear. Where do yours go?"),
    (2, "jp0", "say", "うちでは着なくなった服を、スーパーの回収ボックスに出しています。"),
    (1, "kr0", "say", "저희 학교에는 선배들이 교복을 물려주는 날이 있어요."),
    (1, "kr1", "say", "Making one cotton T-shirt takes about 2,700 litres of water!"),
    (0.5, "jp1", "react", "👍"),
    (1, "jp2", "say", "そんなに！捨てるのはもったいないね。"),
    (1, "kr", "poll", "Which would you try first?",
     "Swap clothes with friends", "Repair what is torn", "Buy second-hand"),
    (0.5, "jp0 jp1 kr1", "answer", 0),
    (0.3, "kr0 jp2", "answer", 1),
    (0.3, "kr2", "answer", 2),
    (1, "kr", "end-poll"),
    (0.5, "kr2", "say", "Only people with no money wear old clothes lol"),
    (0.4, "kr0", "flag", "Unkind to others"),
    (0.5, "kr", "hide", "Unkind: we talk about ideas, not people"),
    (1, "kr0", "note", "do", "우리 반 교복 물려주기 날 만들기"),
    (0.5, "jp0", "note", "do", "クラスで服の交換会をする"),
    (0.5, "kr1", "note", "why", "Fast fashion uses a lot of water"),
    (0.5, "jp1 kr0 kr1", "vote", 1),
    (2, "kr", "say", "Swapping won the poll: let's both hold a swap day this month."),
    (0.2, "kr", "pin"),
    (30, "jp", "close"),
]
# fmt: on
# Whose guardians agreed that their words may appear in a published case (the roster's
# ``publish_consent``): only these students are quoted.
CASE_CONSENT = (
    ("shizuoka-aoi", "山田 花子"),
    ("seoul-hanbit", "박서연"),
    ("seoul-hanbit", "이민준"),
)
# The case, written by the Shizuoka teacher in Japanese, with the other three languages.
CASE_LANG = "ja"
# fmt: off
CASE_TEXTS = table(
    "lang title summary",
    ("ja", "古着のゆくえ：静岡とソウルの交換会",
     "着なくなった服はどこへ行くのか、静岡とソウルの2年生が話し合いました。"
     "投票では「友だちと服を交換する」がいちばん人気で、両校で服の交換会を開き、"
     "140着が新しい持ち主に渡りました。"),
    ("en", "Where our old clothes go: a swap in Shizuoka and Seoul",
     "Eighth-graders in Shizuoka and Seoul asked where the clothes they no longer wear go. "
     "Swapping with friends won their poll; both schools held a swap day, and 140 pieces "
     "found a new owner."),
    ("zh-TW", "舊衣服去哪裡：靜岡與首爾的換衣日",
     "靜岡和首爾的八年級學生討論不再穿的衣服去了哪裡。投票中「和朋友交換衣服」最受歡迎；"
     "兩校各辦了一次換衣日，140件衣服找到了新主人。"),
    ("ko", "헌 옷은 어디로 갈까: 시즈오카와 서울의 옷 교환의 날",
     "시즈오카와 서울의 중학교 2학년 학생들이 더 이상 입지 않는 옷이 어디로 가는지 이야기했습니다. "
     "투표에서는 '친구와 옷 바꾸기'가 가장 인기였고, 두 학교가 옷 교환의 날을 열어 "
     "140벌이 새 주인을 찾았습니다."),
)
# fmt: on

# --- seed-demo --with-applications, --with-showcase ----------------------------------

# Applications still on their way (``make run``): one waiting for the Shizuoka teacher's
# answer, one accepted and waiting for the Alliance, one asking the Alliance to find a
# Korean partner class. Made through the real actions, so their history reads as it would.
# fmt: off
APPLICATIONS = table(
    "proposer school partners partner_country accepted_by title sdgs mode goals",
    ("lin.teacher", "taipei-daan", ("shizuoka-aoi",), None, None, "Rivers that reach the sea",
     [6, 14], "online", "Compare our rivers and what they carry to the sea."),
    ("sato.teacher", "shizuoka-aoi", ("taipei-daan",), None, "lin.teacher",
     "School lunches without waste", [2, 12], "online",
     "Weigh what our lunches leave behind, and halve it."),
    ("lin.teacher", "taipei-daan", (), "KR", None, "A week in Seoul: urban heat", [11, 13],
     "in_person", "Measure and map the heat of our streets, in person."),
)
# fmt: on
ACCEPT_COMMENT = "很樂意！我們班已經在秤午餐的剩食了。"

# An upcoming showcase (``forum.exchanges.showcases``): the Taipei class presents its
# exchange, the Seoul class has signed up as audience.
SHOWCASE: dict[str, Any] = dict(
    title="Showcase: what our beach clean-up taught us",
    sdgs=[14],
    description="The Taipei class shares how its exchange with Shizuoka worked.",
    presenting=["taipei-daan"],
    audience=["seoul-hanbit"],
)
