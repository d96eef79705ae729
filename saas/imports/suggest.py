# ruff: noqa: RUF001, RUF002 - Chinese, Persian, Russian and full-width text is the point
"""Suggested column mapping: which Baza field each column of an uploaded table feeds.

Headers are compared folded (``customers.folding.fold``: NFKC, lower case, Arabic letters as
Persian, Persian digits as ASCII), then without accents, spaces and punctuation, so "E-mail",
"email" and "ＥＭＡＩＬ", "Emri i kompanise" and "Emri i kompanisë", "نام شركت" and "نام شرکت"
are one header. Order: a custom field's label, an exact synonym (English, Chinese, Persian,
Albanian, Russian), a synonym with a trailing number or note in brackets removed ("Phone 2",
"Email (work)"), a keyword inside the header ("Mobile number"), then the values of a column
whose header says nothing (emails, phones, web addresses). Each target is used once, except
contact phones and emails, which may take several columns.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from saas.customers.folding import fold

CUSTOMER_TARGETS = (
    "name",
    "kind",
    "industry",
    "level",
    "stage",
    "source",
    "country",
    "city",
    "address",
    "website",
    "tags",
    "comments",
    "purchase_preferences",
    "owner",
    "number",
)
CONTACT_TARGETS = (
    "contact.name",
    "contact.position",
    "contact.phone_mobile",
    "contact.phone_work",
    "contact.phone_home",
    "contact.fax",
    "contact.email",
    "contact.birthday",
    "contact.notes",
    "contact.interests",
)
#: The fixed vocabulary (custom fields add ``cf.<key>``).
TARGETS: tuple[str, ...] = CUSTOMER_TARGETS + CONTACT_TARGETS
#: Targets more than one column may feed.
REPEATABLE = frozenset(
    {
        "contact.phone_mobile",
        "contact.phone_work",
        "contact.phone_home",
        "contact.fax",
        "contact.email",
    }
)

# fmt: off
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": (
        "company", "company name", "customer", "customer name", "client", "client name",
        "organization", "organisation", "account", "account name", "business name", "firm",
        "客户名称", "公司名称", "名称", "客户", "公司", "企业名称", "单位名称", "客户名",
        "公司名", "单位", "نام شرکت", "نام مشتری", "شرکت", "مشتری", "نام سازمان", "سازمان",
        "emri i kompanisë", "kompania", "klienti", "emri i klientit", "kompani", "klient",
        "компания", "клиент", "название компании", "наименование", "организация", "название",
        "контрагент", "название организации",
    ),
    "kind": (
        "kind", "type", "customer type", "client type", "类型", "客户类型", "类别", "نوع",
        "نوع مشتری", "lloji", "lloji i klientit", "тип", "тип клиента", "вид",
    ),
    "industry": (
        "industry", "sector", "business", "行业", "所属行业", "صنعت", "حوزه فعالیت",
        "industria", "sektori", "отрасль", "сфера деятельности", "индустрия",
    ),
    "level": (
        "level", "grade", "rating", "tier", "priority", "级别", "客户级别", "等级", "客户等级",
        "سطح", "رتبه", "درجه", "سطح مشتری", "niveli", "kategoria", "уровень", "категория",
        "рейтинг",
    ),
    "stage": (
        "stage", "status", "pipeline stage", "阶段", "状态", "客户阶段", "مرحله", "وضعیت",
        "faza", "statusi", "этап", "стадия", "статус",
    ),
    "source": (
        "source", "lead source", "channel", "来源", "客户来源", "渠道", "منبع", "منبع آشنایی",
        "کانال", "burimi", "источник", "канал",
    ),
    "country": (
        "country", "country/region", "国家", "国家/地区", "کشور", "shteti", "vendi", "страна",
    ),
    "city": (
        "city", "town", "城市", "所在城市", "شهر", "qyteti", "город",
    ),
    "address": (
        "address", "street", "地址", "详细地址", "公司地址", "آدرس", "نشانی", "adresa",
        "adresë", "адрес", "юридический адрес", "фактический адрес",
    ),
    "website": (
        "website", "web page", "webpage", "home page", "web site", "web", "url", "homepage",
        "site", "网站", "网址", "官网", "主页", "وب سایت", "وبسایت", "سایت", "faqja web",
        "uebsajti", "faqja", "сайт", "веб-сайт",
    ),
    "tags": (
        "tags", "tag", "labels", "标签", "برچسب", "برچسب ها", "etiketa", "теги", "метки",
    ),
    "comments": (
        "comments", "comment", "notes", "note", "remarks", "remark", "description", "备注",
        "说明", "描述", "توضیحات", "یادداشت", "شرح", "ملاحظات", "shënime", "shënim", "komente",
        "përshkrimi", "примечание", "примечания", "комментарий", "комментарии", "заметки",
        "описание",
    ),
    "purchase_preferences": (
        "purchase preferences", "preferences", "buying preferences", "购买偏好", "采购偏好",
        "偏好", "ترجیحات خرید", "ترجیحات", "preferencat e blerjes", "preferencat",
        "предпочтения", "предпочтения при покупке",
    ),
    "owner": (
        "owner", "manager", "account manager", "sales rep", "salesperson", "responsible",
        "assigned to", "负责人", "销售", "客户经理", "业务员", "跟进人", "销售负责人", "所有者",
        "مسئول", "کارشناس فروش", "کارشناس", "مدیر حساب", "مالک", "përgjegjësi", "menaxheri",
        "agjenti", "ответственный", "менеджер", "ответственный менеджер",
    ),
    "number": (
        # not "No.", "№", "序号", "ردیف", "Nr.": those number the rows of the sheet
        "number", "id", "code", "customer number", "customer no", "customer id",
        "customer code", "client number", "account number", "编号", "客户编号", "代码",
        "客户代码", "شماره", "کد", "کد مشتری", "شماره مشتری", "numri", "kodi",
        "kodi i klientit", "номер", "код", "код клиента", "номер клиента",
    ),
    "contact.name": (
        "contact", "contact name", "contact person", "person", "full name", "name", "联系人",
        "联系人姓名", "姓名", "名字", "联络人", "نام تماس", "شخص تماس", "فرد رابط", "رابط",
        "مخاطب", "نام مخاطب", "شخص مخاطب",
        "نام و نام خانوادگی", "نام", "personi i kontaktit", "kontakti", "emri",
        "emri dhe mbiemri", "personi kontaktues", "контактное лицо", "контакт", "фио", "имя",
        "контактное имя",
    ),
    "contact.position": (
        "position", "title", "job title", "role", "job", "职位", "职务", "岗位", "头衔", "سمت",
        "عنوان شغلی", "شغل", "pozicioni", "detyra", "titulli", "должность",
    ),
    "contact.phone_mobile": (
        "mobile", "mobile phone", "cell", "cell phone", "cellphone", "handy", "whatsapp",
        "手机", "手机号", "手机号码", "移动电话", "تلفن همراه", "موبایل", "همراه",
        "شماره همراه", "شماره موبایل", "celulari", "celular", "nr celulari", "mobile",
        "мобильный", "мобильный телефон", "сотовый", "моб телефон", "моб",
    ),
    "contact.phone_work": (
        "phone", "telephone", "tel", "phone number", "work phone", "office phone",
        "business phone", "电话", "联系电话", "办公电话", "座机", "固定电话", "电话号码",
        "تلفن", "تلفن ثابت", "تلفن محل کار", "شماره تلفن", "تلفن دفتر", "telefoni", "telefon",
        "nr telefoni", "телефон", "рабочий телефон", "телефон рабочий",
    ),
    "contact.phone_home": (
        "home phone", "住宅电话", "家庭电话", "تلفن منزل", "telefoni i shtëpisë",
        "домашний телефон",
    ),
    "contact.fax": (
        "fax", "传真", "فکس", "فاکس", "faks", "факс",
    ),
    "contact.email": (
        "email", "e-mail", "mail", "email address", "邮箱", "电子邮件", "电子邮箱", "邮件",
        "ایمیل", "پست الکترونیک", "رایانامه", "posta elektronike", "emaili", "эл почта",
        "электронная почта", "почта", "емейл",
    ),
    "contact.birthday": (
        "birthday", "date of birth", "birth date", "dob", "生日", "出生日期", "تاریخ تولد",
        "تولد", "datëlindja", "ditëlindja", "data e lindjes", "дата рождения", "день рождения",
    ),
    "contact.notes": (
        "contact notes", "contact note", "联系人备注", "یادداشت تماس", "shënime për kontaktin",
        "примечание к контакту",
    ),
    "contact.interests": (
        "interests", "hobbies", "hobby", "爱好", "兴趣", "兴趣爱好", "علاقه مندی ها", "علایق",
        "سرگرمی", "interesat", "hobi", "интересы", "хобби", "увлечения",
    ),
}
# fmt: on

#: Keywords found inside a longer header, in the order they are tried.
# fmt: off
_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("contact.fax", "fax"), ("contact.fax", "传真"), ("contact.fax", "فکس"),
    ("contact.fax", "факс"), ("contact.email", "email"), ("contact.email", "e-mail"),
    ("contact.email", "邮箱"), ("contact.email", "邮件"), ("contact.email", "ایمیل"),
    ("contact.email", "почт"), ("contact.phone_mobile", "mobile"),
    ("contact.phone_mobile", "cell"), ("contact.phone_mobile", "手机"),
    ("contact.phone_mobile", "موبایل"), ("contact.phone_mobile", "همراه"),
    ("contact.phone_mobile", "мобил"), ("contact.phone_mobile", "celular"),
    ("contact.phone_home", "home phone"), ("contact.phone_home", "домашн"),
    ("contact.phone_work", "phone"), ("contact.phone_work", "tel"),
    ("contact.phone_work", "电话"), ("contact.phone_work", "تلفن"),
    ("contact.phone_work", "телефон"), ("contact.phone_work", "telefon"),
    ("contact.birthday", "birth"), ("contact.birthday", "生日"), ("contact.birthday", "تولد"),
    ("contact.birthday", "рожден"), ("contact.birthday", "lindj"), ("website", "website"),
    ("website", "网址"), ("website", "网站"), ("website", "سایت"), ("website", "сайт"),
    ("address", "address"), ("address", "地址"), ("address", "آدرس"), ("address", "адрес"),
    ("address", "adres"), ("city", "city"), ("city", "城市"), ("city", "город"),
    ("city", "qytet"), ("contact.position", "position"), ("contact.position", "职位"),
    ("contact.position", "должност"), ("name", "company"), ("name", "customer"),
    ("name", "客户名"), ("name", "公司名"), ("name", "компани"), ("contact.name", "contact"),
    ("contact.name", "联系人"), ("contact.name", "контакт"), ("contact.name", "مخاطب"),
)
# fmt: on

_TRAILER = re.compile(r"(?:\s*[(（\[].*[)）\]]|\s*[#№]?\s*\d+|\s*[*:：])+$")


def _key(header: str | None) -> str:
    """A header folded, without accents, spaces or punctuation."""
    folded = fold(header or "") or ""
    decomposed = unicodedata.normalize("NFKD", folded)
    kept = (
        ch
        for ch in decomposed
        if not unicodedata.category(ch).startswith(("M", "P", "Z", "S", "C"))
    )
    return unicodedata.normalize("NFC", "".join(kept))


def _build_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for target, words in _SYNONYMS.items():
        for word in words:
            index.setdefault(_key(word), target)
    index.pop("", None)
    return index


_VCARD_TARGETS = (
    "contact.name",
    "name",
    "contact.position",
    "contact.phone_mobile",
    "contact.phone_work",
    "contact.phone_home",
    "contact.fax",
    "contact.email",
    "contact.birthday",
    "contact.notes",
)
_INDEX = _build_index()
#: A bare "name": the customer's name, unless another column already is.
_GENERIC_NAMES = frozenset(_key(w) for w in ("name", "نام", "emri", "名称", "наименование"))

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_URL = re.compile(
    r"(?:https?://|www\.)\S+|[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|org|cn|ir|ru|al|io|co)(?:/\S*)?",
    re.I,
)
_PHONE = re.compile(r"\+?[\d\s().\-/]{7,25}")


def _sniff(values: list[Any]) -> str | None:
    """A target recognised from a column's values (80% of the non-blank ones agree)."""
    from saas.imports.values import cell_text

    cells = [t for t in (cell_text(v) for v in values) if t]
    if len(cells) < 1:
        return None
    need = max(1, int(len(cells) * 0.8 + 0.999))

    def count(test: Any) -> int:
        return sum(1 for c in cells if test(c))

    if count(lambda c: _EMAIL.fullmatch(c)) >= need:
        return "contact.email"
    if count(lambda c: _URL.fullmatch(c)) >= need:
        return "website"

    def phone(c: str) -> bool:
        from saas.imports.values import _ascii_digits

        c = _ascii_digits(c)
        if not _PHONE.fullmatch(c):
            return False
        c = c.strip()
        digits = re.sub(r"\D", "", c)
        if not 7 <= len(digits) <= 15:
            return False
        # a date or a decimal number is not a phone
        if re.fullmatch(r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}|\d+\.\d+", c):
            return False
        # bare digits are an amount or a code, unless they start with 0 or are a Chinese
        # mobile number (11 digits from 1)
        return not c.isdigit() or c.startswith("0") or (len(c) == 11 and c.startswith("1"))

    if count(phone) >= need:
        return "contact.phone_mobile"
    return None


def suggest(
    columns: list[str],
    sample: list[list[Any]],
    *,
    custom_fields: Sequence[tuple[str, str]] = (),
) -> list[str | None]:
    """One target key (or None: ignore) per column, from the headers and the ``sample`` rows."""
    from saas.imports.reading import VCARD_COLUMNS, vcard_labels

    if columns in ([label for _k, label in VCARD_COLUMNS], vcard_labels()):
        return list(_VCARD_TARGETS)  # the vCard table's fixed columns
    index = _INDEX
    custom: dict[str, str] = {}
    for key, label in custom_fields:
        if _key(label):
            custom.setdefault(_key(label), f"cf.{key}")

    keys = [_key(c) for c in columns]
    result: list[str | None] = [None] * len(columns)
    used: set[str] = set()

    def take(i: int, target: str | None) -> bool:
        if target is None or result[i] is not None:
            return False
        if target in used and target not in REPEATABLE:
            return False
        result[i] = target
        used.add(target)
        return True

    for i, k in enumerate(keys):  # custom fields first: the company named them
        take(i, custom.get(k))
    for i, k in enumerate(keys):  # exact synonyms (a bare "Name" waits)
        if k and k not in _GENERIC_NAMES:
            take(i, index.get(k))
    for i, column in enumerate(columns):  # "Phone 2", "Email (work)", "客户名称*"
        stripped = _key(_TRAILER.sub("", column or ""))
        if stripped and stripped != keys[i] and stripped not in _GENERIC_NAMES:
            take(i, custom.get(stripped) or index.get(stripped))
    for i, k in enumerate(keys):  # a bare "Name": the customer's if nothing else is
        if k in _GENERIC_NAMES:
            take(i, "name") or take(i, "contact.name")
    for i, column in enumerate(columns):  # a keyword inside a longer header
        if result[i] is not None:
            continue
        folded = fold(column or "") or ""
        for target, word in _KEYWORDS:
            if word in folded and take(i, target):
                break
    for i in range(len(columns)):  # values, for a header that says nothing
        if result[i] is None:
            values = [row[i] for row in sample if i < len(row)]
            take(i, _sniff(values))
    return result


def shape_key(columns: list[str]) -> str:
    """A stable key of a header shape (folded, order-sensitive) to find a saved mapping."""
    joined = "\x1f".join(_key(c) for c in columns)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:40]
