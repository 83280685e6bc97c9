"""Wire and presentation formats of DNS: names, records, messages, zone text.

This layer knows nothing of cryptography, sockets, files or clocks.
"""
