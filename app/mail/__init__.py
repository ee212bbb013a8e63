"""Mail: addresses, the outbox of outgoing mail, and the intake of empty mails (SPEC §7)."""
