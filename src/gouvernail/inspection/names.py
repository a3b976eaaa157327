# ruff: noqa: RUF001 - typographic apostrophes occur in names on purpose
"""Person names: a cheap rule pass, then spaCy NER only on the windows the rules selected.

The rule pass (also used alone in fast mode and on streamed output) finds: an honorific or a
cue (greeting, role, ``@``) followed by name words; initials followed by a surname
(``E.-P. Akinwale``); a capitalised word beside an upper-case surname (``Nkiruka OKORO``); a
known first name (gazetteer) alone or followed by name words; and, for names of any origin, two
or more capitalised name words that do not start a sentence and a signature line under a
closing (Cordialement, Kind regards). Capitalised runs in or beside a place or institution
word (``data/vocabulary``: Hôtel Mercure, Mayo Clinic) are skipped. It also picks the *windows*
(sentences) worth sending to the NER model: those with a capitalised word that does not start
the sentence, an honorific or a known first name. NER spans are cleaned (honorifics and cues
stripped, cut at the first lower-case word) and merged with the rule spans; finally, every
other capitalised occurrence of a word of a name already found is a name too.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

from gouvernail.inspection.findings import Finding
from gouvernail.inspection.language import is_stop_word
from gouvernail.inspection.name_vocabulary import NameVocabulary, read_vocabulary
from gouvernail.inspection.registry import DetectorSpec, Registry
from gouvernail.inspection.text import Scan, Token

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")
_CAPITALISED = re.compile(
    r"^[A-ZÀ-ÖØ-ÞĀ-ŽΑ-Ω][a-zß-öø-ÿā-žα-ω'’]+(?:[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿā-ž]{2,})?$"
)  # Dupont, McManus, LeBlanc
_NOUN_ENDINGS = ("ungen", "heit", "keit", "schaft", "tion", "tionen", "ität", "ismus", "nisse")
_UPPER = re.compile(r"^[A-ZÀ-ÖØ-ÞĀ-Ž]{2,}$")
_INITIALS = re.compile(
    r"(?<![\w.])[A-ZÀ-ÖØ-Þ]\.(?:-?[A-ZÀ-ÖØ-Þ]\.)*[ \u00a0]"
    r"(?:(?:van der|van den|von der|van|von|de la|de|du|da|di|del|dos|le|la) )?"
    r"[A-ZÀ-ÖØ-Þ][\wÀ-ÿ'’]+(?:-[A-ZÀ-ÖØ-Þ][\wÀ-ÿ'’]+)?(?: [A-ZÀ-ÖØ-Þ][a-zß-ÿ'’]+(?![\w-]))?"
)
PARTICLES = frozenset(
    {"de", "du", "des", "van", "von", "di", "da", "del", "dos", "zu", "vanden", "ter", "ten",
     "bin", "ben", "al", "el", "mac", "o", "ó", "d"}
)  # fmt: skip
"""Particles that may start a surname's particle chain; ``FOLLOWERS`` only follow one."""
FOLLOWERS = frozenset({"der", "den", "la", "le", "los", "las", "y"})
_GAPS = frozenset({" ", "-", "\u00a0", "'", "’"})
_AFTER_TITLE = frozenset({" ", ". ", "\u00a0", ".\u00a0"})
_AFTER_CUE = frozenset({" ", "\u00a0", " : ", ": ", ", "})
MAX_WINDOW = 1000
WORD_CACHE = 65_536
"""Words whose verdicts (name word? known first name?) are remembered, per detector."""
MAX_NAME_WORDS = 6
NER_PERSON = frozenset({"PER", "PERSON"})
NER_OTHER = frozenset({"LOC", "ORG", "MISC", "GPE"})


@dataclass(frozen=True, slots=True)
class Span:
    """An entity the NER model found in a window (offsets into the window)."""

    start: int
    end: int
    label: str


@dataclass(frozen=True, slots=True)
class Window:
    start: int
    text: str


class NameDetector:
    def __init__(
        self,
        spec: DetectorSpec,
        registry: Registry,
        first_names: frozenset[str],
        vocabulary: NameVocabulary | None = None,
    ) -> None:
        vocabulary = read_vocabulary() if vocabulary is None else vocabulary
        self.name = spec.name
        self.entity = spec.entity
        self.score = spec.score
        self.data_class = registry.class_of(spec)
        self.first_names = first_names
        self.titles = frozenset(t.lower().rstrip(".") for t in spec.titles)
        self.cues = frozenset(c.lower() for c in spec.cues)
        self.not_names = (
            frozenset(n.lower() for n in spec.not_names if " " not in n) | vocabulary.common
        )
        self.not_after = frozenset(n.lower() for n in spec.not_after) | vocabulary.before
        self.org_after = vocabulary.after
        self.institutions = vocabulary.before | vocabulary.after
        self.closings = vocabulary.closings
        self.never_after_title = frozenset(n.lower() for n in spec.not_names)
        self._name_word = lru_cache(maxsize=WORD_CACHE)(self._name_word_uncached)
        self._first_name = lru_cache(maxsize=WORD_CACHE)(self._first_name_uncached)
        organisations = sorted(spec.organisations, key=len, reverse=True)
        self._organisations = (
            re.compile(rf"(?<!\w)(?:{'|'.join(re.escape(o) for o in organisations)})(?!\w)")
            if organisations
            else None
        )

    # --- words ------------------------------------------------------------------------------------

    def _announcer(self, word: str) -> bool:
        lower = word.lower()
        return lower in self.titles or lower in self.cues

    def _name_word_uncached(self, word: str) -> bool:
        """Could be part of a name: capitalised or upper case, not a common word."""
        if "-" in word:
            parts = word.split("-")
            if parts[0].lower() in self.not_after:
                return False  # Saint-Exupéry, Sankt-Georgen: a place
            return all(self._name_word_uncached(part) for part in parts)
        if not (_CAPITALISED.match(word) or _UPPER.match(word)):
            return False
        lower = word.lower()
        if len(lower) >= 8 and lower.endswith(("ung", *_NOUN_ENDINGS)):
            return False
        if _UPPER.match(word) and not any(vowel in lower for vowel in _VOWELS):
            return False  # CMD, PDF: acronyms
        return not (
            lower in self.not_names
            or self._announcer(word)
            or (is_stop_word(word) and len(word) < 5)
        )

    def _particles(self, text: str, tokens: Sequence[Token], index: int) -> int:
        """Index of the name word after a particle chain starting at ``index`` (or ``index``)."""
        if index >= len(tokens) or tokens[index].text.lower() not in PARTICLES:
            return index
        following = index + 1
        while following < len(tokens) and tokens[following].text.lower() in FOLLOWERS:
            following += 1
        if following >= len(tokens) or not self._name_word(tokens[following].text):
            return index
        chain = tokens[index : following + 1]
        if any(text[a.end : b.start] not in _GAPS for a, b in pairwise(chain)):
            return index
        return following

    def _after_place(self, text: str, tokens: Sequence[Token], index: int) -> bool:
        """San Diego, Saint-Louis, New Jersey: a first name after a place prefix is a place."""
        if index == 0:
            return False
        previous = tokens[index - 1]
        return (
            previous.text.lower() in self.not_after
            and text[previous.end : tokens[index].start] in _GAPS
        )

    def _institution(self, text: str, tokens: Sequence[Token], first: int, last: int) -> bool:
        """Hôtel Mercure, Mayo Clinic, Queen Elizabeth Hall: the run ``tokens[first:last]``
        starts with or follows a place or institution word, or ends with or precedes an
        organisation word (the ``before`` and ``after`` vocabularies)."""
        if tokens[first].text.lower() in self.not_after or self._after_place(text, tokens, first):
            return True
        if any(tokens[i].text.lower() in self.institutions for i in range(first, last)):
            return True
        return (
            last < len(tokens)
            and tokens[last].text.lower() in self.org_after
            and tokens[last].text[0].isupper()
            and text[tokens[last - 1].end : tokens[last].start] in _GAPS
        )

    def _hyphenated(self, text: str, tokens: Sequence[Token], index: int) -> bool:
        """Wan-Ting, Jean-Pierre: two capitalised words joined by a hyphen."""
        return (
            index + 1 < len(tokens)
            and _CAPITALISED.match(tokens[index].text) is not None
            and _CAPITALISED.match(tokens[index + 1].text) is not None
            and text[tokens[index].end : tokens[index + 1].start] == "-"
            and self._name_word(tokens[index].text)
            and self._name_word(tokens[index + 1].text)
        )

    def organisation_spans(self, text: str) -> list[tuple[int, int]]:
        if self._organisations is None:
            return []
        return [(m.start(), m.end()) for m in self._organisations.finditer(text)]

    def _first_name_uncached(self, word: str) -> bool:
        return (
            _CAPITALISED.match(word) is not None
            and word.lower() in self.first_names
            and word.lower() not in self.not_names
            and not is_stop_word(word)
        )

    def _surname_after_title(self, word: str) -> bool:
        """After an honorific, a capitalised word that only the vocabulary files rule out."""
        return (
            _CAPITALISED.match(word) is not None
            and word.lower() not in self.never_after_title
            and not self._announcer(word)
            and not is_stop_word(word)
        )

    def _extend(
        self, text: str, tokens: Sequence[Token], start: int, *, particle_first: bool = False
    ) -> int:
        """Index past the name words from ``start`` (particles allowed before a name word; at
        ``start`` only in upper case, or with ``particle_first``: Herr von Bärer)."""
        end = start
        while end < len(tokens) and end - start < MAX_NAME_WORDS:
            token = tokens[end]
            gap = text[tokens[end - 1].end : token.start] if end > start else ""
            if end > start and gap not in _GAPS:
                break
            if self._name_word(token.text) and not _code_like(text, token):
                end += 1
                continue
            if end > start and gap in {"'", "’"} and token.text.islower():
                end += 1  # Sa'idu, N'Diaye
                continue
            following = self._particles(text, tokens, end)
            if following > end and (end > start or particle_first or tokens[end].text.isupper()):
                end = following + 1  # de la Payet, van den Berg, VON DEUTSCHMANN
                continue
            break
        return end

    # --- the rule pass ----------------------------------------------------------------------------

    def rule_findings(self, scan: Scan) -> list[Finding]:
        text, tokens, lowered = scan.text, scan.tokens, scan.lowered
        found: list[Finding] = []
        index = 0
        while index < len(tokens):
            token = tokens[index]
            lower = lowered[index]
            mention = token.start > 0 and text[token.start - 1] == "@"
            if token.text[0] == lower[0] and lower not in self.cues and not mention:
                index += 1  # a lower-case word, a number: nothing starts here
                continue
            nxt = index + 1
            span: tuple[int, int, str] | None = None
            skip = index + 1
            if (lower in self.titles and token.text[0].isupper()) or lower in self.cues:
                while nxt < len(tokens) and self._announcer(tokens[nxt].text):
                    nxt += 1  # "Prof. Dr.", "Sehr geehrte Frau"
                gap = text[tokens[nxt - 1].end : tokens[nxt].start] if nxt < len(tokens) else ""
                announcer = tokens[nxt - 1].text.lower()
                if gap in (_AFTER_TITLE if announcer in self.titles else _AFTER_CUE):
                    titled = announcer in self.titles
                    end = self._extend(text, tokens, nxt, particle_first=titled)
                    if end == nxt and titled and self._surname_after_title(tokens[nxt].text):
                        end = nxt + 1  # Mr West, Frau Freitag: a common word as a surname
                    if end > nxt:
                        span = (nxt, end, "names: honorific or cue")
            elif token.start > 0 and text[token.start - 1] == "@" and token.text[0].isupper():
                if token.start < 2 or not text[token.start - 2].isalnum():
                    end = (
                        self._extend(text, tokens, index + 1)
                        if index + 1 < len(tokens)
                        else index + 1
                    )
                    if end > index + 1 and text[token.end : tokens[index + 1].start] not in _GAPS:
                        end = index + 1
                    span = (index, max(end, index + 1), "names: mention")
            elif self._first_name(token.text) and not self._after_place(text, tokens, index):
                end = max(self._extend(text, tokens, index), index + 1)
                if self._institution(text, tokens, index, end):
                    skip = end
                elif not _EPONYM.match(text, tokens[end - 1].end):
                    span = (index, end, "names: known first name")
            elif self._hyphenated(text, tokens, index):
                end = self._extend(text, tokens, index)
                if self._institution(text, tokens, index, end):
                    skip = end
                elif end >= index + 3:
                    span = (index, end, "names: hyphenated first name")
            elif _UPPER.match(token.text) and self._name_word(token.text):
                end = self._extend(text, tokens, index)
                words = tokens[index:end]
                if len(words) >= 2 and any(
                    _CAPITALISED.match(w.text) or w.text.lower() in self.first_names for w in words
                ):
                    span = (index, end, "names: upper-case surname")
            elif _CAPITALISED.match(token.text) and self._name_word(token.text):
                end = self._extend(text, tokens, index)
                if self._institution(text, tokens, index, end):
                    skip = end
                elif end - index < 2:
                    pass
                elif any(_UPPER.match(w.text) for w in tokens[index + 1 : end]):
                    span = (index, end, "names: upper-case surname")
                elif not _sentence_start(text, token.start) and all(
                    _CAPITALISED.match(w.text)
                    or "-" in w.text
                    or w.text.lower() in PARTICLES
                    or w.text.lower() in FOLLOWERS
                    for w in tokens[index:end]
                ):
                    span = (index, end, "names: capitalised words")
            if span is None:
                index = max(skip, index + 1)
                continue
            first, last, reason = span
            found.append(self._finding(tokens[first].start, tokens[last - 1].end, reason))
            index = last
        for match in _INITIALS.finditer(text):
            if match.group()[0].lower() in self.titles:
                continue  # "M. Dupont": the honorific rule has it
            found.append(self._finding(match.start(), match.end(), "names: initials"))
        found.extend(self._signatures(text))
        return found

    def _signatures(self, text: str) -> list[Finding]:
        """A line of two to five name words right under a closing line (Cordialement,
        Kind regards, Mit freundlichen Grüßen): a signature, whatever the name's origin."""
        found: list[Finding] = []
        if not self.closings or "\n" not in text:
            return found
        previous: list[str] = []
        for line in _LINE.finditer(text):
            words = _WORDS.findall(line.group())
            if not words:
                continue
            if (
                previous
                and len(previous) <= 4
                and previous[-1].lower() in self.closings
                and 2 <= len(words) <= 5
                and self._name_word(words[0])
                and self._name_word(words[-1])
                and all(
                    self._name_word(w) or w.lower() in PARTICLES or w.lower() in FOLLOWERS
                    for w in words
                )
                and not any(w.lower() in self.institutions for w in words)
            ):
                body = line.group()
                start = line.start() + len(body) - len(body.lstrip())
                end = line.start() + len(body.rstrip(" \t,.;"))
                found.append(self._finding(start, end, "names: signature"))
            previous = words
        return found

    def windows(self, scan: Scan, found: Sequence[Finding] = ()) -> list[Window]:
        """Sentences worth sending to the NER model: those with two adjacent name words (not
        both at the start of the sentence) that nothing found so far explains. A lone
        capitalised word is not sent: a one-word NER name is kept only if it is a known first
        name, which the rules already found."""
        covered = [(f.start, f.end) for f in found]
        covered.extend(self.organisation_spans(scan.text) if covered else ())
        text = scan.text
        selected: list[Window] = []
        starts = [t.start for t in scan.tokens]
        for start, end in _sentences(text):
            tokens = scan.tokens[bisect_left(starts, start) : bisect_left(starts, end)]
            names = [
                self._name_word(t.text) and not any(s <= t.start and t.end <= e for s, e in covered)
                for t in tokens
            ]
            if any(
                names[i] and names[i + 1] and text[tokens[i].end : tokens[i + 1].start] in _GAPS
                for i in range(len(tokens) - 1)
            ):
                selected.append(Window(start, text[start:end]))
        return selected

    # --- NER results ------------------------------------------------------------------------------

    def ner_findings(self, scan: Scan, window: Window, spans: Iterable[Span]) -> list[Finding]:
        """Names in the model's entities. The French model often labels names in English or
        German text ORG, LOC or MISC: any entity counts when it holds at least two adjacent
        name words (or one known first name) that no word list rules out."""
        found: list[Finding] = []
        for span in spans:
            if span.label not in NER_PERSON and span.label not in NER_OTHER:
                continue
            for start, end, words in self._segments(window.text, span.start, span.end):
                if len(words) == 1 and not self._single(words[0]):
                    continue
                reason = f"names: ner {span.label}"
                found.append(self._finding(window.start + start, window.start + end, reason))
        taken = [(f.start - window.start, f.end - window.start) for f in found]
        first = _WORDS.match(window.text.lstrip())
        skip = len(window.text) - len(window.text.lstrip()) + (first.end() if first else 0)
        for start, end, words in self._segments(window.text, skip, len(window.text)):
            if (
                len(words) >= 2
                and all(
                    _CAPITALISED.match(w) or "-" in w for w in words if w.lower() not in PARTICLES
                )
                and all(end <= s or start >= e for s, e in taken)
            ):
                reason = "names: capitalised words the model did not place"
                found.append(self._finding(window.start + start, window.start + end, reason))
        return found

    def _single(self, word: str) -> bool:
        """A one-word NER name is kept only if it is a known first name."""
        return self._first_name(word)

    def _segments(self, text: str, start: int, end: int) -> list[tuple[int, int, list[str]]]:
        """Runs of adjacent name words in ``text[start:end]`` (particles allowed inside)."""
        words = [
            (m.start() + start, m.end() + start, m.group())
            for m in _WORDS.finditer(text[start:end])
        ]
        runs: list[list[tuple[int, int, str]]] = []
        current: list[tuple[int, int, str]] = []
        for index, word in enumerate(words):
            lower = word[2].lower()
            following = words[index + 1] if index + 1 < len(words) else None
            joined = not current or text[current[-1][1] : word[0]] in _GAPS
            if self._name_word(word[2]) and joined:
                current.append(word)
                continue
            if (
                current
                and joined
                and (
                    lower in PARTICLES
                    or (lower in FOLLOWERS and current[-1][2].lower() in PARTICLES)
                )
                and following
                and (self._name_word(following[2]) or following[2].lower() in FOLLOWERS)
            ):
                current.append(word)
                continue
            if current:
                runs.append(current)
            current = [word] if self._name_word(word[2]) else []
        if current:
            runs.append(current)
        result = []
        position = {word[0]: index for index, word in enumerate(words)}
        for run in runs:
            while run and (run[-1][2].lower() in PARTICLES or run[-1][2].lower() in FOLLOWERS):
                run.pop()
            if not run:
                continue
            first, last = position[run[0][0]], position[run[-1][0]]
            before = words[first - 1][2].lower() if first > 0 else ""
            after = words[last + 1][2] if last + 1 < len(words) else ""
            if (
                run[0][2].lower() in self.not_after  # San Diego, New Jersey
                or before in self.not_after  # Hôtel Mercure
                or any(w[2].lower() in self.institutions for w in run)  # Mayo Clinic
                or (after[:1].isupper() and after.lower() in self.org_after)
            ):
                continue
            result.append((run[0][0], run[-1][1], [w[2] for w in run]))
        return result

    # --- repeated mentions ------------------------------------------------------------------------

    def repeated(self, scan: Scan, found: Sequence[Finding]) -> list[Finding]:
        """Other capitalised occurrences of the words of names already found."""
        words: set[str] = set()
        for finding in found:
            if finding.type != self.entity:
                continue
            parts = _WORDS.findall(scan.text[finding.start : finding.end])
            if len(parts) >= 2:
                words.update(
                    p for p in parts if len(p) >= 3 and self._name_word(p) and not _UPPER.match(p)
                )
        if not words:
            return []
        taken = [(f.start, f.end) for f in found]
        spans: list[tuple[int, int]] = []
        for word in words:
            at = scan.text.find(word)
            while at >= 0:
                end = at + len(word)
                before = scan.text[at - 1] if at else " "
                after = scan.text[end] if end < len(scan.text) else " "
                if not (before.isalnum() or before == "-" or after.isalnum() or after == "-"):
                    spans.append((at, end))
                at = scan.text.find(word, end)
        return [
            self._finding(start, end, "names: repeated mention")
            for start, end in sorted(set(spans))
            if all(end <= s or start >= e for s, e in taken)
        ]

    def without_organisations(self, text: str, found: list[Finding]) -> list[Finding]:
        """Drop names inside a known organisation name (Pierre Fabre, Eli Lilly...)."""
        if not any(f.type == self.entity for f in found):
            return found
        spans = self.organisation_spans(text)
        if not spans:
            return found
        return [
            f
            for f in found
            if f.type != self.entity or not any(s <= f.start and f.end <= e for s, e in spans)
        ]

    def _finding(self, start: int, end: int, reason: str) -> Finding:
        return Finding(self.entity, start, end, self.score, self.name, self.data_class, reason)


_VOWELS = "aeiouyàâäéèêëïîôöùûüÿæœáíóúåøãõ"


def _code_like(text: str, token: Token) -> bool:
    """JIRA-4367, CMD-2024-1: a word followed by a number is a reference, not a name."""
    return re.match(r"[-_/]?\d", text[token.end : token.end + 2]) is not None


def _proper(words: Sequence[str]) -> list[str]:
    return [w for w in words if w.lower() not in PARTICLES and w.lower() not in FOLLOWERS]


def _particle(word: str) -> bool:
    return word.lower() in PARTICLES


_WORDS = re.compile(r"[\w'’]+(?:-[\w'’]+)*|&")
_LINE = re.compile(r"[^\n]+")
_EPONYM = re.compile(r"['’]s?\s+(?:disease|syndrome|disorder|lymphoma|palsy)\b")
"""Graves' disease, Hodgkin's lymphoma: a name that names a disease is not a person."""


_STARTS = frozenset(".!?…;\n•*-–—>|")


def _sentence_start(text: str, at: int) -> bool:
    """Nothing but spaces since a sentence end, a line break or a list bullet (after a colon,
    a capitalised pair is a name: "Contact : Ana Ruiz")."""
    index = at - 1
    while index >= 0 and text[index] in " \t\u00a0\r":
        index -= 1
    return index < 0 or text[index] in _STARTS


def _sentences(text: str) -> list[tuple[int, int]]:
    """Sentence bounds; a break after an honorific or an initial ('M.', 'J.') is not one."""
    bounds: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        before = text[start : match.start()]
        last = before.rsplit(maxsplit=1)[-1] if before.strip() else ""
        if "\n" not in match.group() and len(last) <= 4 and last.endswith("."):
            continue
        if match.start() > start:
            bounds.append((start, match.start()))
        start = match.end()
    if start < len(text):
        bounds.append((start, len(text)))
    result: list[tuple[int, int]] = []
    for begin, end in bounds:
        while end - begin > MAX_WINDOW:
            cut = text.rfind(" ", begin, begin + MAX_WINDOW)
            cut = cut if cut > begin else begin + MAX_WINDOW
            result.append((begin, cut))
            begin = cut
        result.append((begin, end))
    return result
