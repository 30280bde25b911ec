"""Example networks: small deterministic test networks (testnets) and the example zoo (zoo)."""
