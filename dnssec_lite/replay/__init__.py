"""Replay scenarios: readers for the ``.rpl`` test-scenario format.

:mod:`dnssec_lite.replay.rpl` turns an Unbound/Deckard ``.rpl`` file into plain
data (configuration, canned-answer ranges, steps) without interpreting any DNS
record; :mod:`dnssec_lite.replay.macros` expands the ``${...}`` macros of
Unbound's autotrust scenarios at replay time.
"""
