"""End-to-end tests against real DNS software (nsd, unbound) on loopback."""
