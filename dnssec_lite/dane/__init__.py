"""SMTP DANE: TLSA matching, the STARTTLS probe, the RFC 7672 policy."""
