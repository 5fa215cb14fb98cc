"""The subscriber store: who may be mailed, on which lists, with proof of consent.

    db.py           open_store(settings) -> Store; sessions
    schema.py       Alembic migrations: status, upgrade (on opening, or `db upgrade`)
    models.py       the tables (SQLModel), incl. campaigns and deliveries
    subscribers.py  the core rules: add, double opt-in, unsubscribe, bounces, preferences
    lists.py        mailing lists
    importer.py     CSV import in one transaction (importrows.py, importreport.py, bulk.py)
    csvread.py      a spreadsheet export as a table: encoding.py (code page, letters.py),
                    delimiter, headers.py (column names in the partners' languages)
    languages.py    BCP 47 language tags (Babel) and the edition each gets (RFC 4647)
    validation.py   addresses, names, attributes, list names
    gdpr.py         export (Art. 15/20), erasure (Art. 17), purging unconfirmed sign-ups
    queries.py      eligible recipients, listings, counts
    suppression.py  keyed hashes of addresses never to be mailed again
    events.py       the append-only consent/event log
"""
