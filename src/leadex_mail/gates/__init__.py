"""Pre-send gates: what ``check --deep`` and ``send`` look at in the message itself.

The plain ``check`` (``render.check``) reads the issue's files and the
rendered HTML. The gates here look at the *message*: the exact bytes
``send`` would hand the transport, built for a sample recipient by the
same ``delivery.message`` code the campaign engine uses. So this package
sits above delivery's message building and below the faces:

    content -> render -> delivery (message building) -> gates -> CLI / preview

Nothing below imports it. Its modules, each one kind of check:

    sample.py         the sample message of an edition (exact bytes, parsed parts, images)
    conformance.py    RFC 5322/2045/2047/2369/8058 and DKIM, parsed back with the standard library
    markup.py         what axe cannot see: lang, title, heading order, layout tables,
                      link texts out of context, images of text without alt
    linktext.py       the phrases that say nothing about a link's target, per language
    browser.py        headless Chromium (Debian's, through Playwright) showing a message at a width
    accessibility.py  axe-core WCAG 2.x A/AA at 375 and 600 px, light and dark
    spam.py           SpamAssassin's local rules on the complete message
    deep.py           all of them for every edition of an issue: ``deep_check``
    readiness.py      ``ready_to_send``: the one decision whether an issue may go to a list
    screenshots.py    ``render --screenshots``: PNGs at 375, 600 and 375 px dark

Heavy imports (Playwright) happen only when a browser is started.
"""
