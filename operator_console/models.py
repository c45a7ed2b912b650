"""The operator console has no tables of its own: the audit trail it shows is core.AdminActionLog."""
