"""Per-recipient message cost: fresh EmailMessage (baseline) vs template fill; DKIM costs.

    python bench/message_bench.py [--n 300]

Everything is measured in this one run on this machine, so the ratios hold
even when the machine is busy; absolute milliseconds do not.
"""

from __future__ import annotations

import argparse
import base64
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import dkim
import nacl.signing

from leadex_mail import links
from leadex_mail.config import Settings
from leadex_mail.content.loader import load_issue
from leadex_mail.delivery.message import Recipient, build_template
from leadex_mail.render import render_edition
from leadex_mail.render.result import RenderedEdition
from leadex_mail.store.models import new_link_nonce

REPO = Path(__file__).resolve().parents[1]
ISSUE = "2026-04-leadex-01"


def per_call_ms(fn: Callable[[int], object], n: int) -> float:
    """Median of 5 rounds of ``n`` calls, in milliseconds per call."""
    rounds = []
    for _ in range(5):
        start = time.perf_counter()
        for i in range(n):
            fn(i)
        rounds.append((time.perf_counter() - start) / n * 1000)
    return statistics.median(rounds)


def fresh_message(rendered: RenderedEdition, settings: Settings, r: Recipient) -> bytes:
    """The baseline: what most tools do per recipient (personalise, build an EmailMessage, serialise)."""
    values = {
        "name": r.name or "",
        "unsubscribe_url": links.unsubscribe_url(settings, r.subscriber_id, 1, nonce=r.link_nonce),
        "preferences_url": links.preferences_url(settings, r.subscriber_id, nonce=r.link_nonce),
        "view_url": links.view_url(settings, r.subscriber_id, 1, rendered.language, nonce=r.link_nonce),
        "privacy_url": links.privacy_url(settings, rendered.language),
    }
    html, text = rendered.personalise(values)
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = Address("LeadEx", addr_spec="newsletter@example.org")
    msg["To"] = Address(r.name or "", addr_spec=r.email)
    msg["Subject"] = rendered.subject
    msg["Date"] = format_datetime(time_now())
    msg["Message-ID"] = make_msgid(domain="example.org")
    msg["List-Id"] = "LeadEx <leadex.example.org>"
    msg["List-Unsubscribe"] = f"<{values['unsubscribe_url']}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(text, cte="quoted-printable")
    msg.add_alternative(html, subtype="html", cte="quoted-printable")
    if rendered.inline_images:
        html_part = msg.get_payload()[1]
        for image in rendered.inline_images:
            maintype, subtype = image.mime_type.split("/")
            html_part.add_related(image.data, maintype, subtype, cid=f"<{image.cid}>", filename=image.filename)
    return msg.as_bytes()


def time_now():
    from datetime import datetime

    return datetime.now(UTC)


def write_keys(folder: Path) -> tuple[Path, Path]:
    """An RSA-2048 key (PEM, by the openssl command) and an ed25519 key (dknewkey's base64 seed)."""
    rsa_path = folder / "rsa.pem"
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", str(rsa_path)], check=True, capture_output=True)
    ed_path = folder / "ed25519.key"
    ed_path.write_bytes(base64.b64encode(bytes(nacl.signing.SigningKey.generate())))
    return rsa_path, ed_path


def main() -> None:
    """Run the benchmark and print a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=300, help="calls per round")
    n = parser.parse_args().n
    base = {"secret_key": "bench", "public_url": "https://news.example.org", "newsletters_dir": REPO / "newsletters"}
    # Images by URL (images_url set): the ~58 KB message a real send carries.
    bench_edition(Settings(**base, images_url="https://news.example.org/images"), n, dkim_too=True)
    # Images embedded as CID parts (no images_url): a much bigger message.
    bench_edition(Settings(**base), max(10, n // 10), dkim_too=False)


def bench_edition(settings: Settings, n: int, *, dkim_too: bool) -> None:
    """Measure one configuration of the edition and print its lines."""
    issue = load_issue(ISSUE, settings)
    rendered = render_edition(issue, "sl", settings)
    people = [Recipient(i + 1, f"oseba{i}@example.org", "Žiga Čeh" if i % 2 else "Ana Novak", link_nonce=new_link_nonce()) for i in range(n)]
    template = build_template(rendered, settings, issue.brand, campaign_id=1)
    size = len(template.for_recipient(people[0]).data)

    baseline = per_call_ms(lambda i: fresh_message(rendered, settings, people[i]), n)
    fill = per_call_ms(lambda i: template.for_recipient(people[i]), n)
    print(f"edition {ISSUE} sl: message {size / 1024:.1f} KB, {len(rendered.inline_images)} inline images, n={n} x 5 rounds (median)")
    print(f"  fresh EmailMessage per recipient (baseline) {baseline:8.3f} ms")
    print(f"  template.for_recipient (fill)               {fill:8.3f} ms   {baseline / fill:6.1f}x faster")
    if not dkim_too:
        return
    with tempfile.TemporaryDirectory() as tmp:
        rsa_path, ed_path = write_keys(Path(tmp))
        data = template.for_recipient(people[0]).data
        sign_headers = [b"from", b"to", b"subject", b"date", b"message-id", b"mime-version", b"content-type", b"list-id", b"list-unsubscribe", b"list-unsubscribe-post"]
        rsa_pem, ed_seed = rsa_path.read_bytes(), ed_path.read_bytes()
        k = max(20, n // 10)
        dkimpy_rsa = per_call_ms(lambda i: dkim.sign(data, b"s", b"example.org", rsa_pem, include_headers=sign_headers), k)
        dkimpy_ed = per_call_ms(lambda i: dkim.sign(data, b"s", b"example.org", ed_seed, signature_algorithm=b"ed25519-sha256", include_headers=sign_headers), k)
        print(f"  dkimpy dkim.sign RSA-2048 (reference)       {dkimpy_rsa:8.3f} ms")
        print(f"  dkimpy dkim.sign ed25519 (reference)        {dkimpy_ed:8.3f} ms")
        for label, path in (("RSA-2048", rsa_path), ("ed25519", ed_path)):
            keyed = Settings(**{**_fields(settings), "dkim_key_path": path, "dkim_selector": "s"})
            signed = build_template(rendered, keyed, issue.brand, campaign_id=1)
            total = per_call_ms(lambda i, t=signed: t.for_recipient(people[i]), n)
            print(f"  fill + our DKIM {label:<9}                 {total:8.3f} ms   signing {total - fill:6.3f} ms ({dkimpy_rsa if label == 'RSA-2048' else dkimpy_ed:.1f} ms with dkimpy)")


def _fields(settings: Settings) -> dict:
    import dataclasses

    return {f.name: getattr(settings, f.name) for f in dataclasses.fields(settings) if f.name != "sources"}

if __name__ == "__main__":
    sys.exit(main())
