"""Operations: backup and restore, health and readiness, metrics (docs/operations.md)."""
