"""leadex-mail: compose, render and send the LeadEx newsletter.

Layers, data flowing one way:

    content (issue model, loading, validation)
      -> render (Jinja2 -> MJML -> HTML + text)
        -> delivery (messages, DKIM, reply classes, transports)
          -> campaign (the engine: runner, workers, rate) and bounces
    store (subscribers, consent, lists, campaigns, deliveries) beside them,
      the engine reaching it only through store.campaigns and store.deliveries
    cli / web: thin faces over that core
"""

__version__ = "0.1.0"
