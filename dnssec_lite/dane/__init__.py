"""DANE for SMTP (RFC 6698, RFC 7671, RFC 7672): TLSA matching, the STARTTLS probe and policy."""
