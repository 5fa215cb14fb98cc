"""Tests of the subscriber-facing web app (a package, so its modules never shadow other areas' ``conftest``)."""
