"""DKIM signing (RFC 6376; ed25519-sha256 per RFC 8463), one message at a time.

Every recipient's body differs (their links), so each filled message is
signed on its own, in the sending worker, right after ``for_recipient``.
``dkimpy``'s ``dkim.sign`` costs ~12 ms for a 58 KB message even with
ed25519 here, nearly all of it a regular-expression split of the whole
message into lines, plus re-parsing the key every call; its RSA is pure
Python (~17 ms more). So this module signs the way dkimpy verifies but
cheaper: the key is loaded once, the body (``simple`` canonicalisation:
our bodies are already canonical CRLF quoted-printable) is hashed in one C
call, and only the dozen headers are canonicalised (``relaxed``).
Signatures: ed25519 with PyNaCl (~0.1 ms), RSA with ``cryptography`` when
installed (~1.5 ms for 2048 bits) else dkimpy's pure-Python RSA.
The tests verify every signature with ``dkim.verify``.

Keys: an RSA private key in PEM (PKCS#1 or PKCS#8); an ed25519 key as the
base64 seed that ``dknewkey --ktype ed25519`` writes, or as PKCS#8 PEM.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from leadex_mail.config import Settings
from leadex_mail.errors import ConfigError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

# Signed header fields. Those in _OVERSIGN are listed once more than they
# occur, so nobody can add a second From or List-Unsubscribe later.
SIGNED_HEADERS = (
    "from", "to", "reply-to", "subject", "date", "message-id", "mime-version", "content-type",
    "list-id", "list-unsubscribe", "list-unsubscribe-post", "feedback-id",
)  # fmt: skip
_OVERSIGN = frozenset({"from", "to", "subject", "date", "message-id", "list-unsubscribe", "list-unsubscribe-post", "reply-to"})
_WSP_RUN = re.compile(rb"[ \t]+")
_ED25519_PKCS8_PREFIX = bytes.fromhex("302e020100300506032b657004220420")


class _Key(Protocol):
    algorithm: bytes

    def sign(self, digest: bytes) -> bytes:
        """Sign a SHA-256 digest of the canonical headers."""
        ...


def make_signer(settings: Settings, *, default_domain: str) -> Callable[[bytes], bytes]:
    """A function that returns a message with a DKIM-Signature header prepended.

    Domain: ``settings.dkim_domain`` or ``default_domain`` (the From domain).
    Raises ``ConfigError`` (with a hint) when the key cannot be read or parsed.
    """
    if not settings.dkim_key_path or not settings.dkim_selector:
        raise ConfigError("DKIM needs both dkim_key_path and dkim_selector", hint="set both, or neither to send unsigned")
    key = load_key(settings.dkim_key_path)
    domain = (settings.dkim_domain or default_domain).lower()
    return DkimSigner(key, domain, settings.dkim_selector).sign


class DkimSigner:
    """Signs messages with one key for one ``d=`` domain and ``s=`` selector."""

    def __init__(self, key: _Key, domain: str, selector: str, headers: Sequence[str] = SIGNED_HEADERS) -> None:
        self.key = key
        self.domain = domain.encode("ascii")
        self.selector = selector.encode("ascii")
        self.headers = tuple(h.lower() for h in headers)

    def sign(self, message: bytes, *, now: float | None = None) -> bytes:
        """``message`` (CRLF line endings) with its DKIM-Signature header in front."""
        head, sep, body = message.partition(b"\r\n\r\n")
        fields = _parse_headers(head + b"\r\n")
        names = self._names_to_sign(fields)
        body_hash = base64.b64encode(hashlib.sha256(_simple_body(body if sep else b"")).digest())
        tags = (
            b"v=1; a=" + self.key.algorithm + b"; c=relaxed/simple; d=" + self.domain + b"; s=" + self.selector
            + b"; t=" + str(int(now if now is not None else time.time())).encode("ascii")
            + b"; h=" + b":".join(names) + b"; bh=" + body_hash + b"; b="
        )  # fmt: skip
        header = _fold_tags(tags)  # ends in "b="; what is signed is exactly what is sent
        hasher = hashlib.sha256()
        for name, value in _select(fields, names):
            hasher.update(_relaxed(name, value))
        hasher.update(_relaxed(b"DKIM-Signature", header[len(b"DKIM-Signature:") :]).rstrip(b"\r\n"))
        signature = base64.b64encode(self.key.sign(hasher.digest()))
        chunks = [signature[i : i + 72] for i in range(0, len(signature), 72)]
        return header + b"".join(b"\r\n " + chunk for chunk in chunks) + b"\r\n" + message

    def _names_to_sign(self, fields: list[tuple[bytes, bytes]]) -> list[bytes]:
        present: dict[bytes, int] = {}
        for name, _ in fields:
            key = name.lower()
            present[key] = present.get(key, 0) + 1
        names: list[bytes] = []
        for header in self.headers:
            raw = header.encode("ascii")
            names += [raw] * (present.get(raw, 0) + (1 if header in _OVERSIGN else 0))
        return names


def _parse_headers(head: bytes) -> list[tuple[bytes, bytes]]:
    """Header fields as (name, raw value incl. folding and final CRLF)."""
    fields: list[tuple[bytes, bytes]] = []
    for line in head.split(b"\r\n")[:-1]:
        if line[:1] in (b" ", b"\t") and fields:
            name, value = fields[-1]
            fields[-1] = (name, value + line + b"\r\n")
        else:
            name, _, value = line.partition(b":")
            fields.append((name, value + b"\r\n"))
    return fields


def _select(fields: list[tuple[bytes, bytes]], names: list[bytes]) -> list[tuple[bytes, bytes]]:
    """RFC 6376 5.4.2: each listed name takes the next instance from the bottom; absent ones sign nothing."""
    by_name: dict[bytes, list[tuple[bytes, bytes]]] = {}
    for f in fields:
        by_name.setdefault(f[0].lower(), []).append(f)
    chosen: list[tuple[bytes, bytes]] = []
    used: dict[bytes, int] = {}
    for name in names:
        instances = by_name.get(name, [])
        k = used.get(name, 0)
        if k < len(instances):
            chosen.append(instances[len(instances) - 1 - k])
        used[name] = k + 1
    return chosen


def _relaxed(name: bytes, value: bytes) -> bytes:
    """Relaxed header canonicalisation: lower-case name, unfolded value, single spaces."""
    value = _WSP_RUN.sub(b" ", value.replace(b"\r\n", b"")).strip(b" ")
    return name.strip().lower() + b":" + value + b"\r\n"


def _simple_body(body: bytes) -> bytes:
    """Simple body canonicalisation: no trailing empty lines; one final CRLF."""
    stripped = body.rstrip(b"\r\n")
    return stripped + b"\r\n" if stripped else b"\r\n"


def _fold_tags(tags: bytes) -> bytes:
    """``DKIM-Signature: <tags>`` folded within 78 columns at tag and ``h=`` name boundaries.

    The folding whitespace is part of what gets signed (relaxed canonicalisation
    turns each run into one space), so the header is folded before signing.
    """
    pieces: list[tuple[bytes, bytes]] = []  # (separator, text); h= names join without a space
    for tag in tags.split(b"; "):
        end = b"" if tag.startswith(b"b=") else b";"
        if tag.startswith(b"h="):
            names = tag.split(b":")
            pieces.append((b" ", names[0] + b":"))
            pieces += [(b"", n + b":") for n in names[1:-1]] + [(b"", names[-1] + end)]
        else:
            pieces.append((b" ", tag + end))
    lines, line = [], b"DKIM-Signature:"
    for sep, piece in pieces:
        if len(line) + len(sep) + len(piece) > 78:
            lines.append(line)
            line, sep = b"", b" "
        line += sep + piece
    lines.append(line)
    return b"\r\n".join(lines)


# -- keys ------------------------------------------------------------------------


def load_key(path: Path) -> _Key:
    """Read an RSA (PEM) or ed25519 (base64 seed or PKCS#8 PEM) private key."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"cannot read the DKIM key {path}: {exc.strerror or exc}", hint="check dkim_key_path (LEADEX_DKIM_KEY_PATH) and its permissions"
        ) from None
    seed = _ed25519_seed(data)
    if seed is not None:
        return _Ed25519Key(seed)
    if b"PRIVATE KEY-----" in data:
        return _rsa_key(data, path)
    raise ConfigError(
        f"{path} is not a DKIM private key this tool can read",
        hint="use an RSA key in PEM (openssl genrsa 2048) or an ed25519 key (dknewkey --ktype ed25519)",
    )


def dns_record(path: Path) -> bytes:
    """The DNS TXT record (``v=DKIM1; k=…; p=…``) that publishes the public half of the key at ``path``.

    What ``check --deep`` verifies a signature against, offline (RFC 6376
    3.6.1; ``k=ed25519`` per RFC 8463). Raises ``ConfigError`` like ``load_key``.
    """
    key = load_key(path)
    if isinstance(key, _Ed25519Key):
        return b"v=DKIM1; k=ed25519; p=" + key.public_base64().encode("ascii")
    from cryptography.hazmat.primitives import serialization

    private = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    der = private.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return b"v=DKIM1; k=rsa; p=" + base64.b64encode(der)


def _ed25519_seed(data: bytes) -> bytes | None:
    """The 32-byte seed of an ed25519 key file, or None when it is not one."""
    text = data.strip()
    if b"-----BEGIN PRIVATE KEY-----" in text:
        der = _pem_body(text)
        if der is not None and der.startswith(_ED25519_PKCS8_PREFIX) and len(der) == 48:
            return der[16:]
        return None
    if b"-----" in text:
        return None
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError:
        return None
    return raw if len(raw) == 32 else None


def _pem_body(text: bytes) -> bytes | None:
    match = re.search(rb"-----BEGIN [A-Z ]+-----(.*?)-----END", text, re.DOTALL)
    if match is None:
        return None
    try:
        return base64.b64decode(b"".join(match.group(1).split()))
    except ValueError:
        return None


class _Ed25519Key:
    algorithm = b"ed25519-sha256"

    def __init__(self, seed: bytes) -> None:
        import nacl.signing

        self._key = nacl.signing.SigningKey(seed)

    def sign(self, digest: bytes) -> bytes:
        # RFC 8463: ed25519 signs the SHA-256 hash of the canonical headers.
        return self._key.sign(digest).signature

    def public_base64(self) -> str:
        """The ``p=`` value of the DNS record (``k=ed25519``)."""
        return base64.b64encode(bytes(self._key.verify_key)).decode("ascii")


def _rsa_key(data: bytes, path: Path) -> _Key:
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
    except ImportError:  # not a dependency: dkimpy's own RSA works, only slower
        return _PurePythonRsaKey(data, path)
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"cannot parse the DKIM key {path}: {exc}", hint="it must be an unencrypted RSA key in PEM") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigError(f"{path} is not an RSA or ed25519 key", hint="DKIM keys are RSA (2048 bits) or ed25519")
    return _CryptographyRsaKey(key)


class _CryptographyRsaKey:
    algorithm = b"rsa-sha256"

    def __init__(self, key: RSAPrivateKey) -> None:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding, utils

        self._key = key
        self._args = (padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))

    def sign(self, digest: bytes) -> bytes:
        return self._key.sign(digest, *self._args)


class _PurePythonRsaKey:
    algorithm = b"rsa-sha256"

    def __init__(self, data: bytes, path: Path) -> None:
        from dkim.crypto import UnparsableKeyError, parse_pem_private_key

        try:
            self._key = parse_pem_private_key(data)
        except (UnparsableKeyError, ValueError) as exc:
            raise ConfigError(f"cannot parse the DKIM key {path}: {exc}", hint="it must be an unencrypted RSA key in PEM") from None
        self._length = (self._key["modulus"].bit_length() + 7) // 8

    def sign(self, digest: bytes) -> bytes:
        from dkim.crypto import EMSA_PKCS1_v1_5_encode, rsa_decrypt

        encoded = EMSA_PKCS1_v1_5_encode(_Digest(digest), self._length)
        return bytes(rsa_decrypt(encoded, self._key, self._length))


class _Digest:
    """A finished SHA-256 digest shaped like the hash object dkimpy's encoder expects."""

    name = "sha256"

    def __init__(self, digest: bytes) -> None:
        self._digest = digest

    def digest(self) -> bytes:
        return self._digest
