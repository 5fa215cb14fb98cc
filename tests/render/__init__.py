"""Render tests (a package, so test modules share helpers by relative import)."""
