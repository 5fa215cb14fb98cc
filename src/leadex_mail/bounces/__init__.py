"""Bounces and complaints: reading them from a mailbox, matching them to deliveries, acting on them.

Layers, data flowing one way:

    readers.py / imap.py   raw messages from .eml files, mbox, Maildir, IMAP
    parse.py               raw bytes -> ``Report`` (model.py): a DSN (RFC 3464, dsn.py),
                           an ARF complaint (RFC 5965, arf.py), a non-standard bounce
                           (legacy.py, with flufl.bounce), an auto-reply (autoreply.py),
                           or something not understood (kept, never dropped)
    matching.py            a report -> the delivery it is about (VERP token, ENVID,
                           original Message-ID, then recipient address)
    policy.py              what to do: suppress, count a soft bounce, unsubscribe a
                           complaint, record a rejection on the delivery, ignore
    service.py             one report = one store transaction (store/bounces.py)
    reporting.py           per-campaign figures, complaint rate, suppressed addresses

The status codes are read by the one SMTP reply classifier
(``leadex_mail.delivery.replies``) through ``classification.classify_status``.
"""
