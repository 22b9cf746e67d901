"""The event stream: a transactional outbox relayed to NATS JetStream, and the consumers that read it.

Off by default (`PINHAVEN_EVENT_BUS_URL` empty): nothing here runs and no outbox row is written.
See docs/OPERATIONS.md "Event stream" for subjects, consumers, replay and backpressure.
"""
