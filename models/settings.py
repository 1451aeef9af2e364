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
    # The key that signs sign-in links and session cookies. Unset: a random key made once in
    # keys_dir (web-signing.key); several processes behind a proxy share that directory or
    # this setting. Changing it signs everyone out and voids every link not yet used.
    secret_key: str | None = None
    # How long a sign-in link in a mail stays good, and a session after it is used.
    signin_link_days: int = 14
    session_hours: int = 12
    # Fresh sign-in links asked for by e-mail: at most this many per address, and per client,
    # in any hour (counted in the database, so every process shares the count).
    signin_requests_per_hour: int = 5
    # Whether `--as` may act for people from the command line (an operator acting on their
    # behalf, recorded as such); an office that runs the pages turns it off.
    cli_people_actions: bool = True
    # `kiemdiem serve`: where the pages listen, and the local hour of every cycle's morning tick.
    serve_host: str = "127.0.0.1"
    serve_port: int = 8000
    tick_hour: int = 6
    tick_timezone: str = "Asia/Ho_Chi_Minh"
    # Each launched cycle's tick, as cron in the plan's time zone (a Prefect server only).
    tick_cron: str = "0 8 * * *"
    # How much the embedded Prefect API a `kiemdiem cycle tick` starts yields the CPU to the
    # pages (os.nice, 0-19): it is the morning's batch work; a person on a page waits.
    tick_nice: int = 10
    # Deliverers draining the outbox at once on PostgreSQL (SKIP LOCKED claims); SQLite: one.
    deliverers: int = 2
    # The Prefect UI (e.g. http://127.0.0.1:4200): the dashboard links to the cycle's flow runs.
    prefect_ui_url: str | None = None


def load_settings() -> Settings:
    """Read the settings now (tests and the demo change the environment between calls)."""
    return Settings()
