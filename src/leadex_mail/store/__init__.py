"""The subscriber store: who may be mailed, on which lists, with proof of consent.

    db.py           open_store(settings) -> Store; sessions; Alembic migrations
    models.py       the tables (SQLModel), incl. campaigns and deliveries
    subscribers.py  the core rules: add, double opt-in, unsubscribe, bounces, preferences
    lists.py        mailing lists
    importer.py     CSV import in one transaction (csvread.py, validation.py, bulk.py)
    gdpr.py         export (Art. 15/20), erasure (Art. 17), purging unconfirmed sign-ups
    queries.py      eligible recipients, listings, counts
    suppression.py  keyed hashes of addresses never to be mailed again
    events.py       the append-only consent/event log
"""
