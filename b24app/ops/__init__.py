"""Operations: what the deployment's operator reads and runs — metrics, journal retention, log context."""
