"""The link-text rule the markup gate applies to the rendered HTML: it lives in ``content.linktext``.

The rule is decided from the content (``content.linkpurpose`` applies it to
each link of an edition at its field, for ``check`` and the studio's live
check), so its phrases live in the content layer; the gate reads them here.
"""

from leadex_mail.content.linktext import GENERIC_PHRASES, MIN_CONTEXT_WORDS, context_words, generic_phrases, is_generic, normalise

__all__ = ["GENERIC_PHRASES", "MIN_CONTEXT_WORDS", "context_words", "generic_phrases", "is_generic", "normalise"]
