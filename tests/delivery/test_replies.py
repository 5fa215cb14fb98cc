"""The reply classifier against replies real servers send (RFC 3463 enhanced codes, and words when there are none).

Each row: who sends it, the reply as it arrives (multi-line replies as
smtplib hands them over, or joined as the transport stores them), the
expected kind and category. Addresses and IPs are example ones.
"""

from __future__ import annotations

import pytest

from leadex_mail.delivery.replies import Kind, classify, parse_reply

A, T, H, S, R = Kind.ACCEPTED, Kind.TEMPORARY, Kind.HARD_BOUNCE, Kind.SOFT_BOUNCE, Kind.REJECTED

REPLIES: list[tuple[str, str, Kind, str]] = [
    # --- Gmail ---
    ("gmail", "250 2.0.0 OK  1712345678 a1-20020a05600c000100b0041234567si123456wmq.1 - gsmtp", A, "accepted"),
    ("gmail", ("550-5.1.1 The email account that you tried to reach does not exist. Please try\n550-5.1.1 double-checking the recipient's email "
     "address for typos or\n550-5.1.1 unnecessary spaces. Learn more at\n550 5.1.1  https://support.google.com/mail/?p=NoSuchUser a1si1107418wrz.59 - gsmtp"), H, "mailbox"),
    ("gmail", ("552-5.2.2 The email account that you tried to reach is over quota. Please direct\n552-5.2.2 the recipient to\n"
     "552 5.2.2  https://support.google.com/mail/?p=OverQuotaPerm d9si1234567pls.12 - gsmtp"), S, "mailbox-full"),
    ("gmail", "452-4.2.2 The email account that you tried to reach is over quota. Please direct\n452 4.2.2 the recipient to ... - gsmtp", T, "temporary"),
    ("gmail", "550-5.2.1 The email account that you tried to reach is disabled. Learn more at\n550 5.2.1  https://support.google.com/mail/?p=DisabledUser - gsmtp",
     S, "mailbox-unavailable"),
    ("gmail", ("550-5.7.1 [203.0.113.5] The IP you're using to send mail is not authorized to\n550-5.7.1 send email directly to our servers. Please use "
     "the SMTP relay at your\n550-5.7.1 service provider instead. Learn more at\n550 5.7.1  https://support.google.com/mail/?p=NotAuthorizedError - gsmtp"), R, "policy"),
    ("gmail", ("550-5.7.26 This mail has been blocked because the sender is unauthenticated.\n550-5.7.26 Gmail requires all senders to authenticate "
     "with either SPF or DKIM.\n550 5.7.26  Authentication results: dkim = did not pass - gsmtp"), R, "authentication"),
    ("gmail", ("550 5.7.1 Our system has detected that this message is likely unsolicited mail. To reduce the amount of spam sent to Gmail, "
     "this message has been blocked. - gsmtp"), R, "content"),
    ("gmail", ("552-5.3.4 Your message exceeded Google's message size limits. Please visit\n552-5.3.4 https://support.google.com/mail/?p=MaxSizeError "
     "to view our size\n552 5.3.4 guidelines. - gsmtp"), R, "size"),
    ("gmail", "530-5.7.0 Authentication Required. Learn more at\n530 5.7.0  https://support.google.com/mail/?p=WantAuthError - gsmtp", R, "authentication"),
    ("gmail", "535-5.7.8 Username and Password not accepted. Learn more at\n535 5.7.8  https://support.google.com/mail/?p=BadCredentials - gsmtp", R, "authentication"),
    ("gmail", "421-4.7.0 [203.0.113.5] Our system has detected an unusual rate of\n421-4.7.0 unsolicited mail originating from your IP address. - gsmtp", T, "temporary"),
    ("gmail", "552-5.7.0 This message was blocked because its content presents a potential\n552-5.7.0 security issue. - gsmtp", R, "content"),
    # --- Microsoft 365 / Outlook.com ---
    ("m365", "250 2.6.0 <lx.1.2.abc@leadex.example.org> [InternalId=12345, Hostname=AM0PR01MB1234] Queued mail for delivery", A, "accepted"),
    ("m365", "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup", H, "mailbox"),
    ("m365", "550 5.4.1 Recipient address rejected: Access denied. For more information see https://aka.ms/EXOSmtpErrors [AM0PR01MB1234]", R, "routing"),
    ("m365", "550 5.7.606 Access denied, banned sending IP [203.0.113.5]. To request removal from this list please visit https://sender.office.com/", R, "blocklist"),
    ("m365", ("550 5.7.1 Unfortunately, messages from [203.0.113.5] weren't sent. Please contact your Internet service provider since part "
     "of their network is on our block list (S3150)."), R, "blocklist"),
    ("m365", "554 5.2.2 mailbox full; STOREDRV.Deliver.Exception:QuotaExceededException.MapiExceptionShutoffQuotaExceeded", S, "mailbox-full"),
    ("m365", "550 5.7.509 Access denied, sending domain example.org does not pass DMARC verification and has a DMARC policy of reject.", R, "authentication"),
    ("m365", "451 4.7.500 Server busy. Please try again later from [203.0.113.5]. (S77714)", T, "temporary"),
    ("outlook.com", "550 5.5.0 Requested action not taken: mailbox unavailable (S2017062302).", R, "protocol"),
    ("m365", "550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP.", R, "policy"),
    # --- Yahoo / AOL ---
    ("yahoo", "554 delivery error: dd This user doesn't have a yahoo.com account (someone@yahoo.com) [0] - mta1234.mail.gq1.yahoo.com", H, "mailbox"),
    ("yahoo", "552 1 Requested mail action aborted, mailbox not found", H, "mailbox"),
    ("yahoo", "421 4.7.0 [TSS04] Messages from 203.0.113.5 temporarily deferred due to unexpected volume or user complaints", T, "temporary"),
    ("yahoo", ("553 5.7.1 [BL21] Connections will not be accepted from 203.0.113.5, because the ip is in Spamhaus's list; "
     "see https://postmaster.yahooinc.com/error-codes"), R, "blocklist"),
    ("yahoo", "554 5.7.9 Message not accepted for policy reasons. See https://postmaster.yahooinc.com/error-codes", R, "policy"),
    # --- Postfix ---
    ("postfix", "550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown in local recipient table", H, "mailbox"),
    ("postfix", "554 5.7.1 <person@example.com>: Relay access denied", R, "relay"),
    ("postfix", "550 5.7.1 Relaying denied", R, "relay"),
    ("postfix", "554 5.7.1 Service unavailable; Client host [203.0.113.5] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/203.0.113.5",
     R, "blocklist"),
    ("postfix", "554 5.7.1 <mail.example.net[203.0.113.5]>: Client host rejected: Access denied", R, "policy"),
    ("postfix", "552 5.3.4 Message size exceeds fixed limit", R, "size"),
    ("postfix", "450 4.2.0 <person@example.org>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.org.html", T, "temporary"),
    ("postfix", "553 5.1.8 <novice@leadex.example.org>: Sender address rejected: Domain not found", R, "sender"),
    ("postfix", "504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname", R, "protocol"),
    ("postfix", "553 5.6.7 <zoë@example.org>: SMTPUTF8 is required, but was not offered by host mx.example.org[192.0.2.1]", R, "smtputf8"),
    ("dovecot", "552 5.2.2 <person@example.org> Quota exceeded (mailbox for user is full)", S, "mailbox-full"),
    # --- Exim (cPanel) and sendmail ---
    ("exim", "550 No Such User Here", H, "mailbox"),
    ("exim", "550-Verification failed for <novice@leadex.example.org>\n550-Unrouteable address\n550 Sender verify failed", R, "sender"),
    ("exim", "550 Administrative prohibition", R, "refused"),
    ("exim", "550 Rejected because 203.0.113.5 is in a black list at zen.spamhaus.org", R, "blocklist"),
    ("exim", "552 Message size exceeds maximum permitted", R, "size"),
    ("exim", "451 Temporary local problem - please try later", T, "temporary"),
    ("exim", "550 Unrouteable address", R, "refused"),
    ("sendmail", "550 5.0.0 <person@example.org>... User unknown", H, "mailbox"),
    # --- blocklists, gateways, others ---
    ("spamcop", "550 5.7.1 Mail from 203.0.113.5 refused - see https://www.spamcop.net/bl.shtml?203.0.113.5", R, "blocklist"),
    ("barracuda", ("554 Service unavailable; Client host [203.0.113.5] blocked using Barracuda Reputation, "
     "http://www.barracudanetworks.com/reputation/?pr=1&ip=203.0.113.5"), R, "blocklist"),
    ("mimecast", "550 Invalid Recipient - https://community.mimecast.com/docs/DOC-1369#550", H, "mailbox"),
    ("mimecast", "550 Administrative prohibition - envelope blocked - https://community.mimecast.com/docs/DOC-1369#550", R, "refused"),
    ("gmx", "550 Requested action not taken: mailbox unavailable", R, "refused"),
    ("icloud", "550 5.1.6 recipient no longer on server", H, "mailbox"),
    ("null mx", "556 5.1.10 Recipient address has null MX", H, "mailbox"),
    ("proofpoint", "554 5.7.1 Message blocked due to spam content in the message.", R, "content"),
    ("virus", "550 5.7.0 Virus found in message; rejected", R, "content"),
    ("relay", "530 5.7.0 Must issue a STARTTLS command first", R, "policy"),
    ("relay", "535 Authentication failed", R, "authentication"),
    ("relay", "503 5.5.1 Error: need RCPT command", R, "protocol"),
    ("too many", "452 4.5.3 Too many recipients", T, "temporary"),
    # --- leadex-mail's own reply strings and DSN forms ---
    ("transport", "no SMTPUTF8", R, "smtputf8"),
    ("transport", "timeout", T, "temporary"),
    ("dsn", "5.1.1", H, "mailbox"),
    ("dsn", "smtp; 550 5.2.2 Mailbox full", S, "mailbox-full"),
    ("mismatch", "550 4.2.2 mailbox full", S, "mailbox-full"),  # the basic code decides permanence
    ("mismatch", "451 5.7.1 Please try again later", T, "temporary"),
]


@pytest.mark.parametrize(("source", "reply", "kind", "category"), REPLIES, ids=[f"{i:02d}-{r[0]}" for i, r in enumerate(REPLIES)])
def test_real_world_replies(source: str, reply: str, kind: Kind, category: str) -> None:
    got = classify(reply)
    assert (got.kind, got.category) == (kind, category), f"{source}: {reply!r} -> {got}"
    assert got.suppresses == (kind is Kind.HARD_BOUNCE)
    if kind not in (A, T):
        assert got.hint, f"no hint for {got.category}"


def test_the_table_is_large_and_covers_every_kind() -> None:
    assert len(REPLIES) >= 30
    assert {k for _, _, k, _ in REPLIES} == set(Kind)
    assert len({src for src, *_ in REPLIES}) >= 15


def test_parse_reply_reads_multi_line_and_joined_forms() -> None:
    raw = "550-5.1.1 The email account that you tried to reach does not exist. Please try\n550 5.1.1  double-checking - gsmtp"
    assert parse_reply(raw) == (550, "5.1.1", "The email account that you tried to reach does not exist. Please try double-checking - gsmtp")
    joined = " ".join(raw.split())  # how the transport stores a reply
    assert parse_reply(joined)[:2] == (550, "5.1.1")
    assert parse_reply("5.7.1") == (None, "5.7.1", "")
    assert parse_reply("550 5.1.10 RESOLVER") == (550, "5.1.10", "RESOLVER")


def test_same_rejection_key_ignores_the_address_in_the_words() -> None:
    a = classify("554 5.7.1 <a@example.com>: Relay access denied")
    b = classify("554 5.7.1 <b@example.net>: Relay access denied")
    assert a.key == b.key == "rejected relay"
    assert classify("550 5.7.1 Mail from 203.0.113.5 refused - spamcop").key != a.key


@pytest.mark.parametrize(("one", "other"), [
    # Tester's finding i8/a8 #8: one relay refusal in two wordings (and basic codes) never paused.
    ("554 5.7.1 <x@example.com>: Relay access denied", "550 5.7.1 Unable to relay"),
    ("550 Relaying denied", "554 5.7.1 <y@example.org>: Relay access denied"),
    ("554 5.7.1 Service unavailable; Client host [203.0.113.5] blocked using zen.spamhaus.org", "550 Rejected because 203.0.113.5 is in a black list at zen.spamhaus.org"),
    ("550 5.1.0 <n@example.org>: Sender address rejected: User unknown", "553 5.1.8 <n@example.org>: Sender address rejected: Domain not found"),
    ("550 Administrative prohibition (a1b2c3)", "550 Administrative prohibition (d4e5f6)"),
])  # fmt: skip
def test_one_cause_in_different_words_is_the_same_rejection(one: str, other: str) -> None:
    assert classify(one).key == classify(other).key


def test_unnamed_refusals_in_different_words_are_different() -> None:
    assert classify("550 Administrative prohibition").key != classify("550 Unrouteable address").key
    assert classify("550 5.7.1 Message rejected by policy").key != classify("550 5.7.9 Message rejected by policy").key


def test_the_fingerprint_leaves_out_what_differs_per_recipient() -> None:
    gmail = "550-5.1.1 The email account that you tried to reach does not exist. a1si1107418wrz.{n} - gsmtp"
    assert classify(gmail.format(n=59)).fingerprint == classify(gmail.format(n=60)).fingerprint
    a = classify("550 5.1.1 <ana@example.org>: Recipient address rejected: User unknown in local recipient table")
    b = classify("550 5.1.1 <bor@example.org>: Recipient address rejected: User unknown in local recipient table")
    assert a.fingerprint == b.fingerprint != classify("550 5.1.1 No such user here").fingerprint


def test_user_unknown_words_never_suppress_when_a_policy_code_says_otherwise() -> None:
    # The enhanced code wins over words: a 5.7.1 naming an unknown user is a policy refusal, never a suppression.
    assert not classify("550 5.7.1 <x@example.org>: Recipient address rejected: user unknown").suppresses
    # A sender-side 5.1.x is about our address, not the recipient's.
    assert not classify("553 5.1.7 The sender address <x> is not a valid RFC-5321 address").suppresses


# Finding i8-a8 #1: a refusal of *our* side (the sender address, the HELO name, the client host,
# the connection) suppressed the whole list when its code or words looked like a mailbox failure.
OUR_SIDE: list[tuple[str, str]] = [
    # Postfix reject_unlisted_sender, answered at RCPT (smtpd_delay_reject=yes, the default)
    ("550 5.1.0 <newsletter@example.org>: Sender address rejected: User unknown in virtual mailbox table", "sender"),
    ("550 5.1.0 <newsletter@example.org>: Sender address rejected: User unknown in local recipient table", "sender"),
    # Postfix reject_unverified_sender
    ("550 5.1.1 <newsletter@example.org>: Sender address rejected: undeliverable address: host example.org said: 550 User unknown", "sender"),
    ("450 4.1.1 <newsletter@example.org>: Sender address rejected: unverified address", "temporary"),
    ("554 5.1.0 Sender denied", "sender"),
    ("550 The sender's domain does not exist", "sender"),
    ("550 From: address does not exist", "sender"),
    ("550 5.1.1 Envelope from address does not exist", "sender"),
    ("550 5.2.2 Sender mailbox full", "sender"),
    ("550 HELO host does not exist", "client"),
    ("550 5.1.1 <localhost>: Helo command rejected: Host not found", "client"),
    ("550 Reverse DNS lookup failed: host does not exist", "client"),
    ("550 5.1.1 <unknown[203.0.113.5]>: Client host rejected: cannot find your hostname, user unknown", "client"),
    ("550 5.1.0 Connection refused: no such user as the connecting host", "client"),
]


@pytest.mark.parametrize(("reply", "category"), OUR_SIDE)
def test_a_refusal_naming_our_side_never_bounces_anyone(reply: str, category: str) -> None:
    got = classify(reply)
    assert not got.suppresses and got.kind is not Kind.SOFT_BOUNCE, got
    assert got.category == category, got
    if category != "temporary":
        assert got.kind is Kind.REJECTED and got.hint, got


@pytest.mark.parametrize("status", ["", "5.0.0 ", "5.1.0 ", "5.1.1 ", "5.1.2 ", "5.1.6 ", "5.1.10 ", "5.2.1 ", "5.2.2 "])
@pytest.mark.parametrize("blame", [
    "Sender address rejected:", "sender verify failed:", "The sender's", "From: address", "MAIL FROM", "Envelope sender",
    "HELO", "EHLO name", "Client host rejected:", "reverse DNS:", "rDNS", "PTR record", "your IP address", "connection",
])
@pytest.mark.parametrize("words", ["user unknown", "does not exist", "no such user", "mailbox not found", "mailbox full", "undeliverable address"])
def test_the_whole_kind_mailbox_words_about_our_side_never_suppress(status: str, blame: str, words: str) -> None:
    """Every mailbox-level code and phrase, combined with words blaming the sender, HELO, client host or connection."""
    got = classify(f"550 {status}<newsletter@example.org>: {blame} {words}")
    assert got.kind is Kind.REJECTED and got.category in ("sender", "client"), got


@pytest.mark.parametrize("reply", ["550 does not exist", "550 5.0.0 Host does not exist", "550 That domain does not exist here"])
def test_does_not_exist_alone_is_no_evidence_about_the_mailbox(reply: str) -> None:
    assert not classify(reply).suppresses


@pytest.mark.parametrize("reply", [
    "550 The email account that you tried to reach does not exist",
    "550 Address does not exist",
    "550 Recipient does not exist here",
    "550 5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address",
])
def test_a_named_mailbox_that_does_not_exist_still_bounces(reply: str) -> None:
    assert classify(reply).suppresses
