"""What the legacy proxy keeps of a page: nh3 sanitising, links rewritten to the proxy, no password fields, a bounded nesting depth."""

from __future__ import annotations

import re
import time
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx
import nh3

from pandjango.legacy.paths import LegacyError, LegacySettings, check_path, proxy_url, relative_path

# What the old monitor's pages may keep: nh3's defaults plus GET forms.
SAFE_TAGS = nh3.ALLOWED_TAGS | {"form", "input", "select", "option", "optgroup", "label", "button", "textarea", "fieldset", "legend"}
SAFE_ATTRIBUTES: dict[str, set[str]] = {
    # less `cite`, a URL that nh3 passes whatever its scheme (javascript: included)
    **{tag: set(attrs) - {"cite"} for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()},
    "table": set(nh3.ALLOWED_ATTRIBUTES["table"]) | {"border", "cellpadding", "cellspacing"},
    "form": {"action"},
    "input": {"name", "value", "type", "size", "maxlength", "checked", "placeholder"},
    "select": {"name", "multiple", "size"},
    "option": {"value", "selected"},
    "optgroup": {"label"},
    "label": {"for"},
    "button": {"name", "value", "type"},
    "textarea": {"name", "rows", "cols"},
}
# The proxy is read-only: a form keeps method="get" or loses its method (and so is a GET).
SAFE_ATTRIBUTE_VALUES = {"form": {"method": {"get", "GET"}}}
DROPPED_WITH_CONTENT = {"script", "style", "title"}
URL_ATTRIBUTES = {("a", "href"), ("form", "action"), ("img", "src")}  # nh3 keeps no other URL attribute
# Browsers stop nesting at 512 too; a real page of the old monitor is a few tens deep. At this
# depth nh3 sanitises 2 MB in about a second; 100,000 deep, a 1 MB page took 50 s.
MAX_DEPTH = 512


# ---------------------------------------------------------------------------- sanitising


class _TitleParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.inside = False
        self.done = False
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.inside = tag == "title" and not self.done

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self.inside:
            self.inside, self.done = False, True

    def handle_data(self, data: str) -> None:
        if self.inside:
            self.parts.append(data)


def page_title(html: str) -> str:
    parser = _TitleParser()
    parser.feed(html[:20000])
    return " ".join("".join(parser.parts).split())[:200]


def rewrite_url(value: str, page_url: str, cfg: LegacySettings, *, link: bool) -> str | None:
    """A URL found in the old monitor's page, as the user should get it: a page of the old
    monitor becomes its /legacy/ URL; a foreign page stays as it is when it is a link, and
    is dropped when it would be fetched by the browser itself (an image, a form)."""
    value = value.strip()
    if value.startswith("#"):
        return value
    scheme = urlsplit(value).scheme.lower()
    if scheme not in ("", "http", "https") and not (link and scheme == "mailto"):
        return None
    if scheme == "mailto":
        return value
    absolute = urljoin(page_url, value)
    try:
        rel = relative_path(cfg, httpx.URL(absolute))
    except httpx.InvalidURL:
        return None
    if rel is None:
        return absolute if link else None
    parts = urlsplit(absolute)
    if rel == "" and not parts.query:
        return "/legacy/" + ("#" + parts.fragment if parts.fragment else "")
    try:
        check_path(rel, cfg)
    except LegacyError:
        return None  # the proxy would refuse it: keep the text, drop the link
    return proxy_url(rel, parts.query, parts.fragment)


def sanitise(html: str, page_url: str, cfg: LegacySettings, deadline: float | None = None) -> tuple[str, str]:
    """(title, safe HTML) of an old monitor's page, its links going through /legacy/; a page
    nested deeper than MAX_DEPTH, or not sanitised by the deadline, is a LegacyError 502."""
    if nesting_depth(html, MAX_DEPTH) > MAX_DEPTH:
        message = f"The old monitor's page is nested more than {MAX_DEPTH} elements deep, too deep for the proxy to make it safe to show."
        raise LegacyError(502, "legacy_too_complex", message)

    def attribute_filter(tag: str, attr: str, value: str) -> str | None:
        if (tag, attr) in URL_ATTRIBUTES:
            return rewrite_url(value, page_url, cfg, link=tag == "a")
        return value

    clean = nh3.clean(
        html,
        tags=SAFE_TAGS,
        clean_content_tags=DROPPED_WITH_CONTENT,
        attributes=SAFE_ATTRIBUTES,
        tag_attribute_values=SAFE_ATTRIBUTE_VALUES,
        attribute_filter=attribute_filter,
        url_schemes={"http", "https", "mailto"},
    )
    if deadline is not None and time.monotonic() > deadline:
        message = f"The old monitor's page could not be made safe to show within the {cfg.timeout_seconds:g} seconds the proxy allows."
        raise LegacyError(502, "legacy_too_complex", message)
    return page_title(html), without_password_fields(clean)


# nh3's output is regular: attributes in double quotes, "<" and ">" escaped everywhere but in
# tags. A password field goes, whatever the form's method: a proxied form is a GET form, and a
# password must never end up in a URL (logs, history, the old monitor's logs).
_INPUT = re.compile(r"<input\b[^>]*>")
_PASSWORD_TYPE = re.compile(r'\stype="\s*password\s*"', re.IGNORECASE)


def without_password_fields(clean: str) -> str:
    return _INPUT.sub(lambda tag: "" if _PASSWORD_TYPE.search(tag.group()) else tag.group(), clean)


# ---------------------------------------------------------------------------- nesting depth

# How deep html5ever (nh3's parser) nests a page, found by a scan that follows its rules where
# they matter for depth: comments, raw text, quoted attributes, end tags that do not cross a
# block or a table, start tags that close an open element (li, p, td, tr, option...). Where the
# two may differ, the scan is made to count deeper rather than shallower; what it misses still
# meets the deadline checked after nh3.
_W = r"[\t\n\f\r ]"  # HTML's white space (Python's \s has more)
_NAME = r"[^\t\n\f\r />]"
_MARKUP = re.compile(
    r"<!--(?>-?>|.*?(?:--!?>|\Z))"  # a comment (<!--> and <!---> end at once)
    r"|<[!?][^>]*>?|</(?![A-Za-z])[^>]*>?"  # <!DOCTYPE>, <?...>, </ x>: bogus comments
    rf"|<(/?)([A-Za-z]{_NAME}*)"  # a tag, then its attributes, quoted values only after "="
    rf"(?>(?:{_W}|/)*(?:{_NAME}[^\t\n\f\r />=]*(?:{_W}*={_W}*(?:\"[^\"]*\"|'[^']*'|[^\t\n\f\r >]*))?)?)*>?",
    re.S,
)
_VOID = frozenset("area base basefont bgsound br col embed frame hr image img input keygen link meta param source track wbr".split())
_RAW_TEXT = frozenset("script style textarea title xmp iframe noembed noframes".split())
_RAW_IN_SELECT = frozenset({"script", "textarea"})
_RAW_TEXT_END = {name: re.compile(rf"</{name}[\t\n\f\r />]", re.IGNORECASE) for name in _RAW_TEXT}
_SPECIAL = frozenset(
    """address applet area article aside base basefont bgsound blockquote body br button caption center col colgroup dd details
    dialog dir div dl dt embed fieldset figcaption figure footer form frame frameset h1 h2 h3 h4 h5 h6 head header hgroup hr html
    iframe img input keygen li link listing main marquee menu meta nav noembed noframes noscript object ol p param plaintext pre
    script search section select source style summary table tbody td template textarea tfoot th thead title tr track ul wbr xmp
    svg math""".split()
)
_SCOPE = frozenset("applet caption html table td th marquee object template svg math".split())
_HEADINGS = frozenset("h1 h2 h3 h4 h5 h6".split())
_CLOSES_P = frozenset(
    """address article aside blockquote center details dialog dir div dl fieldset figcaption figure footer header hgroup main menu
    nav ol p search section summary ul h1 h2 h3 h4 h5 h6 pre listing form plaintext hr xmp dd dt li""".split()
)
_A_SCOPE = frozenset("td th caption applet object marquee template".split())
# Kinds of open elements the rules below look for, each kept as a list of where they are open.
_KINDS = {
    "special": _SPECIAL,
    "stops_li": _SPECIAL - {"address", "div", "p"},
    "scope": _SCOPE,
    "button_scope": _SCOPE | {"button"},
    "table_scope": frozenset("html table template svg math".split()),
    "a_scope": _A_SCOPE,
}
# A start tag that closes the nearest open element of a kind, if no table is nearer.
_CLOSES_IN_TABLE = {"td": ("td", "th"), "th": ("td", "th"), "tr": ("tr",), "tbody": ("tbody", "thead", "tfoot")}
_CLOSES_IN_TABLE["thead"] = _CLOSES_IN_TABLE["tfoot"] = _CLOSES_IN_TABLE["tbody"]


class _OpenElements:
    def __init__(self) -> None:
        self.names: list[str] = []
        self.at: dict[str, list[int]] = {}  # name -> where it is open, innermost last
        self.kinds: dict[str, list[int]] = {kind: [] for kind in _KINDS}
        self.lists_of: dict[str, list[list[int]]] = {}

    def _lists(self, name: str) -> list[list[int]]:
        lists = self.lists_of.get(name)
        if lists is None:
            lists = [self.at.setdefault(name, [])] + [self.kinds[kind] for kind, names in _KINDS.items() if name in names]
            self.lists_of[name] = lists
        return lists

    def push(self, name: str) -> None:
        i = len(self.names)
        self.names.append(name)
        for where in self._lists(name):
            where.append(i)

    def close_to(self, i: int) -> None:
        """Closes the element at i and all those inside it."""
        while len(self.names) > i:
            for where in self._lists(self.names.pop()):
                where.pop()

    def nearest(self, name: str) -> int:
        where = self.at.get(name)
        return where[-1] if where else -1

    def last(self, kind: str) -> int:
        where = self.kinds[kind]
        return where[-1] if where else -1

    def start(self, name: str) -> None:
        top = self.names[-1] if self.names else ""
        if name in _CLOSES_P and self.nearest("p") > self.last("button_scope"):
            self.close_to(self.nearest("p"))
        if name in ("li", "dd", "dt"):
            i = self.last("stops_li")
            if i >= 0 and self.names[i] in (("li",) if name == "li" else ("dd", "dt")):
                self.close_to(i)
        elif name in _CLOSES_IN_TABLE:
            i = max(self.nearest(kind) for kind in _CLOSES_IN_TABLE[name])
            if i > self.last("table_scope"):
                self.close_to(i)
        elif name in _HEADINGS and top in _HEADINGS:
            self.close_to(len(self.names) - 1)
        elif (name in ("option", "optgroup") and top == "option") or (name == "optgroup" and top == "optgroup"):
            self.close_to(len(self.names) - 1)
        elif name == "a":
            i = self.nearest("a")
            if i > self.last("a_scope") and i > self.last("special"):
                self.close_to(i)
        self.push(name)

    def end(self, name: str) -> None:
        i = self.nearest(name)
        if i >= 0 and (self.last("scope") <= i if name in _SPECIAL else self.last("special") < i):
            self.close_to(i)

    def raw_text_ends(self, name: str) -> bool:
        """Whether the element just opened holds text up to its end tag, not markup."""
        if name not in _RAW_TEXT or self.at.get("svg") or self.at.get("math"):
            return False
        return name in _RAW_IN_SELECT or not self.at.get("select")


def nesting_depth(html: str, limit: int) -> int:
    """How deep the page nests, counted up to just past `limit`."""
    open_elements = _OpenElements()
    deepest = pos = 0
    while match := _MARKUP.search(html, pos):
        pos = match.end()
        slash, name = match.group(1, 2)
        if name is None:
            continue
        name = name.lower()
        if slash:
            open_elements.end(name)
        elif name not in _VOID:
            open_elements.start(name)
            deepest = max(deepest, len(open_elements.names))
            if deepest > limit:
                break
            if open_elements.raw_text_ends(name):
                end = _RAW_TEXT_END[name].search(html, pos)
                if end is not None:  # without one, the rest is scanned as markup: deeper, not shallower
                    pos = end.start()
    return deepest
