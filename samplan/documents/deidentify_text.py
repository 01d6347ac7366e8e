"""Free text made de-identified: the scrubber behind the de-identified case summary.

Professionals may consult on a case without consent when nothing identifies the person
(seed 001): not the name, and no other detail from which he or she could be recognised. What
staff type into a plan (needs, goals, interventions, meeting notes, deviations...) often holds
such details, so every free text in the summary goes through `scrub`, which removes or
generalises:

- what the register knows (`Register`): the names of the person, the representatives and the
  staff, the person's address, postcode, town, phone and e-mail, invited outsiders, and every
  organisation and unit of the directory (a unit becomes its kind: "regionens psykiatri");
- identity numbers in any spelling (personnummer with or without century or separator,
  samordningsnummer, reserve numbers with a letter), whatever their check digit; any other
  run of six digits or more;
- e-mail addresses, web links, phone numbers (+46, 0046, 07x-xxx xx xx, 08-...), street
  addresses, postcodes;
- exact dates: "2026-03-03", "3 mars 2026", "3/3", "03-03-2026", "20260303" become the month
  ("mars 2026", "mars"); a date or year of birth goes altogether;
- names of people who are not in the register: a first- and family-name list (Faker's
  Swedish, Norwegian, Danish, Finnish, Polish, Croatian and Turkish person data; the Swedish
  lists are the 500 most common first names of each sex (Isof) and the 500 most common family
  names (Skatteverket)), a word after a title or relation ("grannen Olle", "läraren Eva
  Berg"), and a capitalised word next to a name;
- places of school or work, towns and other proper nouns: Swedish writes only proper nouns
  with a capital letter inside a sentence, so such a word is removed unless it is a
  well-known non-identifying one (Försäkringskassan, LSS, Aspergers...).

Nothing is looked up here: the caller (`deidentify.py`) reads the register once into a
`Register`. What is removed is replaced by a bracketed placeholder ("[namn]"), so that the
reader sees that something was there.

Over 600 lines on purpose: the patterns, the word lists that keep ordinary words and the
order in which they run are one scrubber, and a change to one must be read with the others.
"""

from __future__ import annotations

import importlib
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import cache

from django.utils import formats
from django.utils.translation import gettext as _

from samplan.documents.content import clean

# --- placeholders ---------------------------------------------------------------------------


def _label(kind: str) -> str:
    labels = {
        "name": _("[namn]"),
        "proper": _("[egennamn]"),
        "identity": _("[personnummer]"),
        "number": _("[nummer]"),
        "phone": _("[telefon]"),
        "email": _("[e-post]"),
        "link": _("[länk]"),
        "address": _("[adress]"),
        "place": _("[ort]"),
        "school": _("[skola]"),
        "workplace": _("[arbetsplats]"),
        "organisation": _("[organisation]"),
        "date": _("[datum]"),
        "birth": _("[födelsetid]"),
        "municipality": _("en kommun"),
        "region": _("en region"),
    }
    return labels[kind]


# Replacements are held aside while the text is worked on: a placeholder is written as a
# private-use marker that no later pass can mistake for a word, a number or a date.
_MARK_OPEN = "\ue000"
_MARK_CLOSE = "\ue001"
_MARK_DIGIT = 0xE010
_MARK_RE = re.compile(f"{_MARK_OPEN}([\ue010-\ue019]+){_MARK_CLOSE}")
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")


class _Held:
    def __init__(self) -> None:
        self.items: list[str] = []

    def mark(self, replacement: str) -> str:
        self.items.append(replacement)
        digits = "".join(chr(_MARK_DIGIT + int(d)) for d in str(len(self.items) - 1))
        return f"{_MARK_OPEN}{digits}{_MARK_CLOSE}"

    def expand(self, text: str) -> str:
        def back(m: re.Match[str]) -> str:
            return self.items[int("".join(str(ord(c) - _MARK_DIGIT) for c in m.group(1)))]

        return _MARK_RE.sub(back, text)


# --- what the register knows ----------------------------------------------------------------


def _words(text: str) -> tuple[str, ...]:
    return tuple(m.group().casefold() for m in _TOKEN.finditer(text))


@dataclass
class Register:
    """What the register knows about the plan's people and the directory, read once by the
    caller. `own_names`: the person's own names (removed in any case); `names`: the
    representatives', invitees' and staff's names (removed when written with a capital);
    `phrases`: exact word sequences (casefolded) and what replaces each."""

    own_names: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    phrases: dict[tuple[str, ...], str] = field(default_factory=dict)
    _by_first: dict[str, list[tuple[str, ...]]] | None = field(default=None, repr=False)

    def by_first(self) -> dict[str, list[tuple[str, ...]]]:
        """The phrases by their first word, longest first: built once, after the adding."""
        if self._by_first is None:
            index: dict[str, list[tuple[str, ...]]] = {}
            for words in self.phrases:
                index.setdefault(words[0], []).append(words)
            for candidates in index.values():
                candidates.sort(key=len, reverse=True)
            self._by_first = index
        return self._by_first

    def add_own_name(self, full_name: str) -> None:
        words = _words(full_name)
        self.own_names.update(w for w in words if not w.isdigit())
        self.add_phrase(full_name, _label("name"))

    def add_name(self, full_name: str) -> None:
        words = _words(full_name)
        self.names.update(w for w in words if len(w) > 1 and not w.isdigit())
        if len(words) > 1:
            self.add_phrase(full_name, _label("name"))

    def add_phrase(self, text: str, replacement: str) -> None:
        words = _words(clean(text))
        if not words:
            return
        if len(words) == 1 and (words[0] in _generic_words() or len(words[0]) < 3):
            return  # a unit called "LSS" or "Hemtjänst" tells nothing; a short one misleads
        self.phrases.setdefault(words, replacement)
        self._by_first = None

    def add_contact(self, *, phone: str = "", email: str = "", address: str = "") -> None:
        if phone:
            self.add_phrase(phone, _label("phone"))
        if email:
            self.add_phrase(email, _label("email"))
        if address:
            self.add_phrase(address, _label("address"))


# --- name lists -----------------------------------------------------------------------------

# Faker's person data (MIT), by locale: the first and family names most common in Sweden and
# among those who have moved here from its neighbours and from the largest groups of origin.
_NAME_LOCALES = ("sv_SE", "no_NO", "da_DK", "fi_FI", "pl_PL", "hr_HR", "tr_TR")


@cache
def name_list() -> frozenset[str]:
    """First and family names, casefolded: Faker's person data for `_NAME_LOCALES`."""
    names: set[str] = set()
    for locale in _NAME_LOCALES:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        for attribute in ("first_names", "first_names_male", "first_names_female", "last_names"):
            for name in getattr(provider, attribute, ()) or ():
                for word in _TOKEN.findall(str(name)):
                    if len(word) > 1:
                        names.add(word.casefold())
    return frozenset(names)


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Names that are also everyday Swedish words ("Bo själv", "Per vecka", "Hans mamma"): at the
# start of a sentence they are taken for names only next to another name or after a title.
COMMON_WORDS = _word_set(
    """
    alm anka asp bara ben berg björk björn blixt blom bo borg brink bror bäck dag dam del dina
    draga ek ester falk finn flink fors frank fred frid frisk gren hall hans hjort hägg inga
    jack juni junior klara kvist lie lind liv ljung lo lund lönn maj malm mark mina modig my
    nord palm per rask rosa rose salami sanna sirap skog sköld stark sten stig storm strand
    strid ström svärd sys tom turk urban us vagn vide vik viking över
    """
)

# Capitalised words that identify no one: agencies of the whole country, kinds of services,
# acts, eponymous diagnoses, common apps, months and weekdays written with a capital.
KEEP_WORDS = _word_set(
    """
    försäkringskassan försäkringskassans arbetsförmedlingen arbetsförmedlingens
    socialstyrelsen skatteverket migrationsverket kronofogden polisen kriminalvården
    pensionsmyndigheten csn ivo inera skr sverige sveriges norden europa eu fn
    kommunen kommunens regionen regionens socialtjänsten socialtjänstens hemtjänsten
    habiliteringen habilitering psykiatrin psykiatri primärvården vårdcentralen vårdcentral
    beroendevården barnpsykiatrin vuxenpsykiatrin socialpsykiatrin äldreomsorgen
    biståndshandläggningen skolan skola förskolan grundskolan gymnasiet särskolan
    grundsärskolan gymnasiesärskolan fritids fritidshemmet elevhälsan
    högskolan universitetet folkhögskolan komvux sfi daglig verksamhet boendestöd
    personlig assistans ledsagning kontaktperson korttidsboende gruppbostad
    lss sol hsl psl lvu lvm lpt sip ip icf icd dsm kbt bup vup hvb
    aspergers asperger downs alzheimers alzheimer parkinsons parkinson tourettes tourette
    crohns huntingtons adhd add autism
    teams zoom skype bankid swish google facebook instagram snapchat tiktok youtube
    minecraft netflix spotify
    januari februari mars april maj juni juli augusti september oktober november december
    måndag tisdag onsdag torsdag fredag lördag söndag jul påsk midsommar
    jag du han hon hen vi ni de det den detta dessa man en ett
    """
)

# Words after which a capitalised word (or a listed name) is a person's name.
TITLES = _word_set(
    """
    grannen granne grannar grannarna grannens läraren lärare lärarinnan mentorn mentor
    rektorn rektor kuratorn kurator skolsköterskan assistenten assistent kontaktpersonen
    boendestödjaren handläggaren handläggare sjuksköterskan sjuksköterska läkaren läkare
    doktor doktorn dr psykologen psykolog arbetsterapeuten fysioterapeuten chefen chef
    arbetsgivaren handledaren handledare kollegan kollega kompisen kompis vännen vän
    väninnan flickvännen pojkvännen flickvän pojkvän partnern partner sambon sambo maken make
    makan maka frun fru mannen herr fröken mamma mamman mor modern pappa pappan far fadern
    bror brodern brorsan syster systern syrran sonen son dottern dotter barnet barnen
    mormor morfar farmor farfar moster morbror faster farbror kusin kusinen svärmor svärfar
    styvpappa styvmamma bonuspappa bonusmamma tränaren ledaren prästen pastorn imamen
    heter hette kallad kallas kallade namnet
    """
)


@cache
def _generic_words() -> frozenset[str]:
    """Words that name a kind of thing, not someone: `KEEP_WORDS`, the titles, and the
    directory's kinds of organisation and unit and its professions (also in the definite
    form: "Boendestödjaren"), for when they are typed with a capital letter."""
    from samplan.directory.models import OrganisationKind, Profession, UnitKind

    words = set(KEEP_WORDS | TITLES)
    for kinds in (UnitKind, OrganisationKind, Profession):
        for kind in kinds:
            for word in _TOKEN.findall(str(kind.label).casefold()):
                words.update((word, word + "n", word + "en", word + "na"))
    return frozenset(words)


# --- patterns -------------------------------------------------------------------------------

_TOKEN = re.compile(r"[^\W_](?:[\w'’]|-(?=[^\W_]))*")
_B = r"(?<![\w@.+])"  # not inside a word, a number or an address
_E = r"(?![\w@])"

_URL = re.compile(r"(?i)\b(?:https?://|ftp://|file:/+|www\.)[^\s<>\"']+")
_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
# Personnummer, samordningsnummer (day + 60), reserve numbers (a letter among the last four):
# by shape only, whatever the check digit.
_IDENTITY = re.compile(
    _B + r"(?:\d{2})?\d{2}(?:0\d|1[0-2])\d{2}[ \t]?[-+]?[ \t]?[A-Za-z\d]\d{2}[A-Za-z\d]" + _E
)
_MONTHS = {
    "januari": 1,
    "jan": 1,
    "februari": 2,
    "feb": 2,
    "mars": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "maj": 5,
    "juni": 6,
    "jun": 6,
    "juli": 7,
    "jul": 7,
    "augusti": 8,
    "aug": 8,
    "september": 9,
    "sept": 9,
    "sep": 9,
    "oktober": 10,
    "okt": 10,
    "november": 11,
    "nov": 11,
    "december": 12,
    "dec": 12,
}
_MONTH = "(?:" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + ")"
_DATE_PART = rf"(?:\d{{1,4}}(?::?[ae])?|{_MONTH}(?![\w]))"
_BIRTH = re.compile(
    r"(?i)\b(född|födda|föddes|födelsedatum|födelsedag|födelseår|f\.)"
    r"(?::)?[ \t]+(?:(?:den|år|i|på)[ \t]+)?"
    rf"{_DATE_PART}(?:(?:[ \t]+|[./-]){_DATE_PART})*"
)
_ISO_DATE = re.compile(
    _B + r"(\d{4})[-./](\d{1,2})[-./](\d{1,2})"
    r"(?:[T ]\d{1,2}[:.]\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?" + _E
)
_DMY_DATE = re.compile(_B + r"(\d{1,2})([-./])(\d{1,2})\2(\d{4}|\d{2})" + _E)
_COMPACT_DATE = re.compile(_B + r"((?:19|20)\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])" + _E)
_WORD_DATE = re.compile(
    r"(?i)(?:\b(?:den|de)[ \t]+)?"
    + _B
    + r"(\d{1,2})(?::?[ae])?\.?[ \t]+("
    + _MONTH
    + r")(?:[ \t]+(\d{4}))?(?![\w])"
)
_SLASH_DATE = re.compile(
    r"(?i)(?:\bden[ \t]+)?" + _B + r"(\d{1,2})/(\d{1,2})(?:[ \t]+(\d{4}))?(?![\w/])"
)
_PHONE = re.compile(r"(?<![\w+/])(?:(?:\+|00)[ \t]?\d{1,3}|0)(?:[ \t\-–/()]{0,2}\d){5,12}" + _E)
_DIGITS = re.compile(r"(?<![\w])\d(?:[ \t\-–/]?\d){5,}" + _E)
_YEAR_RANGE = re.compile(r"(?:19|20)\d{2}[ \t]?[-–][ \t]?(?:19|20)\d{2}")
_AMOUNT_AFTER = re.compile(r"[ \t]*(?:kr\b|kronor\b|sek\b|:-|euro\b|€|%|procent\b)", re.I)
_ISO_MONTH = re.compile(_B + r"((?:19|20)\d{2})-(0[1-9]|1[0-2])(?![\w-])")
_STREET = re.compile(
    r"(?i)(?<![\w])(?:[a-zåäöéü][\wåäöéü-]*?(?:gatan|gata|vägen|väg|gränd|gränden|torget|torg"
    r"|stigen|allén|allé|backen|platsen|leden|gången|stråket|kajen|liden|slingan|höjden"
    r"|ringen|esplanaden)[ \t]+\d{1,4}(?:[ \t]?[a-z](?![\w]))?"
    r"|box[ \t]+\d+|c/o[ \t]+\S+)"
    r"(?:[ \t]*,?[ \t]*(?:lgh|lägenhet|vån(?:ing)?|tr)\.?[ \t]*\d+)?"
)
_POSTCODE = re.compile(
    r"(?<![\w])(?:SE[- ]?)?(?:\d{3}[ \t]\d{2}|\d{5}(?=[ \t]+[A-ZÅÄÖ]))"
    r"(?:[ \t]+[A-ZÅÄÖ][\wåäö-]+)?(?![\w])"
)
_CAPS = r"[A-ZÅÄÖÉÜ][\w&'’-]*(?:[ \t]+(?:&[ \t]+)?[A-ZÅÄÖÉÜ0-9][\w&'’-]*)*"
_MUNICIPALITY = re.compile(r"\b[A-ZÅÄÖ][\wåäö-]+[ \t]+(?:kommun|stad|kommuns|stads)\b")
_REGION = re.compile(
    r"\b(?:(?:Region|Landstinget)[ \t]+[A-ZÅÄÖ][\wåäö-]+"
    r"|[A-ZÅÄÖ][\wåäö-]+[ \t]+(?:region|läns[ \t]+landsting|landsting))\b"
)
_SCHOOL_NAME = re.compile(
    r"(?<![\w])(?:[A-ZÅÄÖÉ][\wåäöé-]+?(?:skolan|skola|gymnasiet|gymnasium|förskolan|förskola"
    r"|högskolan|högskola|universitetet|universitet|akademin|akademi|fritidsgården)"
    r"|[A-ZÅÄÖ][\wåäö-]+[ \t]+(?:universitet|högskola|gymnasium|folkhögskola))(?![\w])"
)
_SCHOOL_AT = re.compile(
    r"(?i:\b(?:går|gick|studerar|studerade|pluggar|pluggade|elev|eleverna|klass|praoar)"
    r"(?:[ \t]+[a-zåäö]+)?[ \t]+(?:på|vid|i|hos)[ \t]+)(" + _CAPS + ")"
)
_WORK_AT = re.compile(
    r"(?i:\b(?:jobbar|jobbade|jobba|arbetar|arbetade|arbeta|praktiserar|praktiserade|praktik"
    r"|praktikplats|anställd|anställning|sommarjobb|extrajobb|jobb|jobbet|arbete|arbetet"
    r"|volontär|ideell)(?:[ \t]+[a-zåäö]+)?[ \t]+(?:på|hos|vid|i|för)[ \t]+)(" + _CAPS + ")"
)
_PLACE_AT = re.compile(
    r"(?i:\b(?:bor|bodde|bo|boende|bosatt|flyttade|flyttat|flyttar|flytta|kommer|kom"
    r"|uppvuxen|uppväxt|växte[ \t]+upp|född|semester|hemma)[ \t]+"
    r"(?:i|på|till|från|utanför|nära|vid|hos)[ \t]+)(" + _CAPS + ")"
)


def month_year(value: date) -> str:
    """ "mars 2026" (in Swedish when the Swedish translation is active)."""
    return formats.date_format(value, "F Y")


def _month(number: int, year: int | None) -> str | None:
    if not 1 <= number <= 12:
        return None
    if year is None:
        return formats.date_format(date(2000, number, 1), "F")
    if not 1900 <= year <= 2199:
        return None
    return month_year(date(year, number, 1))


def _full_year(text: str | None) -> int | None:
    if not text:
        return None
    year = int(text)
    return year + 2000 if len(text) == 2 else year


# --- the passes -----------------------------------------------------------------------------


def _sub(pattern: re.Pattern[str], text: str, replace: Callable[[re.Match[str]], str]) -> str:
    return pattern.sub(replace, text)


def _regex_passes(text: str, held: _Held) -> str:
    def put(kind: str) -> Callable[[re.Match[str]], str]:
        return lambda m: held.mark(_label(kind))

    def put_group(kind: str) -> Callable[[re.Match[str]], str]:
        # Keeps what comes before the group ("bor i "), replaces the group.
        def replace(m: re.Match[str]) -> str:
            return m.group(0)[: m.start(1) - m.start()] + held.mark(_label(kind))

        return replace

    def dated(day: int, month: int, year: int | None) -> str | None:
        if not 1 <= day <= 31:
            return None
        return _month(month, year)

    # What has a date's shape but is no date (a time "08.30-10", "2026-13-45") is left to the
    # later passes: a long run of digits goes as a number.
    def iso(m: re.Match[str]) -> str:
        shown = dated(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        return held.mark(shown) if shown else m.group(0)

    def dmy(m: re.Match[str]) -> str:
        shown = dated(int(m.group(1)), int(m.group(3)), _full_year(m.group(4)))
        return held.mark(shown) if shown else m.group(0)

    def compact(m: re.Match[str]) -> str:
        return held.mark(_month(int(m.group(2)), int(m.group(1))) or _label("date"))

    def worded(m: re.Match[str]) -> str:
        number = _MONTHS[m.group(2).casefold()]
        shown = dated(int(m.group(1)), number, _full_year(m.group(3)))
        return held.mark(shown or _label("date"))

    def slashed(m: re.Match[str]) -> str:
        shown = dated(int(m.group(1)), int(m.group(2)), _full_year(m.group(3)))
        return held.mark(shown) if shown else m.group(0)

    def birth(m: re.Match[str]) -> str:
        return m.group(1) + " " + held.mark(_label("birth"))

    text = _sub(_IDENTITY, text, put("identity"))
    text = _sub(_BIRTH, text, birth)
    text = _sub(_STREET, text, put("address"))
    text = _sub(_ISO_DATE, text, iso)
    text = _sub(_COMPACT_DATE, text, compact)
    text = _sub(_DMY_DATE, text, dmy)
    text = _sub(_WORD_DATE, text, worded)
    text = _sub(_SLASH_DATE, text, slashed)
    text = _sub(_ISO_MONTH, text, lambda m: held.mark(_month(int(m[2]), int(m[1])) or m[0]))
    text = _sub(_PHONE, text, put("phone"))
    text = _sub(_POSTCODE, text, put("address"))

    def number(m: re.Match[str]) -> str:
        # A span of years or an amount identifies no one; any other long number may.
        if _YEAR_RANGE.fullmatch(m.group(0)) or _AMOUNT_AFTER.match(m.string, m.end()):
            return m.group(0)
        return held.mark(_label("number"))

    text = _sub(_DIGITS, text, number)
    text = _sub(_MUNICIPALITY, text, put("municipality"))
    text = _sub(_REGION, text, put("region"))
    text = _sub(_SCHOOL_AT, text, put_group("school"))
    text = _sub(_WORK_AT, text, put_group("workplace"))
    text = _sub(_PLACE_AT, text, put_group("place"))

    def school(m: re.Match[str]) -> str:
        word = m.group(0)
        return word if word.casefold() in _generic_words() else held.mark(_label("school"))

    return _sub(_SCHOOL_NAME, text, school)


_JOINABLE = re.compile(r"[ \t,.\-–&/()]{0,4}")


def _phrase_pass(text: str, register: Register, held: _Held) -> str:
    """Known word sequences (the register's names, addresses, organisations and units)
    replaced, longest first; the words may be parted by spaces and light punctuation."""
    phrases = register.phrases
    if not phrases:
        return text
    by_first = register.by_first()
    tokens = list(_TOKEN.finditer(text))
    folded = [t.group().casefold() for t in tokens]
    out: list[str] = []
    at = 0
    i = 0
    while i < len(tokens):
        matched: tuple[str, ...] | None = None
        for words in by_first.get(folded[i], ()):
            n = len(words)
            if tuple(folded[i : i + n]) != words:
                continue
            if all(
                _JOINABLE.fullmatch(text[tokens[j].end() : tokens[j + 1].start()])
                for j in range(i, i + n - 1)
            ):
                matched = words
                break
        if matched is None:
            i += 1
            continue
        last = tokens[i + len(matched) - 1]
        out.append(text[at : tokens[i].start()])
        out.append(held.mark(phrases[matched]))
        at = last.end()
        i += len(matched)
    out.append(text[at:])
    return "".join(out)


_SENTENCE_END = re.compile(r"[.!?:;\n\r•*\"”“«»]")
_NAME_GAP = re.compile(r"[ \t]*-?[ \t]*")  # "Eva Berg", "Lind-Berg"
_INITIAL_GAP = re.compile(r"\.[ \t]*")


def _name_pass(text: str, register: Register, held: _Held) -> str:
    names = name_list()
    generic = _generic_words()
    tokens = [t for t in _TOKEN.finditer(text) if not any(c.isdigit() for c in t.group())]
    n = len(tokens)
    words = [t.group() for t in tokens]
    folded = [w.casefold() for w in words]

    def known(word: str, pool: Iterable[str] | frozenset[str] | set[str]) -> bool:
        return word in pool or (len(word) > 3 and word.endswith("s") and word[:-1] in pool)

    def capitalised(word: str) -> bool:
        return word[0].isupper() and not acronym(word)

    def acronym(word: str) -> bool:
        # "LSS", "SoL", and compounds on one: "SIP-mötet", "BUP-mottagningen".
        head = word.split("-")[0]
        return sum(c.isupper() for c in head) >= 2 and not (len(head) > 2 and head[1:].islower())

    starts = []
    for i in range(n):
        gap = text[tokens[i - 1].end() : tokens[i].start()] if i else text[: tokens[i].start()]
        initial = i > 0 and len(words[i - 1]) == 1 and words[i - 1].isupper()
        if initial and _INITIAL_GAP.fullmatch(gap):
            starts.append(False)  # "E. Berg": an initial, not the end of a sentence
        else:
            starts.append(i == 0 or bool(_SENTENCE_END.search(gap)))

    def after_title(i: int) -> bool:
        if i == 0 or starts[i]:
            return False
        gap = text[tokens[i - 1].end() : tokens[i].start()]
        return folded[i - 1] in TITLES and gap.strip() in ("", ",")

    NAME, PROPER = 2, 1
    verdict = [0] * n
    for i, (word, low) in enumerate(zip(words, folded, strict=True)):
        common = low in COMMON_WORDS
        own = known(low, register.own_names)
        listed = known(low, names) or known(low, register.names)
        if own and (not common or capitalised(word)):
            verdict[i] = NAME
        elif after_title(i) and (capitalised(word) or (listed and not common)):
            verdict[i] = NAME if low not in generic else 0
        elif capitalised(word) and low not in generic:
            if listed and (not common or not starts[i]):
                verdict[i] = NAME
            elif not starts[i] and len(word) > 1:
                verdict[i] = PROPER
        elif acronym(word) and len(word) > 2 and listed and low not in generic:
            verdict[i] = NAME

    def joined(i: int, j: int) -> bool:
        gap = text[tokens[i].end() : tokens[j].start()]
        if _NAME_GAP.fullmatch(gap):
            return True
        return len(words[i]) == 1 and bool(_INITIAL_GAP.fullmatch(gap))  # "E. Berg"

    # A capitalised word next to a name is part of it: "Eva Xyzsson", "Zlatan Berg".
    for order in (range(1, n), range(n - 2, -1, -1)):
        for i in order:
            j = i - 1 if order.step == 1 else i + 1
            if (
                verdict[j] == NAME
                and verdict[i] != NAME
                and capitalised(words[i])
                and folded[i] not in generic
                and folded[i] not in TITLES
                and joined(min(i, j), max(i, j))
            ):
                verdict[i] = NAME

    out: list[str] = []
    at = 0
    i = 0
    while i < n:
        if not verdict[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and verdict[j + 1] and joined(j, j + 1):
            j += 1
        kind = "name" if any(verdict[k] == NAME for k in range(i, j + 1)) else "proper"
        out.append(text[at : tokens[i].start()])
        out.append(held.mark(_label(kind)))
        at = tokens[j].end()
        i = j + 1
    out.append(text[at:])
    return "".join(out)


def scrub(text: str, register: Register) -> str:
    """The text with everything that could identify someone removed or generalised."""
    text = unicodedata.normalize("NFC", clean(text))
    text = _PRIVATE_USE.sub("", text)
    if not text:
        return ""
    held = _Held()
    text = _sub(_URL, text, lambda m: held.mark(_label("link")))
    text = _sub(_EMAIL, text, lambda m: held.mark(_label("email")))
    text = _phrase_pass(text, register, held)
    text = _regex_passes(text, held)
    text = _name_pass(text, register, held)
    return held.expand(text)


def age_band(born: date, today: date) -> str:
    """An age band in place of a date of birth: 0-5, 6-12, 13-17 and 18-19 years, then by
    decades (20-29), and "90 år eller äldre"."""
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    age = max(age, 0)
    for low, high in ((0, 5), (6, 12), (13, 17), (18, 19)):
        if low <= age <= high:
            return _("%(low)s–%(high)s år") % {"low": low, "high": high}
    if age >= 90:
        return _("90 år eller äldre")
    low = age - age % 10
    return _("%(low)s–%(high)s år") % {"low": low, "high": low + 9}
