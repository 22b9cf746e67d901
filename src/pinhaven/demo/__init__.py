"""The demo content every newcomer sees first: people, themed boards and generated pins (`pinhaven demo`)."""
