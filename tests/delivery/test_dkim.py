"""DKIM signatures verified offline by dkimpy against keys generated here."""

from __future__ import annotations

import base64
import re
import subprocess
from pathlib import Path

import dkim
import nacl.signing
import pytest
from delivery_helpers import NONCE, make_edition, make_settings, parse

from leadex_mail.content.model import Brand
from leadex_mail.delivery import dkim as lx_dkim
from leadex_mail.delivery.message import Recipient, build_template
from leadex_mail.errors import ConfigError

SELECTOR = "lx2026"


@pytest.fixture(scope="module")
def rsa_key(tmp_path_factory) -> tuple[Path, bytes]:
    """An RSA-2048 key file (PKCS#8 PEM, made by the openssl command) and its DNS TXT record."""
    path = tmp_path_factory.mktemp("keys") / "rsa.pem"
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", str(path)], check=True, capture_output=True)
    der = subprocess.run(["openssl", "pkey", "-in", str(path), "-pubout", "-outform", "DER"], check=True, capture_output=True).stdout
    return path, b"v=DKIM1; k=rsa; p=" + base64.b64encode(der)


@pytest.fixture(scope="module")
def ed25519_key(tmp_path_factory) -> tuple[Path, bytes]:
    """An ed25519 key file in dknewkey's format (base64 seed) and its DNS TXT record."""
    key = nacl.signing.SigningKey.generate()
    path = tmp_path_factory.mktemp("keys") / "ed25519.key"
    path.write_bytes(base64.b64encode(bytes(key)) + b"\n")
    return path, b"v=DKIM1; k=ed25519; p=" + base64.b64encode(bytes(key.verify_key))


def dns_for(record: bytes, domain: str = "leadex.example.org"):
    """A dnsfunc for dkim.verify that knows only our selector's record."""

    def lookup(name: bytes, timeout: int = 5) -> bytes | None:
        return record if name == f"{SELECTOR}._domainkey.{domain}.".encode() else None

    return lookup


def signed_message(key_path: Path, **changes) -> bytes:
    settings = make_settings(dkim_key_path=key_path, dkim_selector=SELECTOR, unsubscribe_mailto="odjava@example.org", **changes)
    template = build_template(make_edition(images=True), settings, Brand(from_name="LeadEx – Žiga", reply_to="info@example.org"), campaign_id=4)
    return template.for_recipient(Recipient(8, "ziga@example.org", "Žiga Čeh", link_nonce=NONCE)).data


def signature_tags(data: bytes) -> dict[str, str]:
    header = parse(data)["DKIM-Signature"]
    return {k.strip(): re.sub(r"\s+", "", v) for k, v in (t.split("=", 1) for t in str(header).split(";") if "=" in t)}


@pytest.mark.parametrize("which", ["rsa_key", "ed25519_key"])
def test_signature_verifies_and_covers_the_list_headers(which, request):
    path, record = request.getfixturevalue(which)
    data = signed_message(path)
    assert data.startswith(b"DKIM-Signature: v=1; a=")
    assert dkim.verify(data, dnsfunc=dns_for(record))
    tags = signature_tags(data)
    assert tags["a"] == ("rsa-sha256" if which == "rsa_key" else "ed25519-sha256")
    assert (tags["d"], tags["s"], tags["c"]) == ("leadex.example.org", SELECTOR, "relaxed/simple")
    signed = tags["h"].split(":")
    for name in ("from", "to", "subject", "date", "message-id", "mime-version", "content-type", "list-id", "list-unsubscribe", "list-unsubscribe-post"):
        assert name in signed
    assert signed.count("list-unsubscribe") == 2  # over-signed: a second one cannot be added
    assert all(len(line) <= 78 for line in data.split(b"\r\n\r\n")[0].split(b"\r\n") if not line.startswith(b"List-Unsubscribe:"))


def test_tampering_breaks_the_signature(ed25519_key):
    path, record = ed25519_key
    data = signed_message(path)
    assert not dkim.verify(data.replace(b"Odjava", b"0djava"), dnsfunc=dns_for(record))
    head, body = data.split(b"\r\n\r\n", 1)
    added = head + b"\r\nList-Unsubscribe: <https://evil.example.com/>" + b"\r\n\r\n" + body
    assert not dkim.verify(added, dnsfunc=dns_for(record))


def test_dkim_domain_setting_overrides_the_from_domain(ed25519_key):
    path, record = ed25519_key
    data = signed_message(path, dkim_domain="example.org")
    assert signature_tags(data)["d"] == "example.org"
    assert dkim.verify(data, dnsfunc=dns_for(record, "example.org"))


def test_pure_python_rsa_fallback_makes_the_same_valid_signature(rsa_key):
    # Without the optional ``cryptography`` package load_key() returns the pure-Python key itself.
    path, record = rsa_key
    fast = lx_dkim.load_key(path)
    slow = lx_dkim._PurePythonRsaKey(path.read_bytes(), path)
    digest = b"\x01" * 32
    assert fast.sign(digest) == slow.sign(digest)  # PKCS#1 v1.5 is deterministic
    signer = lx_dkim.DkimSigner(slow, "leadex.example.org", SELECTOR)
    message = b"From: a@leadex.example.org\r\nTo: b@example.org\r\nSubject: x\r\n\r\nbody\r\n\r\n\r\n"
    assert dkim.verify(signer.sign(message), dnsfunc=dns_for(record))


def test_ed25519_pkcs8_pem_is_accepted(tmp_path):
    key = nacl.signing.SigningKey.generate()
    der = bytes.fromhex("302e020100300506032b657004220420") + bytes(key)
    pem = b"-----BEGIN PRIVATE KEY-----\n" + base64.encodebytes(der) + b"-----END PRIVATE KEY-----\n"
    (tmp_path / "k.pem").write_bytes(pem)
    loaded = lx_dkim.load_key(tmp_path / "k.pem")
    assert loaded.algorithm == b"ed25519-sha256"
    assert loaded.public_base64() == base64.b64encode(bytes(key.verify_key)).decode()


@pytest.mark.parametrize(
    "content, words",
    [(None, "cannot read"), (b"hello", "not a DKIM private key"), (b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "cannot parse")],
)
def test_bad_keys_are_config_errors_with_hints(tmp_path, content, words):
    path = tmp_path / "key.pem"
    if content is not None:
        path.write_bytes(content)
    settings = make_settings(dkim_key_path=path, dkim_selector=SELECTOR)
    with pytest.raises(ConfigError) as err:
        build_template(make_edition(), settings, Brand(), campaign_id=1)
    assert words in err.value.message and err.value.hint


def test_signature_survives_the_trip_through_a_real_smtp_server(ed25519_key, smtp_server):
    from delivery_helpers import smtp_settings

    from leadex_mail.delivery.transport import make_transport

    path, record = ed25519_key
    out = build_template(
        make_edition(), smtp_settings(smtp_server.port, dkim_key_path=path, dkim_selector=SELECTOR), Brand(), campaign_id=2
    ).for_recipient(Recipient(3, "ana@example.org", "Ana", link_nonce=NONCE))
    transport = make_transport(smtp_settings(smtp_server.port))
    transport.send(out.envelope_from, [out.recipient], out.data)
    transport.close()
    (got,) = smtp_server.to("ana@example.org")
    assert got.data == out.data
    assert dkim.verify(got.data, dnsfunc=dns_for(record))


def test_without_cryptography_rsa_keys_use_dkimpys_own_rsa(rsa_key, monkeypatch):
    path, record = rsa_key
    monkeypatch.setitem(__import__("sys").modules, "cryptography.hazmat.primitives", None)  # import fails
    key = lx_dkim.load_key(path)
    assert isinstance(key, lx_dkim._PurePythonRsaKey)
    assert dkim.verify(signed_message(path), dnsfunc=dns_for(record))
