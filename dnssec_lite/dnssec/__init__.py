"""DNSSEC validation: algorithms, digests, and the validator proper."""
