"""Canary markers and a scanner that looks for them in every file a run wrote.

A marker is ``CNRY-`` and 32 lowercase hex digits (a uuid4). Tests put markers wherever a user
can put something (typed text, names, user names, deep-link payloads, button data, platform user
ids) and afterwards :class:`Scanner` searches the database with its ``-wal``/``-shm`` files, the
logs and every other file for each marker:

* raw UTF-8, in any letter case (a stored ``casefold()`` of the text is found too);
* UTF-16, little and big endian;
* base64 and URL-safe base64, in each of the three alignments a marker can have inside a longer
  encoded value;
* hex (as in SQL dumps and ``X'…'`` literals), in either case;
* URL encoding: the marker's characters are unreserved, so a URL-encoded text carries the marker
  unchanged (found by the raw search); the fully percent-encoded form is searched as well.

Markers are found by pattern and looked up in a set, so thousands of markers cost one pass per
encoding. Other needles (numeric Telegram ids, a token) are searched one by one in the same
encodings plus the binary integer forms SQLite and struct packing use.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, quote_plus

PREFIX = "CNRY-"
MARKER = re.compile(r"CNRY-[0-9a-f]{32}")
_MARKER_LEN = len(PREFIX) + 32


def new_marker() -> str:
    """A fresh marker, ``CNRY-<uuid4 hex>``."""
    return f"{PREFIX}{uuid.uuid4().hex}"


@dataclass(frozen=True, slots=True)
class Hit:
    """One marker (or needle) found in one file."""

    path: Path
    needle: str
    encoding: str
    offset: int

    def __str__(self) -> str:
        return f"{self.path}@{self.offset}: {self.needle} ({self.encoding})"


# ------------------------------------------------------------------------------ encodings


def _utf16_pattern(big_endian: bool) -> re.Pattern[bytes]:
    def char(c: bytes) -> bytes:
        return b"\x00" + c if big_endian else c + b"\x00"

    prefix = b"".join(char(re.escape(bytes([b]))) for b in PREFIX.encode())
    hexchar = b"\x00[0-9a-f]" if big_endian else b"[0-9a-f]\x00"
    return re.compile(prefix + b"(?:" + hexchar + b"){32}")


_RAW = re.compile(rb"cnry-[0-9a-f]{32}", re.IGNORECASE)
_UTF16 = {"utf-16-le": _utf16_pattern(False), "utf-16-be": _utf16_pattern(True)}
_HEX_RE = re.compile(rb"434e52592d(?:3[0-9]|6[1-6]|4[1-6]){32}", re.IGNORECASE)
_PERCENT = re.compile(rb"%43%4e%52%59%2d(?:%3[0-9]|%6[1-6]|%4[1-6]){32}", re.IGNORECASE)


def _b64_skip(alignment: int) -> int:
    """Encoded characters that depend on the bytes before the marker."""
    return (0, 2, 3)[alignment]


def _b64_anchor(alignment: int, urlsafe: bool) -> bytes:
    """The encoded characters determined by ``CNRY-`` alone at this alignment."""
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    data = b"\x00" * alignment + PREFIX.encode()
    full = len(data) // 3 * 4  # characters of complete groups
    encoded = encode(data)
    # the characters of the last, incomplete group that are determined by known bytes
    rest = len(data) % 3
    extra = {0: 0, 1: 1, 2: 2}[rest]
    return encoded[_b64_skip(alignment) : full + extra]


_B64 = re.compile(rb"[A-Za-z0-9+/]*")
_B64URL = re.compile(rb"[A-Za-z0-9_-]*")


def text_variants(needle: str) -> Iterator[tuple[str, bytes]]:
    """(encoding, bytes) for a needle in every text encoding the scanner knows."""
    raw = needle.encode("utf-8")
    yield "utf-8", raw
    yield "utf-16-le", needle.encode("utf-16-le")
    yield "utf-16-be", needle.encode("utf-16-be")
    yield "hex", binascii.hexlify(raw)
    for name, quoted in (("url", quote(needle, safe="")), ("url-form", quote_plus(needle))):
        if quoted != needle:
            yield name, quoted.encode("ascii")
    yield "url-all", "".join(f"%{b:02X}" for b in raw).encode("ascii")
    for alignment in range(3):
        padded = b"\x00" * alignment + raw
        full = len(padded) // 3 * 4
        for name, encode in (("base64", base64.b64encode), ("base64url", base64.urlsafe_b64encode)):
            encoded = encode(padded)[_b64_skip(alignment) : full]
            if len(encoded) >= 4:
                yield f"{name}/{alignment}", encoded


def integer_variants(number: int) -> Iterator[tuple[str, bytes]]:
    """Binary forms of an integer: SQLite's big-endian record sizes, 8-byte LE/BE, 4-byte LE."""
    for size in (1, 2, 3, 4, 6, 8):
        if number < 1 << (8 * size - 1):
            yield "int-sqlite", number.to_bytes(size, "big")
            break
    yield "int64-be", number.to_bytes(8, "big")
    yield "int64-le", number.to_bytes(8, "little")
    if number < 1 << 32:
        yield "int32-le", number.to_bytes(4, "little")


def needle_variants(needle: str) -> list[tuple[str, bytes]]:
    """Every form of a needle searched for (each byte string once); numbers also in binary."""
    found = list(text_variants(needle))
    if needle.isdigit() and 0 < int(needle) < 1 << 63:
        found.extend(integer_variants(int(needle)))
    unique: dict[bytes, str] = {}
    for name, variant in found:
        unique.setdefault(variant, name)
    return [(name, variant) for variant, name in unique.items()]


# ------------------------------------------------------------------------------- scanning


def files_under(*roots: Path) -> list[Path]:
    """Every regular file under the roots (a root that is a file is itself)."""
    found: list[Path] = []
    for root in roots:
        if root.is_file():
            found.append(root)
        elif root.is_dir():
            found.extend(p for p in sorted(root.rglob("*")) if p.is_file() and not p.is_symlink())
    return found


#: What SQLite keeps beside a database file.
COMPANIONS = ("-wal", "-shm", "-journal")
#: The store's file of sealed routes beside its database (``bot.storage.routes_file.SUFFIX``).
ROUTES = ".routes"


def sqlite_family(db: Path) -> list[Path]:
    """The database file and its ``-wal``, ``-shm`` and ``-journal`` companions, and the
    store's routes file ``<db>.routes`` with its companions, where present."""
    routes = db.with_name(db.name + ROUTES)
    names = [db, *(db.with_name(db.name + suffix) for suffix in COMPANIONS)]
    names += [routes, *(routes.with_name(routes.name + suffix) for suffix in COMPANIONS)]
    return [p for p in names if p.exists()]


class Scanner:
    """Searches files for known markers and other needles.

    Args:
        markers: markers from :func:`new_marker` (anything else raises ValueError).
        needles: other strings to find (platform ids, secrets), searched one by one.
    """

    def __init__(self, markers: Iterable[str] = (), needles: Iterable[str] = ()) -> None:
        self.markers: set[str] = set()
        self.needles: dict[str, list[tuple[str, bytes]]] = {}
        for marker in markers:
            self.add_marker(marker)
        for needle in needles:
            self.add_needle(needle)

    def add_marker(self, marker: str) -> str:
        """Register a marker; returns it."""
        if not MARKER.fullmatch(marker):
            raise ValueError(f"not a marker: {marker!r}")
        self.markers.add(marker)
        return marker

    def add_needle(self, needle: str) -> str:
        """Register another string to look for (at least 6 characters); returns it."""
        if len(needle) < 6:
            raise ValueError("needles shorter than 6 characters would hit by chance")
        self.needles[needle] = needle_variants(needle)
        return needle

    def add_blob(self, label: str, blob: bytes) -> str:
        """Register binary data (a pseudonymous key, a sealed value), found raw or as hex."""
        if len(blob) < 8:
            raise ValueError("blobs shorter than 8 bytes would hit by chance")
        hexed = binascii.hexlify(blob)
        self.needles[label] = [("binary", blob), ("hex", hexed), ("hex", hexed.upper())]
        return label

    def scan_bytes(self, data: bytes, path: Path = Path("<bytes>")) -> list[Hit]:
        """Every hit in one blob."""
        hits: list[Hit] = []

        def known(found: bytes, encoding: str, offset: int) -> None:
            text = found.decode("ascii", "replace")
            marker = PREFIX + text[len(PREFIX) :].lower()
            if text[: len(PREFIX)].upper() == PREFIX and marker in self.markers:
                hits.append(Hit(path, marker, encoding, offset))

        if self.markers:
            for match in _RAW.finditer(data):
                known(match.group(), "utf-8", match.start())
            for name, pattern in _UTF16.items():
                for match in pattern.finditer(data):
                    known(match.group().decode(name).encode("ascii"), name, match.start())
            for match in _HEX_RE.finditer(data):
                known(binascii.unhexlify(match.group()), "hex", match.start())
            for match in _PERCENT.finditer(data):
                decoded = binascii.unhexlify(match.group().replace(b"%", b""))
                known(decoded, "url-all", match.start())
            hits.extend(self._scan_base64(data, path))
        for needle, variants in self.needles.items():
            for encoding, variant in variants:
                start = data.find(variant)
                if start >= 0:
                    hits.append(Hit(path, needle, encoding, start))
        return hits

    def _scan_base64(self, data: bytes, path: Path) -> list[Hit]:
        hits: list[Hit] = []
        seen: set[tuple[str, int]] = set()
        for urlsafe in (False, True):
            name = "base64url" if urlsafe else "base64"
            alphabet = _B64URL if urlsafe else _B64
            decode = base64.urlsafe_b64decode if urlsafe else base64.b64decode
            for alignment in range(3):
                anchor = _b64_anchor(alignment, urlsafe)
                begin_skip = _b64_skip(alignment)
                need = alignment + _MARKER_LEN
                span = (need + 2) // 3 * 4
                start = data.find(anchor)
                while start >= 0:
                    begin = start - begin_skip
                    run = alphabet.match(data, max(begin, 0), begin + span) if begin >= 0 else None
                    chunk = run.group() if run else b""
                    if len(chunk) % 4 == 1:
                        chunk = chunk[:-1]
                    chunk += b"=" * (-len(chunk) % 4)
                    decoded = decode(chunk) if chunk else b""
                    if len(decoded) >= need:
                        text = decoded[alignment:need].decode("ascii", "replace")
                        # most values are valid in both alphabets: report each copy once
                        if text in self.markers and (text, begin) not in seen:
                            seen.add((text, begin))
                            hits.append(Hit(path, text, f"{name}/{alignment}", begin))
                    start = data.find(anchor, start + 1)
        return hits

    def scan(self, paths: Iterable[Path]) -> list[Hit]:
        """Every hit in every file (directories are searched recursively)."""
        hits: list[Hit] = []
        for path in files_under(*paths):
            hits.extend(self.scan_bytes(path.read_bytes(), path))
        return hits


def report(hits: list[Hit], limit: int = 20) -> str:
    """A readable list of hits for an assertion message."""
    lines = [str(h) for h in hits[:limit]]
    if len(hits) > limit:
        lines.append(f"... and {len(hits) - limit} more")
    return "\n".join(lines)
