"""Erasure by crypto-shredding, as pure code: the envelope, the field table, the keyring and the
retention rules. No I/O here: the key store is a port (``keyring.KeyStore``), adapted to
PostgreSQL in ``streams.keystore``. The design: docs/ERASURE.md.
"""
