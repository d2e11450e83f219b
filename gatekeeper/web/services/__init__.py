"""What the web pages need beyond the records: sessions, throttling, invitations, mail, family views."""
