"""A throwaway Dovecot IMAP server on loopback, TLS only, for the bounce-mailbox tests.

Started by the test with its own configuration, certificates, passwords
and mail folders in a temp folder (never the system's /etc/dovecot), in the
foreground (``dovecot -F -c FILE``), and stopped after. Mail belongs to
``nobody``: Dovecot refuses to run mail processes as root, and the tests
run as root in CI. The certificate is issued by a test CA made here; the
client trusts it through ``imap_ca_file``.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

DOVECOT = Path("/usr/sbin/dovecot")
USER = "bounces@news.example.org"
PASSWORD = "imap-test-geslo-čšž"


@dataclass
class Dovecot:
    """A running server: where it listens, the CA file to trust, its login."""

    port: int
    ca_file: Path
    base: Path
    proc: subprocess.Popen[bytes]
    user: str = USER
    password: str = PASSWORD

    def stop(self) -> None:
        """Stop the server and remove its folder."""
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        shutil.rmtree(self.base, ignore_errors=True)

    def log(self) -> str:
        """The server's log (for failure messages)."""
        path = self.base / "dovecot.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A test CA, and a server certificate for 127.0.0.1/localhost signed by it: (ca, cert, key) PEM files."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "leadex-mail test CA")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])).issuer_name(ca_name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return paths


def start_dovecot() -> Dovecot:
    """Start Dovecot (implicit TLS on a free loopback port) and wait until it accepts connections."""
    base = Path(tempfile.mkdtemp(prefix="leadex-imap-"))
    base.chmod(0o755)  # the mail processes run as nobody
    ca, cert, key = _certificates(base)
    key.chmod(0o600)
    nobody = pwd.getpwnam("nobody")
    home = base / "home"
    home.mkdir(mode=0o755)
    os.chown(home, nobody.pw_uid, nobody.pw_gid)
    for sub in ("run", "state"):
        (base / sub).mkdir(mode=0o755)
    (base / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n", encoding="utf-8")
    port = _free_port()
    conf = base / "dovecot.conf"
    conf.write_text(
        f"""base_dir = {base}/run
state_dir = {base}/state
log_path = {base}/dovecot.log
info_log_path = {base}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <{cert}
ssl_key = <{key}
ssl_min_protocol = TLSv1.2
auth_mechanisms = plain
disable_plaintext_auth = yes
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = 1
mail_location = maildir:~/Maildir
mail_uid = {nobody.pw_uid}
mail_gid = {nobody.pw_gid}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {base}/passwd
}}
userdb {{
  driver = static
  args = uid={nobody.pw_uid} gid={nobody.pw_gid} home={home}/%n
}}
service imap-login {{
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {port}
    ssl = yes
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
""",
        encoding="utf-8",
    )
    proc = subprocess.Popen([str(DOVECOT), "-F", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=(base / "stderr.log").open("wb"), start_new_session=True)
    server = Dovecot(port, ca, base, proc)
    deadline = time.monotonic() + 30
    while True:
        if proc.poll() is not None:
            text = (base / "stderr.log").read_text(errors="replace") + server.log()
            shutil.rmtree(base, ignore_errors=True)
            raise RuntimeError(f"dovecot exited: {text[-3000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            if time.monotonic() > deadline:
                server.stop()
                raise RuntimeError("dovecot did not start listening") from None
            time.sleep(0.05)
