"""A relay whose certificate comes from a private CA: ``smtp_ca_file``, and the hint when verification fails.

Tester's finding a11 #7: there was no setting for the relay's CA (an
operator with an internal CA could only turn verification off), and a
certificate failure during ``send`` never printed a hint: each recipient
got the raw ``[SSL: CERTIFICATE_VERIFY_FAILED]`` as a retry until ten in a
row paused the campaign. Here a CA is made for the test, a real aiosmtpd
server on 127.0.0.1 presents a certificate it signed (STARTTLS and implicit
TLS), and every face is tried both ways: refused with the hint without the
CA file, sent with it.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from campaign_helpers import ISSUE, make_settings, smtp_env

from leadex_mail.config import load_settings
from leadex_mail.delivery.smtp import SmtpTransport, TlsFailure
from leadex_mail.errors import ConfigError

MESSAGE = b"From: a@example.org\r\nTo: b@example.org\r\nSubject: ca\r\n\r\nhello\r\n"
_EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def make_ca(folder: Path, name: str) -> tuple[Path, Path]:
    """A CA certificate and key (PEM) in ``folder``."""
    cert, key = folder / f"{name}.pem", folder / f"{name}.key"
    _openssl(
        "req", "-x509", *_EC, "-days", "1", "-subj", f"/CN={name}", "-keyout", str(key), "-out", str(cert),
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    )  # fmt: skip
    return cert, key


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> dict[str, Path]:
    """A private CA, a server certificate it signed for IP 127.0.0.1, and an unrelated CA."""
    folder = tmp_path_factory.mktemp("pki")
    ca, ca_key = make_ca(folder, "LeadEx Test CA")
    other, _ = make_ca(folder, "Another CA")
    key, csr, cert, ext = folder / "server.key", folder / "server.csr", folder / "server.pem", folder / "server.ext"
    _openssl("req", *_EC, "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(csr))
    ext.write_text("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
                   "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid,issuer\n")  # fmt: skip
    _openssl("x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key), "-CAcreateserial", "-days", "1", "-out", str(cert), "-extfile", str(ext))
    return {"ca": ca, "other_ca": other, "cert": cert, "key": key}


@pytest.fixture
def tls_server(pki, smtp_server, start_smtp) -> Callable[[str], int]:
    """``tls_server(mode)`` starts the sink with STARTTLS required (``starttls``) or implicit TLS (``tls``); its port."""
    return lambda mode: start_smtp(smtp_server, certificate=(pki["cert"], pki["key"]), security=mode)


def relay(tmp_path: Path, port: int, mode: str, **more: object):
    """Settings for the TLS server on ``port`` (``more`` wins)."""
    values: dict[str, object] = {"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_security": mode, "smtp_timeout": 5.0, **more}
    return make_settings(tmp_path, **values)


@pytest.mark.parametrize("mode", ["starttls", "tls"])
def test_the_private_ca_is_trusted_only_through_smtp_ca_file(tls_server, pki, smtp_server, tmp_path, mode):
    port = tls_server(mode)
    transport = SmtpTransport(relay(tmp_path, port, mode))  # the system's CAs only
    with pytest.raises(TlsFailure) as err:
        transport.send("a@example.org", ["b@example.org"], MESSAGE)
    assert f"127.0.0.1:{port}" in err.value.message and "certificate could not be verified" in err.value.message
    assert "smtp_ca_file" in (err.value.hint or "") and "LEADEX_SMTP_CA_FILE" in (err.value.hint or "")
    assert smtp_server.messages == []

    transport = SmtpTransport(relay(tmp_path, port, mode, smtp_ca_file=pki["ca"]))
    assert transport.send("a@example.org", ["b@example.org"], MESSAGE).reply.startswith("250")
    transport.close()
    assert len(smtp_server.to("b@example.org")) == 1


def test_the_wrong_ca_file_and_the_wrong_host_name_say_which_setting(tls_server, pki, smtp_server, tmp_path):
    port = tls_server("starttls")
    with pytest.raises(TlsFailure) as err:
        SmtpTransport(relay(tmp_path, port, "starttls", smtp_ca_file=pki["other_ca"])).send("a@example.org", ["b@example.org"], MESSAGE)
    assert f"smtp_ca_file ({pki['other_ca']}) does not hold the CA" in (err.value.hint or "")
    # The certificate names 127.0.0.1 only; "localhost" reaches the same server under another name.
    with pytest.raises(TlsFailure) as err:
        SmtpTransport(relay(tmp_path, port, "starttls", smtp_ca_file=pki["ca"], smtp_host="localhost")).send("a@example.org", ["b@example.org"], MESSAGE)
    assert "smtp_host 'localhost'" in (err.value.hint or "") and "name on the server's certificate" in (err.value.hint or "")
    assert smtp_server.messages == []


@pytest.mark.parametrize("name", ["smtp_ca_file", "imap_ca_file"])
def test_a_ca_file_setting_is_checked_when_the_settings_load(tmp_path, pki, name):
    """A missing file, a folder, a file without certificates: one clear error naming the setting and where it was set."""
    not_pem = tmp_path / "ca.txt"
    not_pem.write_text("this is not a certificate\n")
    key = f"LEADEX_{name.upper()}"
    for value, words in [(tmp_path / "missing.pem", "does not exist"), (tmp_path, "is not a file"), (not_pem, "holds no certificate in PEM form")]:
        with pytest.raises(ConfigError) as err:
            load_settings(None, environ={key: str(value)})
        assert f"setting {name!r} from env {key}: {value} {words}" in err.value.message, err.value.message
        assert "PEM" in (err.value.hint or "")
    assert getattr(load_settings(None, environ={key: str(pki["ca"])}), name) == pki["ca"]


@pytest.mark.sqlite_only_reason("about the relay's TLS, not the store: once is enough")
def test_send_and_send_test_print_the_hint_without_the_ca_file_and_send_with_it(sqlite_only, tls_server, pki, smtp_server, cli, store, people):
    people(3)
    port = tls_server("starttls")
    env = {**smtp_env(smtp_server), "LEADEX_SMTP_PORT": str(port), "LEADEX_SMTP_SECURITY": "starttls", "LEADEX_SEND_DEEP_CHECK": "false"}  # noqa: E501
    result = cli("send-test", ISSUE, "--to", "urednik@example.org", **env)
    assert result.exit_code == 1 and "smtp_ca_file" in result.output and f"127.0.0.1:{port}" in result.output, result.output

    result = cli("send", ISSUE, "--list", "newsletter", "--yes", **env)
    assert result.exit_code == 4, result.output  # paused at once: no message can go until the setting changes
    assert f"Paused: the SMTP server 127.0.0.1:{port} was not trusted during STARTTLS" in result.output, result.output
    assert "set smtp_ca_file (LEADEX_SMTP_CA_FILE)" in result.output and "Traceback" not in result.output
    assert smtp_server.messages == []
    assert "paused" in cli("status").output

    env["LEADEX_SMTP_CA_FILE"] = str(pki["ca"])
    result = cli("send-test", ISSUE, "--to", "urednik@example.org", **env)
    assert result.exit_code == 0 and "1 sent, 0 failed" in result.output, result.output
    result = cli("send", ISSUE, "--resume", "--yes", **env)
    assert result.exit_code == 0 and "Campaign done: sent 3" in result.output, result.output
    assert len(smtp_server.messages) == 4  # the test message and the three of the campaign, each once
