"""The campaign engine: send one issue to one list, exactly once per recipient, at a rate.

    runner.py      send_campaign, plan_campaign, campaign_status, retry_campaign
    workers.py     CampaignRun: the sending threads (claim, check, pace, send, record)
    pauses.py      when a send pauses by itself (failures, rejections, bounce waves in a row)
    messageids.py  Message-IDs derived per delivery, the same on every attempt
    ratelimit.py   sending rates (600/min, 20000/h) and the Throttle that keeps them
    demo.py        leadex-mail demo

It knows two seams and nothing behind them (as listmonk's manager knows
``Store`` and ``Messenger``): the campaign store (``store.campaigns``,
``store.overlap`` and ``store.deliveries``, SQLite or PostgreSQL) and the transport
(``delivery.transport.Transport``, SMTP or the outbox). Messages are built by
``delivery.message``.
"""
