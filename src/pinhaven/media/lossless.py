"""Lossless metadata removal: copy the coded image data, drop everything else.

Used for uploads that need no pixel change (upright, 8-bit, sRGB or untagged): the stored original then
is the uploader's own pixels, with EXIF (GPS), XMP, IPTC, ICC, text chunks, maker notes, embedded
thumbnails, secondary images and anything appended after the end marker gone, and without a slow re-encode.

JPEG: every APPn/COM segment goes; JFIF and Adobe markers are replaced by canonical, payload-free copies,
because they decide how decoders read the colour components. PNG: only IHDR, PLTE, tRNS, IDAT and IEND
are kept (their CRCs checked); animation chunks go too, leaving the default image.
"""

from __future__ import annotations

import zlib

__all__ = ["strip_jpeg", "strip_png"]

_SOI, _EOI, _SOS = 0xD8, 0xD9, 0xDA
_APP0, _APP14, _COM = 0xE0, 0xEE, 0xFE
_JFIF = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"  # v1.1, aspect 1:1, no thumbnail


def _adobe(transform: int) -> bytes:
    return b"\xff\xee\x00\x0eAdobe\x00\x64\x00\x00\x00\x00" + bytes([transform])


def _scan_end(data: bytes, pos: int) -> int | None:
    """Offset of the marker that ends the entropy-coded data starting at `pos`."""
    n = len(data)
    while True:
        i = data.find(b"\xff", pos)
        if i < 0 or i + 1 >= n:
            return None
        follower = data[i + 1]
        if follower == 0x00 or 0xD0 <= follower <= 0xD7:  # stuffed byte or restart marker
            pos = i + 2
            continue
        return i


def strip_jpeg(data: bytes) -> bytes | None:
    """The JPEG without metadata, or None when its structure is not one this parser vouches for."""
    if not data.startswith(b"\xff\xd8"):
        return None
    n = len(data)
    out: list[bytes] = [b"\xff\xd8"]
    saw_jfif = False
    adobe_transform: int | None = None
    header_written = False
    pos = 2
    while pos < n:
        if data[pos] != 0xFF:
            return None
        while pos < n and data[pos] == 0xFF:  # fill bytes
            pos += 1
        if pos >= n:
            return None
        marker = data[pos]
        pos += 1
        if marker == _EOI:
            out.append(b"\xff\xd9")
            return b"".join(out) if header_written else None
        if marker == _SOI or 0xD0 <= marker <= 0xD7 or marker == 0x01 or pos + 2 > n:
            return None  # markers without a length outside a scan: not a file we vouch for
        length = int.from_bytes(data[pos : pos + 2], "big")
        end = pos + length
        if length < 2 or end > n:
            return None
        payload = data[pos + 2 : end]
        if 0xE0 <= marker <= 0xEF or marker == _COM:
            is_jfif = marker == _APP0 and payload.startswith(b"JFIF\x00")
            is_adobe = marker == _APP14 and payload.startswith(b"Adobe") and len(payload) >= 12
            if (is_jfif or is_adobe) and header_written:
                return None  # a colour-defining marker after the frame header: too odd to copy faithfully
            if is_jfif:
                saw_jfif = True
            elif is_adobe:
                adobe_transform = payload[11]
            pos = end
            continue
        if not header_written:
            if saw_jfif:
                out.append(_JFIF)
            if adobe_transform is not None:
                out.append(_adobe(adobe_transform))
            header_written = True
        out.append(data[pos - 2 : end])
        pos = end
        if marker == _SOS:
            scan_end = _scan_end(data, pos)
            if scan_end is None:
                return None
            out.append(data[pos:scan_end])
            pos = scan_end
    return None


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_KEEP = frozenset({b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"})


def strip_png(data: bytes) -> bytes | None:
    """The PNG with only its image chunks, or None when a chunk is cut short or fails its CRC."""
    if not data.startswith(_PNG_SIGNATURE):
        return None
    n = len(data)
    out: list[bytes] = [_PNG_SIGNATURE]
    pos = len(_PNG_SIGNATURE)
    while pos + 12 <= n:
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if end > n:
            return None
        if kind in _PNG_KEEP:
            if zlib.crc32(data[pos + 4 : end - 4]) != int.from_bytes(data[end - 4 : end], "big"):
                return None
            out.append(data[pos:end])
            if kind == b"IEND":
                return b"".join(out)
        pos = end
    return None
