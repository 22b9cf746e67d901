"""Notifications: who is told what (follows, saves, comments, reactions, mentions, invitations, messages),
the inbox, the live bell (Server-Sent Events), per-type settings and e-mail (instant and daily digest)."""
