"""The scanner itself: it must find a planted marker in every encoding it claims to know."""

from __future__ import annotations

import base64
import binascii
import os
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from testbed.canary import (
    Scanner,
    files_under,
    needle_variants,
    new_marker,
    report,
    sqlite_family,
)


def noise(size: int = 300) -> bytes:
    return os.urandom(size)


def planted(encoded: bytes) -> bytes:
    return noise() + encoded + noise()


ENCODINGS = {
    "utf-8": lambda m: m.encode(),
    "utf-8 casefolded": lambda m: m.casefold().encode(),
    "utf-8 upper": lambda m: m.upper().encode(),
    "utf-16-le": lambda m: m.encode("utf-16-le"),
    "utf-16-be": lambda m: m.encode("utf-16-be"),
    "hex": lambda m: binascii.hexlify(m.encode()),
    "hex upper": lambda m: binascii.hexlify(m.encode()).upper(),
    "url-all": lambda m: "".join(f"%{b:02X}" for b in m.encode()).encode(),
}
LABELS = {
    "utf-8": "utf-8",
    "utf-8 casefolded": "utf-8",
    "utf-8 upper": "utf-8",
    "utf-16-le": "utf-16-le",
    "utf-16-be": "utf-16-be",
    "hex": "hex",
    "hex upper": "hex",
    "url-all": "url-all",
}


@pytest.mark.parametrize("name", sorted(ENCODINGS))
def test_finds_a_marker_in_each_text_encoding(name):
    marker, other = new_marker(), new_marker()
    scanner = Scanner([marker, other])
    hits = scanner.scan_bytes(planted(ENCODINGS[name](marker)))
    assert [(h.needle, h.encoding) for h in hits] == [(marker, LABELS[name])]


@pytest.mark.parametrize("urlsafe", [False, True], ids=["base64", "base64url"])
@pytest.mark.parametrize("alignment", [0, 1, 2])
@pytest.mark.parametrize(
    "tail", [b"", b"!", b"xy", b" und mehr Text"], ids=["end", "1", "2", "text"]
)
def test_finds_a_marker_inside_base64_at_every_alignment(urlsafe, alignment, tail):
    marker = new_marker()
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    value = b"P" * (3 + alignment) + marker.encode() + tail
    encoded = encode(value)
    for blob in (encoded, encoded.rstrip(b"=")):  # with and without padding
        hits = Scanner([marker]).scan_bytes(b'{"v": "' + blob + b'"}')
        # without "-" or "_" in it, URL-safe base64 is standard base64 (reported as such)
        names = {"base64", "base64url"} if urlsafe else {"base64"}
        wanted = {f"{name}/{alignment}" for name in names}
        assert [h.needle for h in hits] == [marker], blob
        assert hits[0].encoding in wanted


def test_a_url_encoded_text_carries_the_marker_unchanged():
    marker = new_marker()
    form = f"name=Erika+M%C3%BCller&text=Ich+hei%C3%9Fe+{marker}+%26+mehr".encode()
    assert [h.encoding for h in Scanner([marker]).scan_bytes(form)] == ["utf-8"]


def test_unknown_markers_and_clean_data_give_no_hits():
    registered, stranger = new_marker(), new_marker()
    scanner = Scanner([registered])
    assert scanner.scan_bytes(planted(stranger.encode())) == []
    assert scanner.scan_bytes(noise(1 << 16)) == []
    # a marker that is cut short is no hit
    assert scanner.scan_bytes(planted(registered[:-1].encode())) == []


def test_every_copy_is_reported():
    marker = new_marker()
    blob = marker.encode() + noise() + marker.encode("utf-16-le") + noise()
    blob += base64.b64encode(b"ab" + marker.encode())
    hits = Scanner([marker]).scan_bytes(blob)
    assert sorted(h.encoding for h in hits) == ["base64/2", "utf-16-le", "utf-8"]


def test_only_markers_are_accepted():
    with pytest.raises(ValueError, match="not a marker"):
        Scanner(["hello"])
    with pytest.raises(ValueError, match="shorter"):
        Scanner(needles=["12345"])


@settings(max_examples=200, deadline=None)
@given(
    before=st.binary(max_size=40),
    after=st.binary(max_size=40),
    urlsafe=st.booleans(),
    utf16=st.booleans(),
)
def test_marker_in_any_base64_value_is_found(before, after, urlsafe, utf16):
    marker = new_marker()
    inner = marker.encode("utf-16-le") if utf16 else marker.encode()
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    blob = encode(before + inner + after)
    hits = Scanner([marker]).scan_bytes(b"x" + blob + b"\n")
    if utf16:  # base64 of UTF-16 is not one of the encodings; it must not be claimed either
        assert all(h.needle == marker for h in hits)
    else:
        assert [h.needle for h in hits] == [marker]


# ------------------------------------------------------------------------------ needles


@pytest.mark.parametrize(
    ("label", "encode"),
    [
        ("utf-8", lambda n: str(n).encode()),
        ("utf-16-le", lambda n: str(n).encode("utf-16-le")),
        ("int-sqlite", lambda n: n.to_bytes(6, "big")),
        ("int64-le", lambda n: n.to_bytes(8, "little")),
        ("base64/1", lambda n: base64.b64encode(b"a" + str(n).encode() + b"zz")),
    ],
)
def test_finds_a_numeric_platform_id(label, encode):
    user_id = 7_340_000_000_123  # a 43-bit id, stored by SQLite in 6 bytes
    hits = Scanner(needles=[str(user_id)]).scan_bytes(planted(encode(user_id)))
    assert label in {h.encoding for h in hits}


def test_needle_variants_cover_the_promised_encodings():
    names = {name for name, _ in needle_variants("@user:example.org")}
    assert {"utf-8", "utf-16-le", "utf-16-be", "hex", "url", "url-all"} <= names
    assert {f"base64/{a}" for a in range(3)} <= names
    assert {"int-sqlite", "int64-be", "int64-le"} <= {n for n, _ in needle_variants("123456789")}


def test_needle_in_url_encoding_is_found():
    matrix_id = "@cnry-anna:localhost"
    blob = planted(b"GET /_matrix/client/v3/profile/%40cnry-anna%3Alocalhost HTTP/1.1")
    hits = Scanner(needles=[matrix_id]).scan_bytes(blob)
    assert [h.encoding for h in hits] == ["url"]


# ------------------------------------------------------------------------------ files


def test_scan_walks_directories_and_names_the_file(tmp_path: Path):
    marker = new_marker()
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "clean.txt").write_text("nothing here")
    target = tmp_path / "a" / "b" / "deep.log"
    target.write_bytes(planted(marker.encode("utf-16-be")))
    assert set(files_under(tmp_path)) == {tmp_path / "a" / "clean.txt", target}
    hits = Scanner([marker]).scan([tmp_path])
    assert [(h.path, h.encoding) for h in hits] == [(target, "utf-16-be")]
    assert marker in report(hits)


def _sqlite_remnants(path: Path, secure_delete: bool) -> tuple[Scanner, Path]:
    marker = new_marker()
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"PRAGMA secure_delete={'ON' if secure_delete else 'OFF'}")
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)")
    db.execute("INSERT INTO t (body) VALUES (?)", (f"Ich heiße {marker}, bitte helfen Sie",))
    db.execute("INSERT INTO t (body) VALUES ('padding')")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute("DELETE FROM t WHERE body LIKE 'Ich%'")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return Scanner([marker]), path


def test_sqlite_without_secure_delete_keeps_the_deleted_row(tmp_path: Path):
    """The baseline the product must beat: a deleted row stays in the file."""
    scanner, db = _sqlite_remnants(tmp_path / "plain.db", secure_delete=False)
    assert scanner.scan(sqlite_family(db)), "the scanner must see the deleted row"


def test_sqlite_with_secure_delete_and_checkpoint_keeps_nothing(tmp_path: Path):
    scanner, db = _sqlite_remnants(tmp_path / "secure.db", secure_delete=True)
    hits = scanner.scan(sqlite_family(db))
    assert hits == [], report(hits)


def test_binary_blobs_are_found_raw_and_as_hex():
    key = os.urandom(32)
    scanner = Scanner()
    scanner.add_blob("key", key)
    assert [h.encoding for h in scanner.scan_bytes(planted(key))] == ["binary"]
    hexed = binascii.hexlify(key)
    assert [h.encoding for h in scanner.scan_bytes(planted(hexed.upper()))] == ["hex"]
    assert scanner.scan_bytes(planted(key[:-1])) == []
    with pytest.raises(ValueError, match="shorter"):
        scanner.add_blob("short", b"1234")
