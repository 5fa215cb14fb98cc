"""Delivery: turning a rendered edition into messages and handing them to the next hop.

    message.py     a rendered edition -> MessageTemplate (serialised once), filled per recipient
    qp.py          quoted-printable bodies encoded in pieces that join (RFC 2045)
    dkim.py        DKIM signing of the finished bytes (RFC 6376)
    replies.py     what an SMTP reply means (RFC 3463 enhanced status codes)
    transport.py   the Transport seam (send, close), SendResult, make_transport(settings)
    smtp.py        SmtpTransport: smtplib, one reused connection, replies classified
    smtpauth.py    SMTP AUTH with UTF-8 credentials (PLAIN, LOGIN, CRAM-MD5)
    outbox.py      OutboxTransport: each message as an .eml file
    testsend.py    send-test: one message to a few people, through a transport

Above it, the campaign engine (``leadex_mail.campaign``) decides who gets
what and when; below it, ``render`` builds the editions.
"""
