"""Several workers on one PostgreSQL database: who leads, and the inbox of webhook updates."""
