"""Content-Encoding decoders that stop at a size cap, so a compression bomb never fills memory.

Each decoder inflates at most `limit + 1` bytes in total and raises `TooLarge` past `limit`; zlib's
`max_length` and brotli's `output_buffer_limit` bound every step, whatever the compressed chunk size.
"""

from __future__ import annotations

import zlib
from typing import Any, Protocol

import brotli

__all__ = ["ACCEPT_ENCODING", "DecodeError", "Decoder", "TooLarge", "decoders_for"]

# brotli ≥ 1.2 can bound its output buffer; with an older one a `br` bomb could not be stopped early,
# so `br` is then neither advertised nor accepted.
_HAVE_BROTLI = hasattr(brotli.Decompressor, "can_accept_more_data")
ACCEPT_ENCODING = "gzip, deflate, br" if _HAVE_BROTLI else "gzip, deflate"


class TooLarge(Exception):
    """The decoded body went past the cap."""


class DecodeError(ValueError):
    """The body is not valid data for its Content-Encoding, or the encoding is not supported."""


class Decoder(Protocol):
    def feed(self, data: bytes, limit: int) -> bytes: ...


class _Identity:
    def feed(self, data: bytes, limit: int) -> bytes:
        return data


class _Zlib:
    """gzip or deflate (zlib-wrapped or raw, as servers send both)."""

    def __init__(self, gzip: bool) -> None:
        self._gzip = gzip
        self._wbits = 47  # 32 + 15: gzip or zlib header, detected
        self._d: Any = None
        self._head = b""
        self._produced = 0

    def feed(self, data: bytes, limit: int) -> bytes:
        if self._d is None:
            self._head += data
            if len(self._head) < 2:
                return b""
            data, self._head = self._head, b""
            # `deflate` is meant to be zlib-wrapped, but some servers send a raw stream: look at the header.
            is_zlib = (data[0] & 0x0F) == 8 and ((data[0] << 8) | data[1]) % 31 == 0
            self._wbits = 47 if self._gzip or is_zlib else -15
            self._d = zlib.decompressobj(self._wbits)
        out: list[bytes] = []
        try:
            while data:
                piece = self._d.decompress(data, limit - self._produced + 1)
                self._produced += len(piece)
                out.append(piece)
                if self._produced > limit:
                    raise TooLarge
                if self._d.eof:  # gzip allows several members back to back
                    data = self._d.unused_data
                    self._d = zlib.decompressobj(self._wbits)
                else:
                    data = self._d.unconsumed_tail
        except zlib.error as exc:
            raise DecodeError(f"not valid {'gzip' if self._gzip else 'deflate'} data") from exc
        return b"".join(out)


class _Brotli:
    def __init__(self) -> None:
        self._d = brotli.Decompressor()
        self._produced = 0

    def _step(self, data: bytes, limit: int) -> bytes:
        piece: bytes = self._d.process(data, output_buffer_limit=limit - self._produced + 1)
        self._produced += len(piece)
        return piece

    def feed(self, data: bytes, limit: int) -> bytes:
        try:
            out = [self._step(data, limit)]
            while self._produced <= limit and not self._d.can_accept_more_data():
                out.append(self._step(b"", limit))
        except brotli.error as exc:
            raise DecodeError("not valid br data") from exc
        if self._produced > limit:
            raise TooLarge
        return b"".join(out)


def decoders_for(content_encoding: str) -> list[Decoder]:
    """Decoders in the order to apply them (the header lists encodings in the order they were applied)."""
    names = [n.strip().lower() for n in content_encoding.split(",") if n.strip()]
    if len(names) > 2:
        raise DecodeError(f"too many content encodings ({content_encoding})")
    decoders: list[Decoder] = []
    for name in reversed(names):
        if name == "identity":
            decoders.append(_Identity())
        elif name in ("gzip", "x-gzip", "deflate"):
            decoders.append(_Zlib(gzip=name != "deflate"))
        elif name == "br" and _HAVE_BROTLI:
            decoders.append(_Brotli())
        else:
            raise DecodeError(f"unsupported content encoding ({name})")
    return decoders
