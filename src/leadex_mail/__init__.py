"""leadex-mail: compose, render and send the LeadEx newsletter.

Layers, data flowing one way:

    content (issue model, loading, validation)
      -> render (Jinja2 -> MJML -> HTML + text)
        -> delivery (messages, transports, campaign runner, bounces)
    store (subscribers, consent, lists, campaigns, deliveries) beside them
    cli / web: thin faces over that core
"""

__version__ = "0.1.0"
