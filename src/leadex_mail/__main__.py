"""Allow ``python -m leadex_mail``."""

from leadex_mail.cli import main

main()
