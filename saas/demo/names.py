"""Realistic multilingual demo values: names, cities, phones of CN, IR, AL, RU and the UK.

Faker is slow per call (tens of microseconds), so each locale draws a few thousand values once
into pools, and rows are composed from the pools with one ``random.Random``: a million
customers cost seconds, not minutes. Company names combine a stem, an industry word and a legal
form, so a million of them have tens of thousands of distinct spellings (the duplicate check and
the searches have real work). Faker has no Albanian locale: Albanian comes from the small word
lists below. Phones are E.164 numbers in each country's mobile ranges.
"""

# ruff: noqa: RUF001  (Cyrillic and CJK punctuation in the word lists are meant)
from __future__ import annotations

import random
from dataclasses import dataclass, field

#: Language of the UI, country, time zone and Faker locale of each demo "home".
HOMES: tuple[tuple[str, str, str, str | None], ...] = (
    ("zh", "CN", "Asia/Shanghai", "zh_CN"),
    ("fa", "IR", "Asia/Tehran", "fa_IR"),
    ("sq", "AL", "Europe/Tirane", None),
    ("ru", "RU", "Europe/Moscow", "ru_RU"),
    ("en", "GB", "Europe/London", "en_GB"),
)

_INDUSTRY = {
    "zh": ("科技", "贸易", "物流", "建材", "食品", "电子", "纺织", "医药", "化工", "机械",
           "网络", "文化", "农业", "能源", "咨询", "广告", "家具", "汽车", "印刷", "环保"),
    "fa": ("بازرگانی", "صنایع", "فناوری", "حمل و نقل", "ساختمانی", "غذایی", "پخش", "نساجی",
           "دارویی", "مهندسی", "تولیدی", "کشاورزی", "انرژی", "مشاوره", "تبلیغات", "خودرو"),
    "sq": ("Ndërtim", "Tregti", "Transport", "Ushqime", "Teknologji", "Turizëm", "Energji",
           "Konsulencë", "Farmaci", "Tekstil", "Mobilje", "Bujqësi", "Import-Eksport", "Media"),
    "ru": ("Трейд", "Строй", "Логистик", "Техно", "Агро", "Фарм", "Энерго", "Пром", "Сервис",
           "Торг", "Маш", "Инвест", "Мебель", "Авто", "Консалт", "Текстиль"),
    "en": ("Trading", "Logistics", "Software", "Foods", "Textiles", "Engineering", "Consulting",
           "Pharma", "Energy", "Media", "Furniture", "Motors", "Printing", "Farms", "Holdings"),
}  # fmt: skip

_LEGAL = {
    "zh": ("有限公司", "股份有限公司", "有限责任公司", "集团有限公司"),
    "fa": ("شرکت {} سهامی خاص", "شرکت {}", "گروه {}", "{} و شرکا"),
    "sq": ("{} sh.p.k.", "{} sh.a.", "{} SHPK", "Kompania {}"),
    "ru": ("ООО «{}»", "АО «{}»", "ИП {}", "ЗАО «{}»"),
    "en": ("{} Ltd", "{} LLC", "{} plc", "{} Group", "{} & Co"),
}

_SQ_FIRST = (
    "Arben",
    "Blerina",
    "Dritan",
    "Elira",
    "Fatmir",
    "Gentiana",
    "Ilir",
    "Jonida",
    "Klodian",
    "Lindita",
    "Mirela",
    "Ndriçim",
    "Orges",
    "Pranvera",
    "Rezart",
    "Sokol",
    "Teuta",
    "Valbona",
    "Xhesika",
    "Ylli",
    "Besnik",
    "Ermira",
    "Genti",
    "Erion",
    "Alketa",
    "Anila",
    "Bledar",
    "Edlira",
    "Flutura",
    "Gëzim",
    "Hysen",
    "Jetmir",
    "Kaltrina",
)
_SQ_LAST = (
    "Hoxha",
    "Shehu",
    "Leka",
    "Krasniqi",
    "Gashi",
    "Berisha",
    "Dervishi",
    "Kola",
    "Marku",
    "Hysa",
    "Çela",
    "Rama",
    "Basha",
    "Duka",
    "Topalli",
    "Meta",
    "Kadare",
    "Prifti",
    "Xhafa",
    "Zeneli",
    "Bregu",
    "Muça",
    "Lika",
    "Hasani",
    "Ismaili",
    "Vata",
)
_SQ_CITIES = (
    "Tiranë",
    "Durrës",
    "Vlorë",
    "Shkodër",
    "Elbasan",
    "Korçë",
    "Fier",
    "Berat",
    "Lushnjë",
    "Kavajë",
    "Gjirokastër",
    "Sarandë",
    "Pogradec",
    "Kukës",
    "Lezhë",
)
_CITIES = {
    "zh": ("北京", "上海", "广州", "深圳", "杭州", "成都", "武汉", "南京", "西安", "重庆", "天津",
           "苏州", "青岛", "长沙", "郑州", "宁波", "厦门", "义乌"),
    "fa": ("تهران", "مشهد", "اصفهان", "شیراز", "تبریز", "کرج", "قم", "اهواز", "کرمانشاه", "رشت",
           "یزد", "کرمان", "همدان", "اراک", "ارومیه", "بندرعباس"),
    "ru": ("Москва", "Санкт-Петербург", "Новосибирск", "Екатеринбург", "Казань", "Нижний Новгород",
           "Самара", "Ростов-на-Дону", "Краснодар", "Воронеж", "Пермь", "Уфа", "Владивосток"),
    "en": ("London", "Manchester", "Birmingham", "Leeds", "Glasgow", "Bristol", "Liverpool",
           "Edinburgh", "Cardiff", "Belfast", "Sheffield", "Nottingham", "Leicester", "Oxford"),
}  # fmt: skip
_SQ_STREETS = ("Rruga e Kavajës", "Bulevardi Dëshmorët e Kombit", "Rruga Myslym Shyri",
               "Rruga e Durrësit", "Rruga Ismail Qemali", "Rruga Sami Frashëri",
               "Rruga Dibrës", "Rruga Elbasanit", "Rruga Fan Noli")  # fmt: skip

#: Mobile ranges: (country code, prefixes, digits after the prefix).
_MOBILE = {
    "CN": ("86", ("139", "138", "136", "159", "186", "187", "177", "150"), 8),
    "IR": ("98", ("912", "935", "919", "901", "921", "937"), 7),
    "AL": ("355", ("69", "68", "67"), 7),
    "RU": ("7", ("916", "903", "925", "977", "985", "999"), 7),
    "GB": ("44", ("7700", "7911", "7800", "7456", "7523"), 6),
}

_NOTES = {
    "zh": ("客户要求下周报价", "已寄样品", "电话沟通，预算待定", "约了下周二见面"),
    "fa": ("مشتری پیش‌فاکتور خواست", "نمونه ارسال شد", "تماس گرفته شد، بودجه نامشخص"),
    "sq": ("Klienti kërkoi ofertë", "U dërguan mostrat", "Takim të martën"),
    "ru": ("Клиент просит КП", "Отправили образцы", "Созвонились, бюджет уточняется"),
    "en": ("Asked for a quote", "Samples sent", "Call back next week", "Met at the fair"),
}


@dataclass
class Pools:
    """Per-language pools a row is composed from."""

    language: str
    country: str
    stems: list[str] = field(default_factory=list)
    people: list[str] = field(default_factory=list)
    first: list[str] = field(default_factory=list)
    last: list[str] = field(default_factory=list)
    cities: list[str] = field(default_factory=list)
    streets: list[str] = field(default_factory=list)


def build_pools(seed: int, size: int = 1500) -> dict[str, Pools]:
    """One ``Pools`` per language of ``HOMES``, drawn once with Faker (seeded)."""
    from faker import Faker

    out: dict[str, Pools] = {}
    for language, country, _tz, locale in HOMES:
        pools = Pools(language, country)
        if locale is None:  # Albanian: no Faker locale
            pools.first, pools.last = list(_SQ_FIRST), list(_SQ_LAST)
            pools.people = [f"{f} {ln}" for f in _SQ_FIRST for ln in _SQ_LAST]
            pools.stems = list(_SQ_LAST) + [c for c in _SQ_CITIES]
            pools.cities, pools.streets = list(_SQ_CITIES), list(_SQ_STREETS)
        else:
            fake = Faker(locale)
            fake.seed_instance(seed)
            pools.first = sorted({fake.first_name() for _ in range(size // 5)})
            pools.last = sorted({fake.last_name() for _ in range(size // 5)})
            if language == "zh":
                pools.people = [ln + f for ln in pools.last for f in pools.first][: size * 4]
                pools.stems = sorted({fake.company_prefix() for _ in range(size)})
            else:
                pools.people = sorted({fake.name() for _ in range(size * 2)})
                pools.stems = sorted(set(pools.last) | {fake.first_name() for _ in range(50)})
            pools.cities = list(_CITIES[language])  # Faker's are often invented places
            pools.streets = sorted({fake.street_address() for _ in range(size // 3)})
        out[language] = pools
    return out


def company_name(rng: random.Random, pools: Pools) -> str:
    stem = rng.choice(pools.stems)
    industry = rng.choice(_INDUSTRY[pools.language])
    legal = rng.choice(_LEGAL[pools.language])
    if pools.language == "zh":
        return f"{stem}{industry}{legal}"
    core = f"{stem}-{industry}" if pools.language == "ru" else f"{stem} {industry}"
    return legal.format(core)


def person_name(rng: random.Random, pools: Pools) -> str:
    return rng.choice(pools.people)


def mobile(rng: random.Random, country: str) -> str:
    """An E.164 mobile number of ``country``."""
    code, prefixes, digits = _MOBILE[country]
    rest = rng.randrange(10 ** (digits - 1), 10**digits)
    return f"+{code}{rng.choice(prefixes)}{rest}"


def note_text(rng: random.Random, language: str) -> str:
    return rng.choice(_NOTES[language])


_POSITIONS = {
    "zh": ("总经理", "采购经理", "销售总监", "财务主管", "技术总监", "行政助理"),
    "fa": ("مدیرعامل", "مدیر خرید", "مدیر فروش", "مدیر مالی", "کارشناس فنی", "دستیار اداری"),
    "sq": ("Drejtor i përgjithshëm", "Menaxher prokurimi", "Drejtor shitjesh", "Financier",
           "Drejtor teknik", "Asistent"),
    "ru": ("Генеральный директор", "Менеджер по закупкам", "Коммерческий директор",
           "Главный бухгалтер", "Технический директор", "Офис-менеджер"),
    "en": ("Managing Director", "Purchasing Manager", "Sales Director", "Finance Manager",
           "Technical Director", "Office Manager"),
}  # fmt: skip


def position(rng: random.Random, language: str) -> str:
    return rng.choice(_POSITIONS[language])


def email_address(name: str, number: int, k: int) -> str:
    """A contact's address: ``Given.Family@…`` when the name has Latin letters, else
    ``contact<k>@…`` (the capitals are what ``email_key`` folds)."""
    import unicodedata

    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    local = ".".join(part for part in ascii_name.replace("-", " ").split() if part.isalpha())
    return f"{local or f'Contact{k}'}@Customer{number}.example.com"
