"""One settings object, read from KIEMDIEM_* environment variables (and a .env file)."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything the product reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="KIEMDIEM_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///kiemdiem.db"
    now: str | None = None
    lang: str = "vi"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_from: str = "kiemdiem@localhost"
    smtp_timeout: float = 30.0
    # Connections opened at once per delivery; each carries messages one after another.
    smtp_concurrency: int = 4
    # Where the links in mail point (the product's own pages).
    base_url: str = "http://127.0.0.1:8000"
    # Secrets kept outside the database (the ballot keys, the key that signs sign-in links):
    # whoever holds a copy of the database must not hold these too.
    keys_dir: str = "kiemdiem-keys"
    # Each launched cycle's tick, as cron in the plan's time zone (a Prefect server only).
    tick_cron: str = "0 8 * * *"
    # Deliverers draining the outbox at once on PostgreSQL (SKIP LOCKED claims); SQLite: one.
    deliverers: int = 2


def load_settings() -> Settings:
    """Read the settings now (tests and the demo change the environment between calls)."""
    return Settings()
