"""Two pieces of AWS's wire that a local Bedrock fixture needs, written from AWS's public specs:

- `event_message`: one frame of ``application/vnd.amazon.eventstream`` (the binary framing of
  Bedrock's streaming answers): an 8-byte prelude (total length, headers length, both big-endian
  uint32), the prelude's CRC32, the headers, the payload, and the CRC32 of everything before it.
  Each header is a 1-byte name length, the name, a value type (7: string), a 2-byte value length
  and the value.
- `sigv4_problem`: checks a request's Signature Version 4 ``Authorization`` header against the
  access key and secret it should have been signed with, the way AWS does (canonical request,
  string to sign, derived signing key); returns what is wrong, or None.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import re
import struct
from collections.abc import Mapping
from urllib.parse import parse_qsl, quote

_STRING = 7
_AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<scope>\d{8}/[^/]+/[^/]+/aws4_request),\s*"
    r"SignedHeaders=(?P<headers>[^,]+),\s*Signature=(?P<signature>[0-9a-f]{64})")


def _crc(data: bytes) -> int:
    return binascii.crc32(data) & 0xFFFFFFFF


def event_message(headers: Mapping[str, str], payload: bytes) -> bytes:
    """One event-stream frame with string-valued ``headers`` and ``payload``."""
    encoded = b""
    for name, value in headers.items():
        name_bytes, value_bytes = name.encode(), value.encode()
        encoded += struct.pack(">B", len(name_bytes)) + name_bytes
        encoded += struct.pack(">BH", _STRING, len(value_bytes)) + value_bytes
    prelude = struct.pack(">II", 12 + len(encoded) + len(payload) + 4, len(encoded))
    message = prelude + struct.pack(">I", _crc(prelude)) + encoded + payload
    return message + struct.pack(">I", _crc(message))


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def _canonical_uri(raw_path: str) -> str:
    # Every service but S3 encodes the (already encoded) path once more: "%3A" is signed as "%253A".
    return "/".join(quote(segment, safe="-_.~") for segment in raw_path.split("/")) or "/"


def _canonical_query(raw_query: str) -> str:
    pairs = sorted((quote(k, safe="-_.~"), quote(v, safe="-_.~"))
                   for k, v in parse_qsl(raw_query, keep_blank_values=True))
    return "&".join(f"{k}={v}" for k, v in pairs)


def sigv4_problem(method: str, raw_path: str, headers: Mapping[str, str], body: bytes, *, access_key_id: str,
                  secret_access_key: str, service: str = "bedrock") -> str | None:
    """What is wrong with the request's SigV4 signature (None: signed with this key for ``service``).
    ``headers`` has lower-cased names; ``raw_path`` is the path as sent, with its query."""
    found = _AUTHORIZATION.fullmatch(headers.get("authorization", "").strip())
    if not found:
        return f"no AWS4-HMAC-SHA256 Authorization header (got {headers.get('authorization', '')[:30]!r})"
    if found["key"] != access_key_id:
        return f"signed with access key {found['key']!r}, not the configured one"
    date, region, signed_service, _ = found["scope"].split("/")
    if signed_service != service:
        return f"signed for service {signed_service!r}, not {service!r}"
    amz_date = headers.get("x-amz-date", "")
    if not amz_date.startswith(date):
        return f"x-amz-date {amz_date!r} does not match the credential scope date {date}"
    names = found["headers"].split(";")
    if "host" not in names or any(name not in headers for name in names):
        return f"signed headers {names} are not all present (host must be signed)"
    path, _, raw_query = raw_path.partition("?")
    canonical_headers = "".join(f"{name}:{' '.join(headers[name].split())}\n" for name in names)
    payload_hash = headers.get("x-amz-content-sha256") or hashlib.sha256(body).hexdigest()
    if payload_hash != "UNSIGNED-PAYLOAD" and payload_hash != hashlib.sha256(body).hexdigest():
        return "x-amz-content-sha256 is not the body's hash"
    canonical = "\n".join([method, _canonical_uri(path), _canonical_query(raw_query), canonical_headers,
                           found["headers"], payload_hash])
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, found["scope"], hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(f"AWS4{secret_access_key}".encode(), date)
    for part in (region, signed_service, "aws4_request"):
        key = _hmac(key, part)
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return None if hmac.compare_digest(expected, found["signature"]) else "the signature does not match"


def signed_region(headers: Mapping[str, str]) -> str | None:
    """The region a SigV4-signed request was signed for."""
    found = _AUTHORIZATION.fullmatch(headers.get("authorization", "").strip())
    return found["scope"].split("/")[1] if found else None
