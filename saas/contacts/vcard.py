"""The one mapping between a contact and a vCard 3.0 (RFC 2426), both ways, through vobject.

``to_vcard`` writes a contact (the download); ``parse_vcards`` reads cards back into the
fields ``contacts.service.create_contact`` takes (the import issue reads vCards through it).

| contact                 | vCard                                                   |
|-------------------------|---------------------------------------------------------|
| name                    | FN, and N (given name = the whole name: no guessing of  |
|                         | family names across cultures)                           |
| position                | TITLE                                                   |
| customer's name         | ORG                                                     |
| phones (mobile/work/    | TEL;TYPE=CELL / WORK / HOME / FAX, value in E.164        |
| home/fax)               |                                                         |
| emails (typed or not)   | EMAIL;TYPE=INTERNET[,WORK|HOME]                          |
| messengers              | IMPP;TYPE=<kind>:<kind>:<handle> (wechat:liwei88)         |
| social accounts         | X-SOCIALPROFILE;TYPE=<kind>:<handle>                     |
| birthday                | BDAY (YYYY-MM-DD)                                       |
| hobbies and interests   | X-INTERESTS                                             |
| notes                   | NOTE                                                    |
| photo                   | PHOTO;ENCODING=b;TYPE=PNG                               |

vCard text is UTF-8 throughout, so Chinese and Persian names survive the round trip.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
from datetime import date
from typing import Any

import vobject

from saas.contacts.models import Contact

#: Contact phone type → vCard TEL type, and back.
TEL_TYPES = {"mobile": "CELL", "work": "WORK", "home": "HOME", "fax": "FAX"}
_TEL_BACK = {v: k for k, v in TEL_TYPES.items()}
EMAIL_TYPES = {"work": "WORK", "home": "HOME"}
_EMAIL_BACK = {v: k for k, v in EMAIL_TYPES.items()}
#: Account kinds written as IMPP (the rest are social profiles).
MESSENGERS = frozenset({"wechat", "whatsapp", "telegram", "qq", "viber", "skype"})


def to_vcard(
    contact: Contact,
    *,
    organization: str | None = None,
    photo: bytes | None = None,
    reachable: bool = True,
) -> str:
    """The contact as one vCard 3.0 (CRLF line ends, folded as the RFC says); without phones
    and emails when not ``reachable`` (a masked pool customer)."""
    card = vobject.vCard()
    card.add("fn").value = contact.name
    card.add("n").value = vobject.vcard.Name(given=contact.name)
    if contact.position:
        card.add("title").value = contact.position
    if organization:
        card.add("org").value = [organization]
    for phone in contact.phones if reachable else ():
        tel = card.add("tel")
        tel.value = phone.e164
        tel.type_param = TEL_TYPES.get(phone.type, "VOICE")
    for email in contact.emails if reachable else ():
        line = card.add("email")
        line.value = email.email
        line.type_paramlist = [
            "INTERNET",
            *([EMAIL_TYPES[email.type]] if email.type in EMAIL_TYPES else []),
        ]
    for item in contact.accounts or ():
        kind, handle = item.get("kind", "other"), item.get("handle", "")
        if not handle:
            continue
        if kind in MESSENGERS:
            line = card.add("impp")
            line.value = f"{kind}:{handle}"
        else:
            line = card.add("x-socialprofile")
            line.value = handle
        line.type_param = kind
    if contact.birthday:
        card.add("bday").value = contact.birthday.isoformat()
    if contact.interests:
        card.add("x-interests").value = contact.interests
    if contact.notes:
        card.add("note").value = contact.notes
    if photo:
        line = card.add("photo")
        line.encoding_param = "b"
        line.type_param = "PNG"
        line.value = photo
    return card.serialize()


def _params(line: Any, name: str) -> list[str]:
    return [p.upper() for value in line.params.get(name, ()) for p in value.split(",")]


def _card(card: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": str(getattr(card, "fn", None).value) if hasattr(card, "fn") else "",
        "phones": [],
        "emails": [],
        "accounts": [],
    }
    if not out["name"] and hasattr(card, "n"):
        out["name"] = str(card.n.value).strip()
    if hasattr(card, "title"):
        out["position"] = card.title.value
    if hasattr(card, "org"):
        org = card.org.value
        out["organization"] = ";".join(org) if isinstance(org, list) else str(org)
    for tel in card.contents.get("tel", ()):
        kinds = _params(tel, "TYPE")
        kind = next((_TEL_BACK[k] for k in kinds if k in _TEL_BACK), "mobile")
        if "FAX" in kinds:
            kind = "fax"
        out["phones"].append({"number": str(tel.value), "type": kind})
    for email in card.contents.get("email", ()):
        kinds = _params(email, "TYPE")
        kind = next((_EMAIL_BACK[k] for k in kinds if k in _EMAIL_BACK), None)
        out["emails"].append({"email": str(email.value), "type": kind})
    for line in card.contents.get("impp", ()):
        value = str(line.value)
        kind = (_params(line, "TYPE") or [value.split(":", 1)[0].upper()])[0].lower()
        handle = value.split(":", 1)[1] if ":" in value else value
        out["accounts"].append({"kind": kind, "handle": handle})
    for line in card.contents.get("x-socialprofile", ()):
        kind = (_params(line, "TYPE") or ["OTHER"])[0].lower()
        out["accounts"].append({"kind": kind, "handle": str(line.value)})
    if hasattr(card, "bday"):
        with contextlib.suppress(ValueError):
            out["birthday"] = date.fromisoformat(str(card.bday.value)[:10])
    if "x-interests" in card.contents:
        out["interests"] = str(card.contents["x-interests"][0].value)
    if hasattr(card, "note"):
        out["notes"] = str(card.note.value)
    if hasattr(card, "photo"):
        value = card.photo.value
        if isinstance(value, bytes):
            out["photo"] = value
        else:
            with contextlib.suppress(binascii.Error, ValueError):
                out["photo"] = base64.b64decode(str(value), validate=True)
    return out


def parse_vcards(text: str) -> list[dict[str, Any]]:
    """Every card in ``text`` as contact fields (plus ``organization`` and ``photo`` bytes);
    ``ValueError`` when the text is not vCard."""
    try:
        return [_card(card) for card in vobject.readComponents(text)]
    except (vobject.base.ParseError, AttributeError) as exc:
        raise ValueError(str(exc)) from exc
