"""Text analysis for knowledge-base search, shared by both databases: which PostgreSQL text search
configuration a language gets, how Chinese and Japanese are cut into searchable units, how a user's
query becomes a safe FTS5 expression, and which words of a ticket are worth searching for.

Neither SQLite's tokenizers nor PostgreSQL's parser splits CJK text (a whole sentence is one token),
so runs of CJK characters are indexed one character per token and searched as phrases of
characters: "退货" finds "如何办理退货" on both databases. Every user query is rebuilt from its
tokens, each one quoted, so no input can reach FTS5 as syntax.
"""

from __future__ import annotations

import re

# PostgreSQL's built-in configurations (all present since PostgreSQL 13, which has every one of these);
# languages without one use 'simple' (no stemming, no stop words), as do Chinese and Japanese.
PG_CONFIGS: dict[str, str] = {
    "ar": "arabic", "da": "danish", "de": "german", "el": "greek", "en": "english", "es": "spanish",
    "fi": "finnish", "fr": "french", "ga": "irish", "hu": "hungarian", "id": "indonesian", "it": "italian",
    "lt": "lithuanian", "nb": "norwegian", "ne": "nepali", "nl": "dutch", "nn": "norwegian", "no": "norwegian",
    "pt": "portuguese", "ro": "romanian", "ru": "russian", "sv": "swedish", "ta": "tamil", "tr": "turkish",
}

# Han, kana and their compatibility blocks: written without spaces between words.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RUN = re.compile(f"[{_CJK}]+")
# Letters and digits of any script, CJK runs apart (they are cut into characters).
_TOKEN = re.compile(f"[{_CJK}]+|[^\\W_{_CJK}]+")
MAX_QUERY_CHARS = 500
MAX_TERMS = 32

# The commonest function words of the languages most tickets come in; PostgreSQL's configurations
# drop their own stop words too, this list keeps SQLite's suggestions from matching every article.


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_STOP_WORDS: dict[str, frozenset[str]] = {
    "en": _words("""the and for are but not you your with have has had this that from they was were will
        would can could should what when where which who how why all any our out about into just than then
        there their them been being get got did does done please thanks thank hello dear regards hi yes
        also very some more most much such only its it's i'm i've don't can't"""),
    "de": _words("""der die das und ist nicht ein eine einen einem einer mit von für auf den dem des
        sich sie ich wir ihr ihre ihr mein meine habe haben hat war wurde werden wird auch noch bitte danke
        hallo aber oder wenn dass was wie wo kann können sehr vielen gruß grüße"""),
    "es": _words("""que los las del por con una uno para como pero sus mis más muy este esta estos
        estas ese esa hola gracias favor tengo tiene han hay fue ser está están cuando donde porque
        también saludos"""),
    "fr": _words("""les des une que qui pour dans par sur avec est sont pas mais vous nous mon mes
        votre vos leur ces cette bonjour merci avoir été suis très aussi quand comment cordialement"""),
}
_MIN_WORD = 3


def pg_config(language: str) -> str:
    return PG_CONFIGS.get(primary(language), "simple")


def primary(language: str) -> str:
    return language.split("-", 1)[0].lower()


def segment(text: str) -> str:
    """Text as it is indexed: every CJK character a word of its own."""
    return _CJK_RUN.sub(lambda m: " " + " ".join(m.group()) + " ", text)


def _terms(text: str) -> list[str]:
    """Word tokens and CJK runs, in order."""
    return _TOKEN.findall(text[:MAX_QUERY_CHARS])


def _fts5_term(token: str) -> str:
    # Tokens hold only letters and digits: quoting makes NEAR, AND, OR, NOT plain words.
    return '"' + (" ".join(token) if _CJK_RUN.fullmatch(token) else token) + '"'


def fts5_query(text: str) -> str:
    """A user's search as an FTS5 expression of quoted terms (all must match); "" when nothing is left.

    A quoted part stays a phrase, a bare `or` between terms means OR (as PostgreSQL's websearch
    syntax does); every other character is dropped.
    """
    parts: list[str] = []
    for index, chunk in enumerate(text[:MAX_QUERY_CHARS].split('"')):
        if index % 2:  # inside quotes (an unclosed quote runs to the end)
            tokens = [" ".join(t) if _CJK_RUN.fullmatch(t) else t for t in _terms(chunk)]
            if tokens:
                parts.append('"' + " ".join(tokens) + '"')
            continue
        for token in _terms(chunk):
            if token.lower() == "or":
                if parts and parts[-1] != "OR":
                    parts.append("OR")
            else:
                parts.append(_fts5_term(token))
    while parts and parts[-1] == "OR":
        parts.pop()
    terms = [p for p in parts if p != "OR"]
    if len(terms) > MAX_TERMS:
        return " ".join(terms[:MAX_TERMS])
    return " ".join(parts)


def websearch_text(text: str) -> str:
    """A user's search for PostgreSQL's websearch_to_tsquery: CJK runs become phrases of characters
    (inside the user's own quotes they are already part of a phrase)."""
    chunks = text[:MAX_QUERY_CHARS].replace("\x00", " ").split('"')
    out = []
    for index, chunk in enumerate(chunks):
        if index % 2:
            out.append(_CJK_RUN.sub(lambda m: " " + " ".join(m.group()) + " ", chunk))
        else:
            out.append(_CJK_RUN.sub(lambda m: ' "' + " ".join(m.group()) + '" ', chunk))
    return '"'.join(out)


def significant_words(text: str, language: str, limit: int = 12) -> list[str]:
    """The words of a ticket worth searching for: no stop words, no short tokens, no numbers;
    CJK runs become their character pairs. The first `limit`, without repeats."""
    stop = _STOP_WORDS.get(primary(language), frozenset()) | _STOP_WORDS["en"]
    words: list[str] = []
    for token in _TOKEN.findall(text):
        if _CJK_RUN.fullmatch(token):
            pairs = [token[i:i + 2] for i in range(len(token) - 1)] or [token]
            candidates = pairs
        else:
            word = token.lower()
            if len(word) < _MIN_WORD or word.isdigit() or word in stop:
                continue
            candidates = [word]
        for word in candidates:
            if word not in words:
                words.append(word)
                if len(words) >= limit:
                    return words
    return words


def any_of(words: list[str]) -> tuple[str, str]:
    """Words as "match any" queries: (FTS5 expression, websearch_to_tsquery text)."""
    fts = " OR ".join(_fts5_term(w) for w in words)
    web = " or ".join(('"' + " ".join(w) + '"') if _CJK_RUN.fullmatch(w) else w for w in words)
    return fts, web


def has_terms(text: str) -> bool:
    """Whether a query holds anything to search for (websearch_to_tsquery of nothing only warns)."""
    return bool(_TOKEN.search(text))
